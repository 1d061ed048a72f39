// The content size frames declare, found by walking their headers and block headers without
// decoding anything (the reference's `ZSTD_findDecompressedSize`). One-shot decompression uses it
// to decode into an array of exactly that size, in place, instead of growing one block by block.

extension Zstd {
    /// The total content size the frames of `data` declare — skippable frames count nothing —
    /// or nil when a frame declares none, or `data` is not a sequence of whole frames. Nothing is
    /// decoded and nothing is verified: a frame may lie, and decoding it says so.
    public static func declaredContentSize(_ data: UnsafeRawBufferPointer) -> UInt64? {
        var offset = 0
        var total: UInt64 = 0
        while offset < data.count {
            guard data.count - offset >= 8 else { return nil }
            let magic = UInt32(littleEndian: data.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            if magic & 0xFFFF_FFF0 == skippableFrameMagic {
                let length = UInt32(littleEndian: data.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                guard UInt64(length) <= UInt64(data.count - offset - 8) else { return nil }
                offset += 8 + Int(length)
                continue
            }
            guard magic == frameMagic else { return nil }
            let descriptor = data[offset + 4]
            guard descriptor & 0x08 == 0 else { return nil }
            let fields = ZstdDecompressor.headerFields(descriptor)
            let sizeBytes = fields.contentSizeSize
            guard sizeBytes > 0 else { return nil }
            var cursor = offset + 5 + (fields.singleSegment ? 0 : 1) + fields.dictionaryIDSize
            guard cursor + sizeBytes <= data.count else { return nil }
            var size: UInt64 = 0
            for i in 0..<sizeBytes { size |= UInt64(data[cursor + i]) << (8 * UInt64(i)) }
            if sizeBytes == 2 { size += 256 }
            cursor += sizeBytes
            while true {
                guard data.count - cursor >= 3 else { return nil }
                let header = Int(data[cursor]) | Int(data[cursor + 1]) << 8 | Int(data[cursor + 2]) << 16
                let type = (header >> 1) & 3
                guard type != 3 else { return nil }
                let length = type == 1 ? 1 : header >> 3
                guard data.count - cursor - 3 >= length else { return nil }
                cursor += 3 + length
                if header & 1 != 0 { break }
            }
            if descriptor & 0x04 != 0 {
                guard data.count - cursor >= 4 else { return nil }
                cursor += 4
            }
            let (sum, overflow) = total.addingReportingOverflow(size)
            guard !overflow else { return nil }
            total = sum
            offset = cursor
        }
        return total
    }
}
