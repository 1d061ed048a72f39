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
        // Spread the first 8 bytes one at a time, then copy from a multiple of the offset that is
        // at least 8 back, which repeats the same pattern without overlapping an 8-byte load.
        for i in 0..<8 { out[i] = source[i] }
        out += 8
        let period = offset * ((8 + offset - 1) / offset)
        source = UnsafePointer(out - period)
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
