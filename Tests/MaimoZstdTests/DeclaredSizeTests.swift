import MaimoZstd
import Testing

/// `Zstd.declaredContentSize` walks frame and block headers; `Zstd.decompress` decodes into an
/// array of that size when it is known. A frame's claim is checked by decoding it, never trusted.
@Suite("zstd declared content sizes")
struct DeclaredSizeTests {
    /// A single-segment frame of one raw block: `content`, with `declared` in its header.
    static func rawFrame(_ content: [UInt8], declared: UInt8) -> [UInt8] {
        let header = content.count << 3 | 1   // raw, last
        return [0x28, 0xB5, 0x2F, 0xFD, 0x20, declared, UInt8(header & 0xFF), UInt8((header >> 8) & 0xFF), UInt8(header >> 16)] + content
    }

    static func size(_ data: [UInt8]) -> UInt64? { data.withUnsafeBytes { Zstd.declaredContentSize($0) } }

    @Test func sizesOfWholeFramesAddUp() throws {
        let text = Array(String(repeating: "a line of text that repeats\n", count: 3000).utf8)
        let first = Zstd.compress(text, level: 3)
        let second = Zstd.compress(Array(text.prefix(777)), level: 1, checksum: false)
        let skippable: [UInt8] = [0x5A, 0x2A, 0x4D, 0x18, 3, 0, 0, 0, 1, 2, 3]
        #expect(Self.size(first) == UInt64(text.count))
        #expect(Self.size(first + skippable + second) == UInt64(text.count + 777))
        #expect(Self.size([]) == 0)
        // Several frames decode into one array of their total.
        #expect(try Zstd.decompress(first + skippable + second) == text + text.prefix(777))
        #expect(try Zstd.decompress(Self.rawFrame([1, 2, 3], declared: 3)) == [1, 2, 3])
    }

    @Test func unknownOrBrokenSizesAreNil() throws {
        let text = Array(String(repeating: "streamed without a size\n", count: 500).utf8)
        let compressor = ZstdCompressor(options: .init(level: 3))
        var streamed: [UInt8] = []
        try compressor.compress(text) { streamed.append(contentsOf: $0) }
        try compressor.finish { streamed.append(contentsOf: $0) }
        #expect(Self.size(streamed) == nil)
        #expect(try Zstd.decompress(streamed) == text)
        let whole = Zstd.compress(text)
        #expect(Self.size(Array(whole.dropLast())) == nil)
        #expect(Self.size(whole + [0x28]) == nil)
        #expect(Self.size(Array("not zstd at all".utf8)) == nil)
        var reserved = whole
        reserved[4] |= 0x08
        #expect(Self.size(reserved) == nil)
    }

    @Test func aFrameThatLiesAboutItsSizeIsRefused() {
        for declared: UInt8 in [0, 2, 4, 200] {
            #expect(throws: ZstdError.self, "declared \(declared)") { try Zstd.decompress(Self.rawFrame([1, 2, 3], declared: declared)) }
        }
        // Two frames whose sizes add up while each lies: still refused.
        let lying = Self.rawFrame([1, 2, 3], declared: 2) + Self.rawFrame([4], declared: 2)
        #expect(Self.size(lying) == 4)
        #expect(throws: ZstdError.self) { try Zstd.decompress(lying) }
    }
}
