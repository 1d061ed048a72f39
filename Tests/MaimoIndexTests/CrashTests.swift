import Foundation
import MaimoTestSupport
import Testing
@testable import MaimoIndex

/// A child process commits transactions and is killed with SIGKILL at random moments; after
/// each kill the file must open with every acknowledged transaction and either all or nothing of
/// the one in flight. `MAIMO_INDEX_KILLS` sets the number of kills (default 50).
struct IndexCrashTests {
    static var child: URL {
        let products = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent()
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return products.appendingPathComponent("maimo-kv-crash-child")
    }

    @Test func killedWritersLoseNoCommittedTransaction() throws {
        let kills = Int(ProcessInfo.processInfo.environment["MAIMO_INDEX_KILLS"] ?? "") ?? 50
        var generator = SeededGenerator.fromEnvironment("index crash")
        let seed = generator.next()
        let path = temporaryFile("crash")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var model: [[UInt8]: [UInt8]] = [:]
        var next = 0
        signal(SIGPIPE, SIG_IGN)
        for cycle in 0..<kills {
            let process = Process()
            process.executableURL = Self.child
            process.arguments = ["index", path, String(seed), String(next)]
            let output = Pipe()
            process.standardOutput = output
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            let pid = process.processIdentifier
            let watchdog = DispatchWorkItem { kill(pid, SIGKILL) }
            DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
            defer { watchdog.cancel() }
            let target = Int.random(in: 0...40, using: &generator)
            var text = ""
            let reader = output.fileHandleForReading
            while text.split(separator: "\n").count < target {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            usleep(UInt32.random(in: 0...3000, using: &generator))
            kill(pid, SIGKILL)
            process.waitUntilExit()
            text += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationReason == .uncaughtSignal, "cycle \(cycle): the child died on its own (seed \(seed)): \(message)")
            let acknowledged = text.split(separator: "\n").compactMap { $0.hasPrefix("ack ") ? Int($0.dropFirst(4)) : nil }
            let last = acknowledged.max() ?? (next - 1)
            if last >= next { for index in next...last { CrashWorkload.apply(seed: seed, index: index, to: &model) } }
            var withInFlight = model
            CrashWorkload.apply(seed: seed, index: last + 1, to: &withInFlight)

            let db = try IndexDatabase(path: path)
            var contents: [[UInt8]: [UInt8]] = [:]
            try db.read { (tx) throws in
                guard try tx.tables().contains("t") else { return }
                var cursor = try tx.cursor("t")
                try cursor.scan { key, value in contents[key] = value; return true }
            }
            db.close()
            if contents == model {
                next = last + 1
            } else if contents == withInFlight {
                model = withInFlight
                next = last + 2
            } else {
                Issue.record("cycle \(cycle) (seed \(seed)): the file differs from transactions ..<\(last + 1) and ..<\(last + 2)")
                return
            }
        }
        #expect(next > kills, "the children made progress (\(next) transactions over \(kills) kills)")
        print("index crash: \(kills) kills, \(next) transactions (seed \(seed))")
    }
}
