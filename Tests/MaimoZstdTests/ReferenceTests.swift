import Foundation
import MaimoTestSupport
import MaimoZstd
import Testing

/// Fresh data of several kinds compressed by the reference `zstd` at several settings, decoded
/// here and compared. Runs wherever `zstd` is installed; under CI (`CI` set) it must be.
@Suite("zstd against the reference tool")
struct ReferenceTests {
    static let settings: [[String]] = [
        ["--fast=3"], ["-1"], ["-3"], ["-9"], ["-19"],
        ["-3", "--no-check"], ["-1", "--zstd=wlog=17"], ["--long=27", "-3"], ["-3", "-B200000"],
    ]

    @Test("reference frames of generated data decode", arguments: settings)
    func decodesReferenceFrames(arguments: [String]) throws {
        guard referenceZstdAvailable else {
            return
        }
        var generator = SeededGenerator.fromEnvironment("zstd reference \(arguments.joined(separator: " "))")
        for kind in Corpus.Kind.allCases {
            for size in [0, 1, 100, 5000, 140_000, 700_000] where kind == .mixed || size <= 140_000 {
                let data = Corpus.make(kind, count: size, using: &generator)
                // Piped (no content size) so that large inputs keep the level's window and slide.
                let frame = try referenceZstd(["-q", "-c"] + arguments, input: data)
                let output = try Zstd.decompress(frame)
                #expect(output == data, "\(kind) \(size) bytes with \(arguments)")
            }
        }
    }

    @Test("a larger input than the window slides the history (1.5 MB, 128 KiB window)")
    func slidesTheWindow() throws {
        guard referenceZstdAvailable else { return }
        var generator = SeededGenerator.fromEnvironment("zstd sliding window")
        let data = Corpus.make(.mixed, count: 1_500_000, using: &generator)
        let frame = try referenceZstd(["-q", "-c", "-3", "--zstd=wlog=17"], input: data)
        #expect(try decompressInPieces(frame, pieces: [65_536, 7, 100_000]) == data)
    }

    @Test("reference frames with a trained dictionary decode")
    func decodesWithTrainedDictionary() throws {
        guard referenceZstdAvailable else { return }
        var generator = SeededGenerator.fromEnvironment("zstd reference dictionary")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-zstd-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var samples = [String]()
        for i in 0..<300 {
            let path = directory.appendingPathComponent("\(i).json").path
            try Data(Corpus.record(i, using: &generator)).write(to: URL(fileURLWithPath: path))
            samples.append(path)
        }
        let dictionaryPath = directory.appendingPathComponent("dict").path
        _ = try referenceZstd(["-q", "--train"] + samples + ["--maxdict=8192", "-o", dictionaryPath], input: [])
        let dictionary = try ZstdDictionary([UInt8](Data(contentsOf: URL(fileURLWithPath: dictionaryPath))))
        #expect(dictionary.id != 0)
        for level in ["-1", "-3", "-19"] {
            for i in 0..<20 {
                let record = Corpus.record(10_000 + i, using: &generator)
                let frame = try referenceZstd(["-q", "-c", level, "-D", dictionaryPath], input: record)
                #expect(try Zstd.decompress(frame, dictionary: dictionary) == record)
            }
        }
    }
}
