import Foundation
import MaimoTestSupport
import MaimoZstd
import Testing

/// Bad input gets a typed error that says what and where, never a trap or unverified bytes.
@Suite("zstd malformed input")
struct MalformedTests {
    /// A frame of raw blocks built by hand: header with a content size, then `blocks`.
    static func rawFrame(declaring size: UInt8?, blocks: [[UInt8]], checksum: Bool = false) -> [UInt8] {
        var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD]
        if let size {
            frame += [0x20 | (checksum ? 0x04 : 0), size]   // single segment, 1-byte content size
        } else {
            frame += [checksum ? 0x04 : 0, 0x00]             // 1 KiB window, no content size
        }
        for (i, block) in blocks.enumerated() {
            let header = (block.count << 3) | (i == blocks.count - 1 ? 1 : 0)
            frame += [UInt8(header & 0xFF), UInt8((header >> 8) & 0xFF), UInt8(header >> 16)]
            frame += block
        }
        return frame
    }

    /// A frame with no content size whose one block is a compressed block of `body`.
    static func compressedFrame(_ body: [UInt8]) -> [UInt8] {
        let header = body.count << 3 | 2 << 1 | 1
        return [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x00, UInt8(header & 0xFF), UInt8((header >> 8) & 0xFF), UInt8(header >> 16)] + body
    }

    @Test("hand-made blocks: RLE literals, raw literals with RLE-mode sequence tables")
    func handMadeCompressedBlocks() throws {
        // RLE literals block (type 1, 20 times "x"), then a sequences section with no sequences.
        #expect(try Zstd.decompress(Self.compressedFrame([20 << 3 | 1, UInt8(ascii: "x"), 0])) == Array(repeating: UInt8(ascii: "x"), count: 20))
        // Raw literals "abcd", one sequence: literal length 4 (code 4), offset value 7 (code 2,
        // extra bits 3, so offset 4), match length 6 (code 3); all three tables in RLE mode.
        // The bitstream holds the two offset bits under its end marker: 0b111.
        let body: [UInt8] = [4 << 3, 0x61, 0x62, 0x63, 0x64, 0x01, 0x54, 0x04, 0x02, 0x03, 0x07]
        #expect(try Zstd.decompress(Self.compressedFrame(body)) == Array("abcdabcdab".utf8))
        // The same with a symbol beyond the literal-length codes is refused.
        var bad = body
        bad[7] = 36
        #expect(throws: ZstdError.corrupt(offset: 16, reason: "RLE symbol 36 of the literal lengths is out of range")) {
            try Zstd.decompress(Self.compressedFrame(bad))
        }
        // Repeat mode in the first block of a frame has no table to repeat.
        var repeatMode = body
        repeatMode[6] = 0xFC
        #expect(throws: ZstdError.self) { try Zstd.decompress(Self.compressedFrame(repeatMode)) }
        // An offset reaching before the start of the frame.
        var far = body
        far[8] = 5   // offset code 5: at least 32 - 3 = 29 bytes back
        #expect(throws: ZstdError.self) { try Zstd.decompress(Self.compressedFrame(far)) }
    }

    @Test func handMadeRawFrameDecodes() throws {
        #expect(try Zstd.decompress(Self.rawFrame(declaring: 5, blocks: [[1, 2], [3, 4, 5]])) == [1, 2, 3, 4, 5])
        #expect(try Zstd.decompress(Self.rawFrame(declaring: nil, blocks: [[9]])) == [9])
    }

    @Test func contentSizeMustMatch() {
        #expect(throws: ZstdError.contentSizeMismatch(offset: 0, declared: 5, actual: 4)) {
            try Zstd.decompress(Self.rawFrame(declaring: 5, blocks: [[1, 2, 3, 4]]))
        }
        #expect(throws: ZstdError.contentSizeMismatch(offset: 0, declared: 3, actual: 4)) {
            try Zstd.decompress(Self.rawFrame(declaring: 3, blocks: [[1, 2], [3, 4]]))
        }
    }

    @Test func unknownMagicAndReservedBits() throws {
        #expect(throws: ZstdError.unknownMagic(offset: 0, magic: 0x0403_0201)) { try Zstd.decompress([1, 2, 3, 4, 5]) }
        let good = try Fixtures.bytes("json-1.zst")
        #expect(throws: ZstdError.unknownMagic(offset: UInt64(good.count), magic: 0x0403_0201)) {
            try Zstd.decompress(good + [1, 2, 3, 4])
        }
        var reserved = Self.rawFrame(declaring: 1, blocks: [[7]])
        reserved[4] |= 0x08
        #expect(throws: ZstdError.corrupt(offset: 4, reason: "reserved bit of the frame header descriptor is set")) {
            try Zstd.decompress(reserved)
        }
        var blockType = Self.rawFrame(declaring: 1, blocks: [[7]])
        blockType[6] |= 0x06
        #expect(throws: ZstdError.corrupt(offset: 6, reason: "reserved block type")) { try Zstd.decompress(blockType) }
    }

    @Test func truncationIsReportedWithItsOffset() throws {
        let frame = try Fixtures.bytes("text-3.zst")
        for cut in [1, 4, 5, 7, 100, frame.count - 4, frame.count - 1] {
            #expect(throws: ZstdError.truncated(frameOffset: 0, offset: UInt64(cut))) {
                try Zstd.decompress(Array(frame.prefix(cut)))
            }
        }
        // A skippable frame cut short is truncated too.
        #expect(throws: ZstdError.self) { try Zstd.decompress([0x50, 0x2A, 0x4D, 0x18, 10, 0, 0, 0, 1, 2]) }
    }

    @Test func checksumMismatchIsDetected() throws {
        var frame = try Fixtures.bytes("json-3.zst")
        frame[frame.count - 1] ^= 0x40
        #expect {
            try Zstd.decompress(frame)
        } throws: { error in
            guard case .checksumMismatch(let offset, _, _) = error as? ZstdError else { return false }
            return offset == UInt64(frame.count - 4)
        }
        // With verification off the same bytes come out.
        let options = ZstdDecompressionOptions(verifiesChecksum: false)
        #expect(try Zstd.decompress(frame, options: options).count == 60_000)
    }

    @Test func dictionaryMustMatchTheFrame() throws {
        let frame = try Fixtures.bytes("dict-record.zst")
        let dictionary = try #require(try Fixtures.dictionary("json.dict"))
        #expect(throws: ZstdError.dictionaryMismatch(offset: 0, frameDictionaryID: dictionary.id, suppliedDictionaryID: nil)) {
            try Zstd.decompress(frame)
        }
        let raw = try #require(try Fixtures.dictionary("raw.dict"))
        #expect(raw.id == 0)
        #expect(throws: ZstdError.dictionaryMismatch(offset: 0, frameDictionaryID: dictionary.id, suppliedDictionaryID: 0)) {
            try Zstd.decompress(frame, dictionary: raw)
        }
        // A frame without a dictionary ID made with a dictionary fails without it (its checksum or
        // its offsets give it away), never returns other bytes silently.
        #expect(throws: ZstdError.self) { try Zstd.decompress(Fixtures.bytes("dict-no-id.zst")) }
    }

    @Test func malformedDictionaryIsRejected() throws {
        var bytes = try Fixtures.bytes("json.dict")
        bytes[9] ^= 0xFF
        #expect(throws: ZstdError.self) { try ZstdDictionary(bytes) }
        #expect(throws: ZstdError.self) { try ZstdDictionary(Array(bytes.prefix(40))) }
    }

    @Test func windowLimitRefusesBombs() throws {
        let frame = try Fixtures.bytes("text-piped-long.zst")   // asks for a 128 MiB window
        #expect(throws: ZstdError.windowTooLarge(offset: 0, windowSize: 1 << 27, limit: 1 << 20)) {
            try Zstd.decompress(frame, options: .init(maxWindowSize: 1 << 20))
        }
        #expect(throws: ZstdError.outputTooLarge(limit: 1000)) {
            try Zstd.decompress(Fixtures.bytes("runs-1.zst"), maxOutputSize: 1000)
        }
    }

    @Test func failureIsSticky() throws {
        let decoder = ZstdDecompressor()
        #expect(throws: ZstdError.self) { try decoder.decompress([0, 0, 0, 0]) { (_) throws(ZstdError) in } }
        #expect(throws: ZstdError.unknownMagic(offset: 0, magic: 0)) {
            try decoder.decompress(try Fixtures.bytes("json-1.zst")) { (_) throws(ZstdError) in }
        }
    }
}
