@testable import MaimoZstd
import MaimoTestSupport
import Testing

/// The decoder's buffers follow the output, not the frame header's claims
/// (Sources/MaimoZstd/Decoder/DecoderBuffers.swift).
@Suite("zstd decoder buffers")
struct BufferTests {
    @Test("a header that claims a 4 MiB window and content reserves only what its first block fills")
    func headerClaimsReserveNothing() throws {
        // Window descriptor 0x60: 2^(10 + 12) = 4 MiB; 8-byte content size 4 MiB; one raw
        // block of five bytes, not the last.
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xC0, 0x60]
        frame += withUnsafeBytes(of: UInt64(1 << 22).littleEndian, Array.init)
        let header = 5 << 3
        frame += [UInt8(header & 0xFF), UInt8(header >> 8), 0] + Array("hello".utf8)
        let decoder = ZstdDecompressor(options: .init(maxWindowSize: 1 << 22))
        var output: [UInt8] = []
        try decoder.decompress(frame) { output += $0 }
        #expect(output == Array("hello".utf8))
        #expect(decoder.historyLimit > 1 << 22)
        #expect(decoder.historyCapacity <= (1 << 17) + 64)
        #expect(decoder.pendingCapacity <= 64)
        // A later block that needs more makes it grow, up to the limit and no further.
        let more = [UInt8](repeating: 7, count: 100_000)
        let blockHeader = more.count << 3
        try decoder.decompress([UInt8(blockHeader & 0xFF), UInt8((blockHeader >> 8) & 0xFF), UInt8(blockHeader >> 16)] + more) {
            output += $0
        }
        #expect(output.count == 100_005)
        #expect(decoder.historyCapacity >= 100_005 && decoder.historyCapacity <= decoder.historyLimit)
    }

    @Test("a stream grows its history, then slides, and matches reach across both", arguments: [1, 997, 1 << 16])
    func growThenSlide(pieceSize: Int) throws {
        // 3 MiB in a 256 KiB window: repeats at distances up to 200 KB, so matches cross each
        // point where the history grew (doubling from one block) and later slid.
        var generator = SeededGenerator(seed: 0x5EED)
        var data: [UInt8] = []
        data.reserveCapacity(3 << 20)
        while data.count < 3 << 20 {
            if data.count > 1000, generator.next() % 3 != 0 {
                let distance = Int(generator.next() % UInt64(min(data.count, 200_000))) + 1
                let length = Int(generator.next() % 300) + 4
                for _ in 0..<length { data.append(data[data.count - distance]) }
            } else {
                for _ in 0..<Int(generator.next() % 64) { data.append(UInt8(truncatingIfNeeded: generator.next())) }
            }
        }
        var parameters = ZstdParameters.level(3)
        parameters.windowLog = 18
        let compressor = ZstdCompressor(options: .init(parameters: parameters))
        var frame: [UInt8] = []
        try compressor.compress(data) { frame += $0 }
        try compressor.finish { frame += $0 }

        let decoder = ZstdDecompressor()
        var output: [UInt8] = []
        var capacities: Set<Int> = []
        var cursor = 0
        while cursor < frame.count {
            let piece = Array(frame[cursor..<min(frame.count, cursor + pieceSize)])
            try decoder.decompress(piece) { output += $0 }
            capacities.insert(decoder.historyCapacity)
            #expect(decoder.historyCapacity <= decoder.historyLimit)
            cursor += piece.count
        }
        try decoder.finish()
        #expect(output == data)
        #expect(capacities.count >= 3, "the history grew in steps: \(capacities.sorted())")
        #expect(decoder.historyLimit < 3 << 20, "a 256 KiB window bounds the history, so it slid")
    }
}
