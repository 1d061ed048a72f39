@testable import MaimoZstd
import MaimoTestSupport
import Testing

/// Huffman-coded literal sections as the block encoder writes them (one stream, or four coded two
/// side by side) decode back with the decoder, at every remainder of the four-way split.
@Suite("zstd Huffman literal streams")
struct HuffmanStreamTests {
    @Test("literal sections of every length remainder and alphabet decode back", arguments: [2, 3, 17, 64, 256])
    func literalSectionsRoundTrip(alphabet: Int) throws {
        var generator = SeededGenerator.fromEnvironment("zstd huffman streams \(alphabet)")
        let decoder = ZstdDecompressor()
        decoder.blockMaximum = 1 << 17
        decoder.prepareLiterals()
        let output = UnsafeMutablePointer<UInt8>.allocate(capacity: (1 << 17) + 256)
        defer { output.deallocate() }
        var tested = 0
        for count in [100, 255, 256, 257, 258, 259, 1000, 1001, 1002, 1003, 4097, 4098, 4099, 65_535, 1 << 17] {
            // Skewed counts: low symbols common, so that codes range from short to the longest.
            let literals = (0..<count).map { _ in
                UInt8(min(alphabet - 1, Int((Double.random(in: 0..<1, using: &generator) * Double.random(in: 0..<1, using: &generator)) * Double(alphabet))))
            }
            let sequences = SequenceBuffer(blockSize: 1 << 17)
            literals.withUnsafeBufferPointer { sequences.addLastLiterals($0.baseAddress!, count) }
            var state = EntropyState()
            let size = try #require(BlockEncoder.encodeLiterals(sequences, state: &state, output: output, capacity: (1 << 17) + 200, preferRepeat: false))
            let type = output[0] & 3
            let (decoded, decodedCount, sectionSize) = try decoder.decodeLiterals(UnsafeRawBufferPointer(start: output, count: size), limit: 1 << 17, offset: 0)
            #expect(sectionSize == size && decodedCount == count, "\(count) literals of \(alphabet) symbols")
            #expect(Array(UnsafeBufferPointer(start: decoded, count: decodedCount)) == literals, "\(count) literals of \(alphabet) symbols")
            if type == 2 { tested += 1 }
        }
        // Most sections must have been Huffman-coded, or the test tested little.
        #expect(tested >= (alphabet == 256 ? 5 : 11), "only \(tested) sections were Huffman-coded")
    }
}
