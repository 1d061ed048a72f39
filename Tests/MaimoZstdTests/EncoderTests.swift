import Foundation
import MaimoTestSupport
import MaimoZstd
import Testing

/// Frames made by MaimoZstd decode with MaimoZstd and with the reference `zstd -d`.
@Suite("zstd encoder")
struct EncoderTests {
    static let levels = Array(1...19)

    @Test("round trips at every level through both decoders", arguments: levels)
    func roundTrips(level: Int) throws {
        var generator = SeededGenerator.fromEnvironment("zstd encoder level \(level)")
        let sizes = level >= 10 ? [0, 1, 7, 300, 70_000] : [0, 1, 7, 300, 70_000, 300_000]
        for kind in Corpus.Kind.allCases {
            for size in sizes {
                let data = Corpus.make(kind, count: size, using: &generator)
                let frame = Zstd.compress(data, level: level)
                let ours = try Zstd.decompress(frame)
                #expect(ours == data, "\(kind) \(size) bytes at level \(level): own decoder")
                if referenceZstdAvailable {
                    let theirs = try referenceZstd(["-d", "-q", "-c"], input: frame)
                    #expect(theirs == data, "\(kind) \(size) bytes at level \(level): zstd -d")
                }
            }
        }
    }
}

/// Dictionaries: frames made with a zstd-trained dictionary and with raw content decode with
/// the reference `zstd -D`, and a dictionary shrinks small records.
@Suite("zstd encoder with dictionaries")
struct EncoderDictionaryTests {
    @Test func compressesWithTrainedAndRawDictionaries() throws {
        let trained = try #require(try Fixtures.dictionary("json.dict"))
        let raw = try #require(try Fixtures.dictionary("raw.dict"))
        var generator = SeededGenerator.fromEnvironment("zstd encoder dictionaries")
        for level in [1, 3, 7, 19] {
            var plainTotal = 0, withTotal = 0
            for i in 0..<30 {
                let record = Corpus.record(50_000 + i, using: &generator)
                let frame = Zstd.compress(record, level: level, dictionary: trained)
                let without = Zstd.compress(record, level: level)
                plainTotal += without.count
                withTotal += frame.count
                #expect(try Zstd.decompress(frame, dictionary: trained) == record)
                if referenceZstdAvailable {
                    let path = Fixtures.directory.appendingPathComponent("json.dict").path
                    #expect(try referenceZstd(["-d", "-q", "-c", "-D", path], input: frame) == record, "level \(level)")
                }
            }
            #expect(withTotal * 2 < plainTotal, "level \(level): \(withTotal) bytes with the dictionary, \(plainTotal) without")
            let text = Corpus.make(.text, count: 20_000, using: &generator)
            let frame = Zstd.compress(text, level: level, dictionary: raw)
            #expect(try Zstd.decompress(frame, dictionary: raw) == text)
            if referenceZstdAvailable {
                let path = Fixtures.directory.appendingPathComponent("raw.dict").path
                #expect(try referenceZstd(["-d", "-q", "-c", "-D", path], input: frame) == text)
            }
        }
    }
}
