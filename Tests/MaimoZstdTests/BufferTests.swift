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

    @Test("one decompressor and one destination serve many inputs; errors are typed and reset clears them")
    func decodeIntoAReusedBuffer() throws {
        var generator = SeededGenerator(seed: 0xB0FF)
        let inputs = (0..<4).map { Corpus.make(.mixed, count: 50_000 + 30_000 * $0, using: &generator) }
        let frames = inputs.map { Zstd.compress($0, level: 3) }
        let decoder = ZstdDecompressor()
        let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: 200_000, alignment: 16)
        defer { destination.deallocate() }
        for (input, frame) in zip(inputs, frames).reversed() {
            let written = try frame.withUnsafeBytes { try decoder.decompress($0, into: destination) }
            #expect(Array(destination.prefix(written)) == input)
        }
        // Two frames back to back are one input.
        let both = frames[0] + frames[1]
        let written = try both.withUnsafeBytes { try decoder.decompress($0, into: destination) }
        #expect(Array(destination.prefix(written)) == inputs[0] + inputs[1])
        // Too small a destination, then a cut frame; each call starts afresh.
        let small = UnsafeMutableRawBufferPointer(rebasing: destination[..<1000])
        #expect(throws: ZstdError.outputTooLarge(limit: 1000)) { try frames[0].withUnsafeBytes { try decoder.decompress($0, into: small) } }
        #expect(throws: ZstdError.self) { try frames[0].dropLast(5).withUnsafeBytes { try decoder.decompress($0, into: destination) } }
        #expect(try frames[2].withUnsafeBytes { try decoder.decompress($0, into: destination) } == inputs[2].count)
        // The streaming interface after a failure and reset.
        #expect(throws: ZstdError.self) { try decoder.decompress([0, 1, 2, 3]) { _ in } }
        #expect(throws: ZstdError.self) { try decoder.decompress(frames[0]) { _ in } }   // still failed
        decoder.reset()
        var output: [UInt8] = []
        try decoder.decompress(frames[3]) { output += $0 }
        try decoder.finish()
        #expect(output == inputs[3])
    }

    @Test("decoding in place into a destination of exactly the content's size writes nothing past it")
    func inPlaceStopsAtTheEnd() throws {
        var generator = SeededGenerator(seed: 0xE2AC7)
        let dictionary = ZstdDictionary(rawContent: Corpus.make(.json, count: 4096, using: &generator))
        for (index, kind) in Corpus.Kind.allCases.enumerated() {
            let input = Corpus.make(kind, count: 20_000 + 7_919 * index, using: &generator)
            // In place (content size declared), through the history (none declared, or a
            // dictionary), and the two back to back.
            let declared = Zstd.compress(input, level: 1 + index)
            let compressor = ZstdCompressor(options: .init(level: 3))
            var undeclared: [UInt8] = []
            try compressor.compress(input) { undeclared += $0 }
            try compressor.finish { undeclared += $0 }
            let withDictionary = Zstd.compress(input, level: 3, dictionary: dictionary)
            let decoder = ZstdDecompressor(dictionary: dictionary)
            for (frames, expected) in [(declared, input), (undeclared, input), (withDictionary, input),
                                       (declared + undeclared + declared, input + input + input)] {
                // A canary after the exact size: a wild copy past the end would change it.
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: expected.count + 64, alignment: 16)
                defer { buffer.deallocate() }
                buffer.initializeMemory(as: UInt8.self, repeating: 0xA5)
                let exact = UnsafeMutableRawBufferPointer(rebasing: buffer[..<expected.count])
                let written = try frames.withUnsafeBytes { try decoder.decompress($0, into: exact) }
                #expect(written == expected.count)
                #expect(Array(exact) == expected, "\(kind)")
                #expect(buffer[expected.count...].allSatisfy { $0 == 0xA5 }, "\(kind): bytes written past the destination")
            }
        }
    }

    @Test("a block whose last sequence ends the content is copied exactly at the destination's end")
    func lastSequenceAtTheEnd() throws {
        // A 1 KiB window, content size 10 in four bytes; one compressed block: raw literals "abcd", one
        // sequence (4 literals, offset 4, match 6) and no literals after it (MalformedTests
        // explains the bits), so a wild copy would run past the tenth byte.
        let body: [UInt8] = [4 << 3, 0x61, 0x62, 0x63, 0x64, 0x01, 0x54, 0x04, 0x02, 0x03, 0x07]
        let header = body.count << 3 | 2 << 1 | 1
        let frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x80, 0x00, 10, 0, 0, 0, UInt8(header & 0xFF), UInt8(header >> 8), 0] + body
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 10 + 64, alignment: 16)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xA5)
        let written = try frame.withUnsafeBytes { try ZstdDecompressor().decompress($0, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<10])) }
        #expect(written == 10)
        #expect(Array(buffer[..<10]) == Array("abcdabcdab".utf8))
        #expect(buffer[10...].allSatisfy { $0 == 0xA5 }, "bytes written past the destination")
    }
}
