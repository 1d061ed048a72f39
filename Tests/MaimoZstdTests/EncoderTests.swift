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

@Suite("zstd streaming compression and training")
struct StreamingEncoderTests {
    @Test("input in random pieces, longer than the window, with and without a declared size")
    func streamsAcrossWindowSlides() throws {
        var generator = SeededGenerator.fromEnvironment("zstd streaming compression")
        let data = Corpus.make(.mixed, count: 2_600_000, using: &generator)
        for (level, declared) in [(1, false), (3, true)] {
            // Level 1's window is 512 KiB: 2.6 MB slides it several times.
            let compressor = ZstdCompressor(options: .init(level: level, contentSize: declared ? UInt64(data.count) : nil))
            var frame = [UInt8]()
            var start = 0
            while start < data.count {
                let end = min(data.count, start + Int.random(in: 1...300_000, using: &generator))
                try compressor.compress(Array(data[start..<end])) { (bytes) throws(ZstdError) in frame.append(contentsOf: bytes) }
                start = end
            }
            try compressor.finish { (bytes) throws(ZstdError) in frame.append(contentsOf: bytes) }
            #expect(try Zstd.decompress(frame) == data, "level \(level)")
            #expect(frame.count < data.count)
            if referenceZstdAvailable {
                #expect(try referenceZstd(["-d", "-q", "-c"], input: frame) == data, "level \(level), zstd -d")
                // Not much larger than what the reference makes of the same data.
                let theirs = try referenceZstd(["-q", "-c", "-\(level)"], input: data)
                #expect(Double(frame.count) < Double(theirs.count) * 1.08, "level \(level): \(frame.count) bytes, zstd \(theirs.count)")
            }
        }
    }

    @Test("a declared size that the input does not match is refused")
    func declaredSizeMustMatch() throws {
        let compressor = ZstdCompressor(options: .init(contentSize: 10))
        try compressor.compress([1, 2, 3]) { (_) throws(ZstdError) in }
        #expect(throws: ZstdError.contentSizeMismatch(offset: 0, declared: 10, actual: 3)) {
            try compressor.finish { (_) throws(ZstdError) in }
        }
    }

    @Test("trained dictionaries: both decoders, both encoders, and a smaller output")
    func trainedDictionaryWorksBothWays() throws {
        var generator = SeededGenerator.fromEnvironment("zstd dictionary training")
        let samples = (0..<400).map { Corpus.record($0, using: &generator) }
        let bytes = try ZstdDictionary.train(samples: samples, maxSize: 8192)
        #expect(bytes.count <= 8192)
        let dictionary = try ZstdDictionary(bytes)
        #expect(dictionary.id >= 32768)
        let records = (0..<40).map { Corpus.record(100_000 + $0, using: &generator) }
        var with = 0, without = 0
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-train-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("dict").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        for record in records {
            let frame = Zstd.compress(record, level: 3, dictionary: dictionary)
            with += frame.count
            without += Zstd.compress(record, level: 3).count
            #expect(try Zstd.decompress(frame, dictionary: dictionary) == record)
            if referenceZstdAvailable {
                #expect(try referenceZstd(["-d", "-q", "-c", "-D", path], input: frame) == record)
                let theirs = try referenceZstd(["-q", "-c", "-3", "-D", path], input: record)
                #expect(try Zstd.decompress(theirs, dictionary: dictionary) == record)
            }
        }
        #expect(with * 2 < without, "\(with) bytes with the trained dictionary, \(without) without")
        #expect(throws: ZstdError.self) { try ZstdDictionary.train(samples: [[1, 2, 3]], maxSize: 4096) }
    }
}

@Suite("zstd compressor reuse")
struct CompressorReuseTests {
    @Test("a reset compressor makes the same frames as a fresh one")
    func resetMatchesFresh() throws {
        var generator = SeededGenerator.fromEnvironment("zstd compressor reuse")
        let dictionary = try #require(try Fixtures.dictionary("json.dict"))
        for level in [1, 3, 6] {
            for dictionary in [nil, dictionary] {
                let compressor = ZstdCompressor(dictionary: dictionary, options: .init(level: level))
                for size in [90, 0, 5000, 200_000, 120] {
                    let data = Corpus.make(.json, count: size, using: &generator)
                    let reused = compressor.compressFrame(data)
                    #expect(reused == Zstd.compress(data, level: level, dictionary: dictionary), "level \(level), \(size) bytes")
                    #expect(try Zstd.decompress(reused, dictionary: dictionary) == data)
                }
            }
        }
    }
}
