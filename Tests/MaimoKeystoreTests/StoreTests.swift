import Foundation
import MaimoTestSupport
import Testing
@testable import MaimoKeystore

struct StoreTests {
    @Test func putGetDeleteAndReopen() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        do {
            let store = try KeyValueStore(directory: directory.path)
            try store.put("alpha", bytes("one"))
            try store.put("beta", [])
            try store.put("alpha", bytes("two"))
            try store.delete("gamma")
            #expect(try store.get("alpha") == bytes("two"))
            #expect(try store.get("beta") == [])
            #expect(try store.get("gamma") == nil)
            try store.delete("beta")
            #expect(try store.get("beta") == nil)
            #expect(store.count == 1)
            try store.close()
            #expect(throws: KeystoreError.closed) { try store.get("alpha") }
        }
        let store = try KeyValueStore(directory: directory.path)
        #expect(try store.get("alpha") == bytes("two"))
        #expect(try store.get("beta") == nil)
        #expect(store.recovery.truncatedTail == nil)
        #expect(store.recovery.keys == 1)
    }

    @Test func keysAreRejectedWhenEmptyOrTooLong() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try KeyValueStore(directory: directory.path)
        #expect(throws: KeystoreError.invalidKey(length: 0)) { try store.put([], [1]) }
        let long = [UInt8](repeating: 7, count: KeyValueStore.maximumKeyLength + 1)
        #expect(throws: KeystoreError.invalidKey(length: long.count)) { try store.put(long, [1]) }
        try store.put(Array(long.dropLast()), [1])
        #expect(try store.get(Array(long.dropLast())) == [1])
    }

    @Test func secondOpenerIsRefused() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try KeyValueStore(directory: directory.path)
        #expect(throws: KeystoreError.locked(path: directory.path)) { try KeyValueStore(directory: directory.path) }
        try store.close()
        _ = try KeyValueStore(directory: directory.path)
    }

    @Test func keysComeBackInOrderByPrefixAndRange() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try KeyValueStore(directory: directory.path, options: smallOptions())
        var generator = SeededGenerator.fromEnvironment("kv order")
        var model = Set<[UInt8]>()
        for _ in 0..<1500 {
            let key = randomBytes(Int.random(in: 1...4, using: &generator), using: &generator).map { $0 % 4 + 97 }
            if Bool.random(using: &generator) || model.isEmpty {
                try store.put(key, key)
                model.insert(key)
            } else {
                let victim = model.randomElement(using: &generator)!
                try store.delete(victim)
                model.remove(victim)
            }
        }
        let sorted = model.sorted { compareBytes($0, $1) < 0 }
        #expect(try store.keys() == sorted)
        #expect(try store.keys(prefix: bytes("ab")) == sorted.filter { $0.starts(with: bytes("ab")) })
        #expect(try store.keys(from: bytes("b"), to: bytes("c")) == sorted.filter { compareBytes($0, bytes("b")) >= 0 && compareBytes($0, bytes("c")) < 0 })
        #expect(try store.keys(limit: 5) == Array(sorted.prefix(5)))
    }

    @Test func largeValuesStreamInAndReadAtAnyOffset() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var generator = SeededGenerator.fromEnvironment("kv blobs")
        let value = randomBytes(100_003, using: &generator)
        do {
            let store = try KeyValueStore(directory: directory.path, options: smallOptions())
            let writer = try store.makeWriter(for: bytes("big"))
            var position = 0
            while position < value.count {
                let step = min(value.count - position, Int.random(in: 1...3000, using: &generator))
                try writer.write(Array(value[position..<position + step]))
                position += step
            }
            #expect(try store.get("big") == nil)
            try writer.commit()
            #expect(throws: KeystoreError.writerFinished) { try writer.write([1]) }
            let cancelled = try store.makeWriter(for: bytes("never"))
            try cancelled.write(value)
            cancelled.cancel()
            #expect(try store.get("never") == nil)
            #expect(directory.files(withSuffix: ".blob").count == 1)
        }
        let store = try KeyValueStore(directory: directory.path, options: smallOptions())
        #expect(try store.get("big") == value)
        for _ in 0..<300 {
            let offset = Int.random(in: 0...value.count, using: &generator)
            let count = Int.random(in: 0...min(5000, value.count - offset), using: &generator)
            #expect(try store.read(bytes("big"), offset: UInt64(offset), count: count) == Array(value[offset..<offset + count]))
        }
        #expect(throws: KeystoreError.rangeOutOfBounds(offset: 100_000, length: 4, valueLength: 100_003)) {
            try store.read(bytes("big"), offset: 100_000, count: 4)
        }
        // A reader keeps its version readable across an overwrite.
        let reader = try #require(try store.reader(for: bytes("big")))
        try store.put("big", bytes("small now"))
        #expect(try reader.read(offset: 5, count: 10) == Array(value[5..<15]))
        #expect(try store.get("big") == bytes("small now"))
        #expect(directory.files(withSuffix: ".blob").isEmpty, "the superseded blob is deleted once the overwrite is durable")
    }

    @Test func batchesApplyAllOperationsInOrder() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try KeyValueStore(directory: directory.path, options: smallOptions())
        var batch = WriteBatch()
        batch.put(bytes("a"), bytes("1"))
        batch.put(bytes("b"), [UInt8](repeating: 9, count: 5000))
        batch.delete(bytes("a"))
        batch.put(bytes("c"), bytes("3"))
        try store.write(batch)
        #expect(try store.get("a") == nil)
        #expect(try store.get("b") == [UInt8](repeating: 9, count: 5000))
        #expect(try store.get("c") == bytes("3"))
    }

    @Test func compactionKeepsEveryLiveValueAndShrinksTheStore() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var options = smallOptions()
        options.automaticCompaction = false
        var model: [[UInt8]: [UInt8]] = [:]
        var generator = SeededGenerator.fromEnvironment("kv compaction")
        do {
            let store = try KeyValueStore(directory: directory.path, options: options)
            for round in 0..<3000 {
                let key = bytes("key\(Int.random(in: 0..<60, using: &generator))")
                if round % 7 == 3 {
                    try store.delete(key)
                    model[key] = nil
                } else {
                    let value = randomBytes(Int.random(in: 0...(round % 50 == 0 ? 6000 : 300), using: &generator), using: &generator)
                    try store.put(key, value)
                    model[key] = value
                }
            }
            let before = try store.statistics()
            let report = try store.compact()
            let after = try store.statistics()
            #expect(report.segmentsCompacted > 0)
            #expect(after.segmentBytes < before.segmentBytes / 2)
            for (key, value) in model { #expect(try store.get(key) == value) }
            #expect(try store.keys().count == model.count)
        }
        let store = try KeyValueStore(directory: directory.path, options: options)
        for (key, value) in model { #expect(try store.get(key) == value) }
        #expect(try store.keys().count == model.count)
    }

    @Test func concurrentWritersAndReadersShareGroupCommits() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try KeyValueStore(directory: directory.path, options: smallOptions())
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<150 {
                let key = bytes("w\(worker)-\(i % 40)")
                try? store.put(key, bytes("\(worker):\(i)"))
                if let value = try? store.get(key) {
                    #expect(String(decoding: value, as: UTF8.self).hasPrefix("\(worker):"))
                }
            }
        }
        #expect(store.waitForCompaction() == nil)
        for worker in 0..<8 {
            for slot in 0..<40 {
                let last = (0..<150).last { $0 % 40 == slot }!
                #expect(try store.get(bytes("w\(worker)-\(slot)")) == bytes("\(worker):\(last)"))
            }
        }
    }
}
