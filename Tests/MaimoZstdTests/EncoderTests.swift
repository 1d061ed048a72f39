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
