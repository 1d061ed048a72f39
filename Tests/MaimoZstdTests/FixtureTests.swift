import MaimoTestSupport
import MaimoZstd
import Testing

/// Every committed frame made by the reference `zstd` decodes to the bytes it was made from.
@Suite("zstd fixtures")
struct FixtureTests {
    @Test("every fixture decodes one-shot", arguments: try Fixtures.manifest().map(\.name))
    func oneShot(name: String) throws {
        let entry = try #require(try Fixtures.manifest().first { $0.name == name })
        let output = try Zstd.decompress(Fixtures.bytes(name), dictionary: Fixtures.dictionary(entry.dictionary))
        #expect(output.count == entry.size)
        #expect(blake3Hex(output) == entry.blake3)
    }

    @Test("every fixture decodes when fed in random pieces")
    func streamed() throws {
        var generator = SeededGenerator.fromEnvironment("zstd fixtures streamed")
        for entry in try Fixtures.manifest() {
            let frame = try Fixtures.bytes(entry.name)
            let pieces = (0..<8).map { _ in Int.random(in: 1...4096, using: &generator) }
            let output = try decompressInPieces(frame, pieces: pieces, dictionary: Fixtures.dictionary(entry.dictionary))
            #expect(blake3Hex(output) == entry.blake3, "\(entry.name) in pieces \(pieces)")
            if frame.count < 20_000 {
                let bytewise = try decompressInPieces(frame, pieces: [1], dictionary: Fixtures.dictionary(entry.dictionary))
                #expect(blake3Hex(bytewise) == entry.blake3, "\(entry.name) one byte at a time")
            }
        }
    }
}
