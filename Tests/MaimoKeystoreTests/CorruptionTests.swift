import Foundation
import MaimoTestSupport
import Testing
@testable import MaimoKeystore

struct CorruptionTests {
    /// A store with sealed segments, hints, blobs and an active segment, and its contents.
    func makeStore(_ directory: TemporaryDirectory, seed generator: inout SeededGenerator) throws -> [[UInt8]: [UInt8]] {
        var options = smallOptions()
        options.automaticCompaction = false
        let store = try KeyValueStore(directory: directory.path, options: options)
        var model: [[UInt8]: [UInt8]] = [:]
        for i in 0..<120 {
            let key = bytes("key\(i % 50)")
            let value = randomBytes(Int.random(in: 0...(i % 17 == 0 ? 5000 : 400), using: &generator), using: &generator)
            try store.put(key, value)
            model[key] = value
        }
        try store.close()
        return model
    }

    @Test func tornTailIsCutAndEverythingBeforeItKept() throws {
        var generator = SeededGenerator.fromEnvironment("kv torn tail")
        for garbage in [Array(repeating: UInt8(0), count: 100), randomBytes(7, using: &generator),
                        RecordFormat.encode([.put(key: bytes("late"), value: randomBytes(300, using: &generator))], sequence: 1_000_000).dropLast(5)]
        {
            let directory = TemporaryDirectory()
            defer { directory.remove() }
            let model = try makeStore(directory, seed: &generator)
            let active = directory.files(withSuffix: ".seg").last!
            let size = fileSize(active)
            let handle = FileHandle(forWritingAtPath: active)!
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(garbage))
            try handle.close()
            let store = try KeyValueStore(directory: directory.path, options: smallOptions())
            #expect(store.recovery.truncatedTail == .init(file: active, offset: size, bytes: UInt64(garbage.count)))
            #expect(fileSize(active) == size)
            for (key, value) in model { #expect(try store.get(key) == value) }
            #expect(try store.get("late") == nil)
            try store.put("after", bytes("ok"))
            #expect(try store.check().isHealthy)
        }
    }

    @Test func badRecordFollowedByGoodOneIsAnError() throws {
        var generator = SeededGenerator.fromEnvironment("kv middle")
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        _ = try makeStore(directory, seed: &generator)
        let active = directory.files(withSuffix: ".seg").last!
        var bad = RecordFormat.encode([.put(key: bytes("x"), value: [1, 2, 3])], sequence: 500)
        bad[30] ^= 1
        let good = RecordFormat.encode([.put(key: bytes("y"), value: [4])], sequence: 501)
        let size = fileSize(active)
        let handle = FileHandle(forWritingAtPath: active)!
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bad + good))
        try handle.close()
        #expect(throws: KeystoreError.corruptRecord(file: active, offset: size, reason: "checksum mismatch")) {
            try KeyValueStore(directory: directory.path)
        }
    }

    /// One flipped byte or one truncation anywhere in any file is detected: open fails, a read
    /// or `check` reports it, or open reports a cut tail; or it hit a hint file, which is then
    /// ignored and every value still reads back right. Never wrong bytes silently.
    @Test func flippedBytesAndTruncationsAreDetected() throws {
        var generator = SeededGenerator.fromEnvironment("kv corruption")
        let template = TemporaryDirectory("template")
        defer { template.remove() }
        let model = try makeStore(template, seed: &generator)
        for round in 0..<60 {
            let directory = TemporaryDirectory()
            defer { directory.remove() }
            try FileManager.default.removeItem(atPath: directory.path)
            try FileManager.default.copyItem(atPath: template.path, toPath: directory.path)
            let files = directory.files(withSuffix: ".seg") + directory.files(withSuffix: ".hint") + directory.files(withSuffix: ".blob")
            let victim = files.randomElement(using: &generator)!
            let size = fileSize(victim)
            let offset = UInt64.random(in: 0..<size, using: &generator)
            let truncate = round % 3 == 0
            if truncate {
                try FileHandle(forWritingAtPath: victim)!.truncate(atOffset: offset)
            } else {
                flipByte(in: victim, at: offset)
            }
            let what = "round \(round): \(truncate ? "truncated" : "flipped byte in") \(victim) at \(offset) of \(size)"

            let store: KeyValueStore
            do {
                store = try KeyValueStore(directory: directory.path, options: smallOptions())
            } catch {
                continue  // detected at open
            }
            if store.recovery.truncatedTail != nil { continue }  // detected: reported as a cut tail
            let report = try store.check()
            var readErrors = 0
            var wrong: [String] = []
            for (key, value) in model {
                do {
                    if try store.get(key) != value { wrong.append(String(decoding: key, as: UTF8.self)) }
                } catch {
                    readErrors += 1
                }
            }
            #expect(wrong.isEmpty, "\(what): wrong values returned for \(wrong)")
            if victim.hasSuffix(".hint") {
                #expect(report.isHealthy && readErrors == 0, "\(what): a bad hint must be ignored")
            } else {
                #expect(!report.isHealthy || readErrors > 0, "\(what): not detected")
            }
        }
    }
}
