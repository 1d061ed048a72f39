import Foundation
import MaimoTestSupport
import Testing
@testable import MaimoKeystore

/// Random puts, deletes, batches, streamed puts, ranged reads, compactions and reopens, checked
/// against a dictionary after every step that can change what the store holds.
struct ModelTests {
    @Test(arguments: [KeyValueStore.Durability.groupCommit, .everyCommit, .none])
    func randomOperationsMatchADictionary(durability: KeyValueStore.Durability) throws {
        var generator = SeededGenerator.fromEnvironment("kv model \(durability)")
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let options = smallOptions(durability: durability)
        var store = try KeyValueStore(directory: directory.path, options: options)
        var model: [[UInt8]: [UInt8]] = [:]

        func randomKey() -> [UInt8] { bytes("key-\(Int.random(in: 0..<80, using: &generator))") }
        func randomValue() -> [UInt8] {
            let size = Int.random(in: 0..<10, using: &generator) == 0 ? Int.random(in: 2000...12000, using: &generator)
                                                                      : Int.random(in: 0...300, using: &generator)
            return randomBytes(size, using: &generator)
        }

        for step in 0..<1500 {
            switch Int.random(in: 0..<100, using: &generator) {
            case 0..<45:
                let key = randomKey(), value = randomValue()
                try store.put(key, value)
                model[key] = value
            case 45..<60:
                let key = randomKey()
                try store.delete(key)
                model[key] = nil
            case 60..<70:
                var batch = WriteBatch()
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    let key = randomKey()
                    if Bool.random(using: &generator) {
                        let value = randomValue()
                        batch.put(key, value)
                        model[key] = value
                    } else {
                        batch.delete(key)
                        model[key] = nil
                    }
                }
                try store.write(batch)
            case 70..<75:
                let key = randomKey(), value = randomValue()
                let writer = try store.makeWriter(for: key)
                var position = 0
                while position < value.count {
                    let step = min(value.count - position, Int.random(in: 1...4000, using: &generator))
                    try writer.write(Array(value[position..<position + step]))
                    position += step
                }
                if Int.random(in: 0..<4, using: &generator) == 0 {
                    writer.cancel()
                } else {
                    try writer.commit()
                    model[key] = value
                }
            case 75..<90:
                let key = randomKey()
                if let value = model[key] {
                    let offset = Int.random(in: 0...value.count, using: &generator)
                    let count = Int.random(in: 0...(value.count - offset), using: &generator)
                    #expect(try store.read(key, offset: UInt64(offset), count: count) == Array(value[offset..<offset + count]), "step \(step)")
                } else {
                    #expect(try store.get(key) == nil, "step \(step)")
                }
            case 90..<94:
                try store.compact()
            case 94..<97:
                try store.close()
                store = try KeyValueStore(directory: directory.path, options: options)
                #expect(store.recovery.truncatedTail == nil)
            default:
                #expect(try store.keys() == model.keys.sorted { compareBytes($0, $1) < 0 }, "step \(step)")
            }
        }
        #expect(store.waitForCompaction() == nil)
        for (key, value) in model { #expect(try store.get(key) == value) }
        #expect(try store.keys().count == model.count)
        #expect(try store.check().isHealthy)
        try store.close()
        store = try KeyValueStore(directory: directory.path, options: options)
        for (key, value) in model { #expect(try store.get(key) == value) }
        let blobs = Set(directory.files(withSuffix: ".blob"))
        #expect(blobs.count == (try store.statistics()).blobs, "no orphan blob files")
    }
}
