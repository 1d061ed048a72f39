/// Sequence execution (RFC 8878 §3.1.1.4): copy literals, then a match from the history.
/// Copies are "wild": they move 16 bytes at a time and may write up to 32 bytes past the end,
/// into slack the buffers keep for that purpose.
@inline(__always)
func copy16(_ destination: UnsafeMutablePointer<UInt8>, _ source: UnsafePointer<UInt8>) {
    UnsafeMutableRawPointer(destination).storeBytes(
        of: UnsafeRawPointer(source).loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
}

@inline(__always)
func copy8(_ destination: UnsafeMutablePointer<UInt8>, _ source: UnsafePointer<UInt8>) {
    UnsafeMutableRawPointer(destination).storeBytes(
        of: UnsafeRawPointer(source).loadUnaligned(as: UInt64.self), as: UInt64.self)
}

/// Copies `count` bytes from a source that does not overlap the destination's next 16 bytes.
@inline(__always)
func wildCopy16(_ destination: UnsafeMutablePointer<UInt8>, _ source: UnsafePointer<UInt8>, _ count: Int) {
    copy16(destination, source)
    var i = 16
    while i < count {
        copy16(destination + i, source + i)
        i &+= 16
    }
}

/// Copies a match of `length` bytes from `offset` bytes back, with LZ77 semantics for overlaps
/// (a short offset repeats its pattern). Writes up to 32 bytes past `destination + length`.
@inline(__always)
func copyMatch(_ destination: UnsafeMutablePointer<UInt8>, offset: Int, length: Int) {
    var source = UnsafePointer(destination - offset)
    if offset >= 16 {
        wildCopy16(destination, source, length)
        return
    }
    var out = destination
    if offset < 8 {
        // zstd's `ZSTD_overlapCopy8`: four bytes one at a time, four more from a point that
        // repeats the pattern, then the source moved back to a multiple of the offset at least
        // 8 behind, so that 8-byte copies repeat the pattern without overlapping themselves.
        // The two small tables are packed into constants (no division, no array accessor).
        out[0] = source[0]; out[1] = source[1]; out[2] = source[2]; out[3] = source[3]
        let shift = UInt64(truncatingIfNeeded: offset &* 8)
        source += Int(truncatingIfNeeded: (0x0404_0404_0102_0100 as UInt64) &>> shift & 0xFF)
        UnsafeMutableRawPointer(out + 4).storeBytes(of: UnsafeRawPointer(source).loadUnaligned(as: UInt32.self), as: UInt32.self)
        source -= Int(truncatingIfNeeded: (0x0B0A_0908_0708_0808 as UInt64) &>> shift & 0xFF)
        source += 8
        out += 8
        if length <= 8 { return }
    }
    let end = destination + length
    while out < end {
        copy8(out, source)
        out += 8
        source += 8
    }
}

/// Copies a match byte by byte, writing nothing past `destination + length`: for the last
/// sequences of a caller's buffer, where a wild copy's overshoot would leave it.
@inline(never)
func copyMatchExactly(_ destination: UnsafeMutablePointer<UInt8>, offset: Int, length: Int) {
    for i in 0..<length { destination[i] = destination[i - offset] }
}
