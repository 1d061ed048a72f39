import Testing
import MaimoTestSupport
import MaimoBlake3
@testable import MaimoBao

struct BaoVectorFile: Decodable {
    struct HashCase: Decodable { let input_len: Int; let bao_hash: String }
    struct EncodeCase: Decodable {
        let input_len: Int; let output_len: Int; let bao_hash: String; let encoded_blake3: String; let corruptions: [Int]
    }
    struct OutboardCase: Decodable {
        let input_len: Int; let output_len: Int; let bao_hash: String; let encoded_blake3: String
        let outboard_corruptions: [Int]; let input_corruptions: [Int]
    }
    struct SeekCase: Decodable { let input_len: Int; let seek_offsets: [Int] }
    struct SliceCase: Decodable {
        struct Slice: Decodable { let start: UInt64; let len: UInt64; let output_len: Int; let output_blake3: String; let corruptions: [Int] }
        let input_len: Int; let bao_hash: String; let slices: [Slice]
    }
    let hash: [HashCase]
    let encode: [EncodeCase]
    let outboard: [OutboardCase]
    let seek: [SeekCase]
    let slice: [SliceCase]
}

/// The vectors' input: a little-endian 32-bit counter from 1, truncated to the length.
func baoInput(_ length: Int) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(length + 4)
    var counter: UInt32 = 1
    while out.count < length {
        withUnsafeBytes(of: counter.littleEndian) { out += $0 }
        counter += 1
    }
    return Array(out.prefix(length))
}

func digest(_ hex: String) throws -> Blake3.Digest { try Blake3.Digest(hex: hex) }

func flipped(_ bytes: [UInt8], at offset: Int) -> [UInt8] {
    var copy = bytes
    copy[offset] ^= 1
    return copy
}

@Suite("Bao vectors (bao crate 0.13)")
struct BaoVectorTests {
    let file: BaoVectorFile

    init() throws { file = try Vectors.load("bao", as: BaoVectorFile.self) }

    @Test func everyCategoryHasCases() {
        #expect(!file.hash.isEmpty && !file.encode.isEmpty && !file.outboard.isEmpty)
        #expect(!file.seek.isEmpty && !file.slice.isEmpty)
    }

    @Test func hashes() throws {
        for c in file.hash {
            #expect(Blake3.hash(baoInput(c.input_len)) == (try digest(c.bao_hash)), "length \(c.input_len)")
        }
    }

