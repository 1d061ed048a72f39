import Foundation
import MaimoTestSupport
import Testing
@testable import MaimoKeystore

/// A child process writes acknowledged batches and is killed with SIGKILL at random moments
/// (also during compaction); after every kill the store must open and hold exactly every
/// acknowledged batch, plus possibly the one in flight, whole.
///
/// `MAIMO_KV_KILLS` sets the number of kills (default 50); the README's release-mode run uses
/// 1000. `MAIMO_SEED` replays a run.
struct CrashTests {
    static var child: URL {
        let products = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent()
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return products.appendingPathComponent("maimo-kv-crash-child")
    }

    @Test func killedWritersLoseNothingAcknowledged() throws {
        let kills = Int(ProcessInfo.processInfo.environment["MAIMO_KV_KILLS"] ?? "") ?? 50
        var generator = SeededGenerator.fromEnvironment("kv crash")
        let seed = generator.next()
        let directory = TemporaryDirectory("crash")
        defer { directory.remove() }
        var model: [[UInt8]: [UInt8]] = [:]
        var next = 0
        var inFlightApplied = 0
        signal(SIGPIPE, SIG_IGN)

        for cycle in 0..<kills {
            let process = Process()
            process.executableURL = Self.child
            process.arguments = [directory.path, String(seed), String(next)]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // A child that stops making progress (a hang in the store) is killed after a minute
            // and reported, rather than hanging the test run.
            let pid = process.processIdentifier
            let started = Date()
            let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
            defer { watchdog.cancel() }
            // Kill after a random number of acknowledgements, sometimes before the first.
            let target = Int.random(in: 0...60, using: &generator)
            var acknowledged: [Int] = []
            var buffer = Data()
            let reader = output.fileHandleForReading
            while acknowledged.count < target {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 10) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    if line.hasPrefix("ack "), let n = Int(line.dropFirst(4)) { acknowledged.append(n) }
                }
            }
            if acknowledged.count < target && Date().timeIntervalSince(started) >= 59 {
                Issue.record("cycle \(cycle) (seed \(seed)): the child stalled after \(acknowledged.count) acknowledgements")
            }
            usleep(UInt32.random(in: 0...3000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            buffer.append(reader.readDataToEndOfFile())
            for line in String(decoding: buffer, as: UTF8.self).split(separator: "\n") where line.hasPrefix("ack ") {
                if let n = Int(line.dropFirst(4)) { acknowledged.append(n) }
            }
            #expect(process.terminationReason == .uncaughtSignal, "cycle \(cycle): the child died on its own (seed \(seed))")

            let last = acknowledged.max() ?? (next - 1)
            if last >= next {
                for index in next...last { CrashWorkload.apply(seed: seed, index: index, to: &model) }
            }
            var withInFlight = model
            CrashWorkload.apply(seed: seed, index: last + 1, to: &withInFlight)

            var options = KeyValueStore.Options()
            options.automaticCompaction = false
            let store = try KeyValueStore(directory: directory.path, options: options)
            var contents: [[UInt8]: [UInt8]] = [:]
            for key in try store.keys() { contents[key] = try store.get(key) }
            try store.close()
            if contents == model {
                next = last + 1
            } else if contents == withInFlight {
                model = withInFlight
                next = last + 2
                inFlightApplied += 1
            } else {
                let missing = model.keys.filter { contents[$0] != model[$0] }.map { String(decoding: $0, as: UTF8.self) }
                Issue.record("cycle \(cycle) (seed \(seed)): store differs from batches ..<\(last + 1) (and ..<\(last + 2)) at keys \(missing.sorted())")
                return
            }
        }
        #expect(next > kills, "the children made progress (\(next) batches over \(kills) kills)")
        print("kv crash: \(kills) kills, \(next) batches, in-flight batch present after \(inFlightApplied) kills (seed \(seed))")
    }
}

struct DiskFullTests {
    /// Writes fail as on a full disk (a file size limit in the child): the writer gets a typed
    /// error, and the store opens afterwards with every acknowledged batch and no partial one.
    @Test func fullDiskLeavesEveryAcknowledgedWriteAndAnOpenableStore() throws {
        var generator = SeededGenerator.fromEnvironment("kv disk full")
        let seed = generator.next()
        for limit in [20_000, 26_000, 31_000] {
            let directory = TemporaryDirectory("full")
            defer { directory.remove() }
            let process = Process()
            process.executableURL = CrashTests.child
            process.arguments = [directory.path, String(seed), "0", String(limit)]
            let output = Pipe(), error = Pipe()
            process.standardOutput = output
            process.standardError = error
            try process.run()
            let acknowledged = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .split(separator: "\n").compactMap { Int($0.dropFirst(4)) }
            let message = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 3, "limit \(limit): \(message)")
            #expect(message.contains("no space left on device"), "limit \(limit): \(message)")

            var model: [[UInt8]: [UInt8]] = [:]
            let last = acknowledged.max() ?? -1
            if last >= 0 { for index in 0...last { CrashWorkload.apply(seed: seed, index: index, to: &model) } }
            let store = try KeyValueStore(directory: directory.path)
            var contents: [[UInt8]: [UInt8]] = [:]
            for key in try store.keys() { contents[key] = try store.get(key) }
            #expect(contents == model, "limit \(limit): \(acknowledged.count) acknowledged batches")
            try store.put("after", bytes("the store works again"))
            #expect(try store.get("after") == bytes("the store works again"))
            #expect(try store.check().isHealthy)
        }
    }
}
