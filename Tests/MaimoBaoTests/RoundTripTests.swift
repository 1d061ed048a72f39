import Testing
import MaimoTestSupport
import MaimoBlake3
@testable import MaimoBao

@Suite("Bao round trips")
struct RoundTripTests {
    static let sizes: [Int] = {
        var sizes: Set<Int> = [0, 1, 1023, 1024, 1025, 2047, 2048, 2049]
        for k in 1...10 {
            for delta in [-1, 0, 1] { sizes.insert((1 << k) * 1024 + delta) }
        }
        for batches in [1, 2, 3] { sizes.insert(batches * 256 * 1024 + 1); sizes.insert(batches * 256 * 1024 - 1) }
        return sizes.sorted()
    }()

    /// The streaming encoder, fed in random pieces, against the in-memory one.
    func streamed(_ input: [UInt8], outboard: Bool, using generator: inout SeededGenerator) throws -> ([UInt8], Blake3.Digest) {
        var encoder = BaoEncoder(contentLength: UInt64(input.count), outboard: outboard, sink: BaoBufferSink())
        var offset = 0
        while offset < input.count {
            let limit = Bool.random(using: &generator) ? 3000 : 700_000
            let n = min(input.count - offset, Int.random(in: 1...limit, using: &generator))
            try encoder.update(Array(input[offset..<(offset + n)]))
            offset += n
        }
        let hash = try encoder.finalize()
        return (encoder.sink.bytes, hash)
    }

    @Test func boundarySizes() throws {
        var generator = SeededGenerator.fromEnvironment("Bao boundarySizes")
        for size in Self.sizes {
            let input = randomBytes(size, using: &generator)
            let (encoding, hash) = Bao.encode(input)
            let (outboard, outboardHash) = Bao.encode(input, outboard: true)
            #expect(hash == Blake3.hash(input), "size \(size)")
            #expect(outboardHash == hash)
            #expect(try Bao.decode(encoding, hash: hash) == input, "size \(size)")
            #expect(try Bao.decode(outboard: outboard, data: input, hash: hash) == input, "size \(size)")
            let (streamedEncoding, streamedHash) = try streamed(input, outboard: false, using: &generator)
            #expect(streamedHash == hash && streamedEncoding == encoding, "streamed combined, size \(size)")
            let (streamedOutboard, _) = try streamed(input, outboard: true, using: &generator)
            #expect(streamedOutboard == outboard, "streamed outboard, size \(size)")
        }
    }

    @Test func randomSizesAndSlices() throws {
        var generator = SeededGenerator.fromEnvironment("Bao randomSizesAndSlices")
        for _ in 0..<6 {
            let size = Int.random(in: 0...(3 << 20), using: &generator)
            let input = randomBytes(size, using: &generator)
            let (encoding, hash) = Bao.encode(input)
            #expect(try Bao.decode(encoding, hash: hash) == input, "size \(size)")
            for _ in 0..<20 {
                let start = UInt64.random(in: 0...UInt64(size + 10), using: &generator)
                let count = UInt64.random(in: 0...20_000, using: &generator)
                let slice = try Bao.slice(encoding: encoding, start: start, count: count)
                let from = Int(min(start, UInt64(size))), to = Int(min(start + count, UInt64(size)))
                #expect(try Bao.decodeSlice(slice, hash: hash, start: start, count: count) == Array(input[from..<max(from, to)]),
                        "size \(size) slice \(start)+\(count)")
                // A slice proves only its own range: another range must not verify from it.
                if size > 4096, count > 0, start + count < UInt64(size) / 2 {
                    #expect(throws: BaoError.self) {
                        try Bao.decodeSlice(slice, hash: hash, start: UInt64(size) - 1, count: 1)
                    }
                }
            }
        }
    }

    @Test func everyByteFlipIsRejected() throws {
        var generator = SeededGenerator.fromEnvironment("Bao everyByteFlipIsRejected")
        for size in [0, 1, 100, 1024, 1025, 2049, 3 * 1024 + 7] {
            let input = randomBytes(size, using: &generator)
            let (encoding, hash) = Bao.encode(input)
            let (outboard, _) = Bao.encode(input, outboard: true)
            for offset in encoding.indices {
                for bit in [0, 7] {
                    var corrupt = encoding
                    corrupt[offset] ^= UInt8(1 << bit)
                    // The header's high bytes can only grow the length: still an error, never data.
                    #expect(throws: BaoError.self, "size \(size) offset \(offset) bit \(bit)") { try Bao.decode(corrupt, hash: hash) }
                }
            }
            for offset in outboard.indices {
                var corrupt = outboard
                corrupt[offset] ^= 0x10
                #expect(throws: BaoError.self, "outboard size \(size) offset \(offset)") {
                    try Bao.decode(outboard: corrupt, data: input, hash: hash)
                }
            }
            // Truncation anywhere is an error too.
            for cut in stride(from: 0, to: encoding.count, by: max(1, encoding.count / 50)) {
                #expect(throws: BaoError.self, "size \(size) cut \(cut)") { try Bao.decode(Array(encoding[..<cut]), hash: hash) }
            }
        }
    }

    @Test func errorsSayWhere() throws {
        let input = [UInt8](repeating: 7, count: 5 * 1024)
        let (encoding, hash) = Bao.encode(input)
        // Layout: header, root, parent over chunks 0–3, parent 0–1, chunk 0 at offset 8+64*3.
        var corrupt = encoding
        corrupt[8 + 64 * 3 + 10] ^= 1
        #expect(throws: BaoError.chunkHashMismatch(chunkIndex: 0)) { try Bao.decode(corrupt, hash: hash) }
        corrupt = encoding
        corrupt[8 + 64 + 5] ^= 1  // the record of the parent over chunks 0–3, promised by the root
        #expect(throws: BaoError.parentHashMismatch(encodingOffset: 72, contentOffset: 0)) { try Bao.decode(corrupt, hash: hash) }
        corrupt = encoding
        corrupt[8 + 40] ^= 1  // the root record itself
        #expect(throws: BaoError.parentHashMismatch(encodingOffset: 8, contentOffset: 0)) { try Bao.decode(corrupt, hash: hash) }
        #expect(throws: BaoError.truncated(offset: UInt64(encoding.count - 10), needed: 10)) {
            try Bao.decode(Array(encoding.dropLast(10)), hash: hash)
        }
        // A decoder hands out the verified chunks before the one that fails.
        corrupt = encoding
        corrupt[encoding.count - 1] ^= 1
        var decoder = BaoDecoder(combined: BaoBufferSource(corrupt), hash: hash)
        #expect(try decoder.read(count: 4096) == Array(input[..<4096]))
        #expect(throws: BaoError.chunkHashMismatch(chunkIndex: 4)) { try decoder.read(count: 1024) }
    }

    @Test func encoderRefusesWrongLengths() throws {
        var encoder = BaoEncoder(contentLength: 10, sink: BaoBufferSink())
        try encoder.update([1, 2, 3])
        #expect(throws: BaoError.lengthMismatch(expected: 10, received: 3)) { _ = try encoder.finalize() }
        #expect(throws: BaoError.lengthMismatch(expected: 10, received: 14)) { try encoder.update([UInt8](repeating: 0, count: 11)) }
    }
}