    @Test func combinedEncoding() throws {
        for c in file.encode {
            let input = baoInput(c.input_len)
            let (encoding, hash) = Bao.encode(input)
            #expect(hash == (try digest(c.bao_hash)), "length \(c.input_len)")
            #expect(encoding.count == c.output_len)
            #expect(UInt64(encoding.count) == Bao.encodedSize(contentLength: UInt64(c.input_len)))
            #expect(Blake3.hash(encoding) == (try digest(c.encoded_blake3)), "length \(c.input_len)")
            #expect(try Bao.decode(encoding, hash: hash) == input)
            var badHash = hash.bytes
            badHash[0] ^= 1
            #expect(throws: BaoError.self) { try Bao.decode(encoding, hash: try Blake3.Digest(bytes: badHash)) }
            for point in c.corruptions {
                #expect(throws: BaoError.self, "length \(c.input_len) corruption \(point)") {
                    try Bao.decode(flipped(encoding, at: point), hash: hash)
                }
            }
        }
    }

    @Test func outboardEncoding() throws {
        for c in file.outboard {
            let input = baoInput(c.input_len)
            let (outboard, hash) = input.withUnsafeBytes { Bao.outboard($0) }
            #expect(hash == (try digest(c.bao_hash)))
            #expect(outboard.count == c.output_len)
            #expect(UInt64(outboard.count) == Bao.outboardSize(contentLength: UInt64(c.input_len)))
            #expect(Blake3.hash(outboard) == (try digest(c.encoded_blake3)), "length \(c.input_len)")
            #expect(try Bao.decode(outboard: outboard, data: input, hash: hash) == input)
            for point in c.outboard_corruptions {
                #expect(throws: BaoError.self, "length \(c.input_len) outboard corruption \(point)") {
                    try Bao.decode(outboard: flipped(outboard, at: point), data: input, hash: hash)
                }
            }
            for point in c.input_corruptions {
                #expect(throws: BaoError.self, "length \(c.input_len) input corruption \(point)") {
                    try Bao.decode(outboard: outboard, data: flipped(input, at: point), hash: hash)
                }
            }
        }
    }

    @Test func seeking() throws {
        for c in file.seek {
            let input = baoInput(c.input_len)
            let (encoding, hash) = Bao.encode(input)
            let (outboard, _) = Bao.encode(input, outboard: true)
            var combined = BaoDecoder(combined: BaoBufferSource(encoding), hash: hash)
            var separate = BaoDecoder(outboard: BaoBufferSource(outboard), data: BaoBufferSource(input), hash: hash)
            for seek in c.seek_offsets {
                let capped = min(seek, input.count)
                var fresh = BaoDecoder(combined: BaoBufferSource(encoding), hash: hash)
                fresh.seek(to: UInt64(seek))
                #expect(try fresh.readToEnd() == Array(input[capped...]), "length \(c.input_len) seek \(seek)")
            }
            // Repeated seeks on one decoder, back and forth, 100 bytes each.
            let offsets = c.seek_offsets + c.seek_offsets.reversed() + zip(c.seek_offsets, c.seek_offsets.reversed()).flatMap { [$0, $1] }
            for seek in offsets {
                let capped = min(seek, input.count)
                let expected = Array(input[capped..<min(capped + 100, input.count)])
                combined.seek(to: UInt64(seek))
                separate.seek(to: UInt64(seek))
                #expect(try combined.read(count: expected.count) == expected, "combined seek \(seek)")
                #expect(try separate.read(count: expected.count) == expected, "outboard seek \(seek)")
            }
        }
    }

    @Test func slices() throws {
        for c in file.slice {
            let input = baoInput(c.input_len)
            let (encoding, hash) = Bao.encode(input)
            let (outboard, _) = Bao.encode(input, outboard: true)
            #expect(hash == (try digest(c.bao_hash)))
            for s in c.slices {
                let slice = try Bao.slice(encoding: encoding, start: s.start, count: s.len)
                #expect(slice.count == s.output_len, "length \(c.input_len) slice \(s.start)+\(s.len)")
                #expect(Blake3.hash(slice) == (try digest(s.output_blake3)), "length \(c.input_len) slice \(s.start)+\(s.len)")
                let fromOutboard = try Bao.slice(from: BaoBufferSource(outboard), data: BaoBufferSource(input), start: s.start, count: s.len)
                #expect(fromOutboard == slice)
                // The same slice from a tree pruned to 1 KiB, 2 KiB and 16 KiB groups.
                for group: UInt64 in [1024, 2048, 16384] {
                    let pruned = BaoGroupedOutboard.build(input, groupLength: group).tree
                    let grouped = BaoGroupedSource(data: BaoBufferSource(input), tree: BaoBufferSource(pruned),
                                                   contentLength: UInt64(input.count), groupLength: group)
                    #expect(try Bao.slice(from: grouped, start: s.start, count: s.len) == slice, "group \(group)")
                }
                let start = Int(min(s.start, UInt64(input.count)))
                let end = Int(min(s.start + s.len, UInt64(input.count)))
                #expect(try Bao.decodeSlice(slice, hash: hash, start: s.start, count: s.len) == Array(input[start..<max(start, end)]))
                for point in s.corruptions {
                    #expect(throws: BaoError.self, "length \(c.input_len) slice \(s.start)+\(s.len) corruption \(point)") {
                        try Bao.decodeSlice(flipped(slice, at: point), hash: hash, start: s.start, count: s.len)
                    }
                }
            }
        }
    }
}
