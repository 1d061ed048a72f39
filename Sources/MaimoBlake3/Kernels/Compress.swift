// The single-block compression function (BLAKE3 spec, section 2.2), used for chunk tails,
// parent nodes, small messages and extended output.

/// Loads 16 little-endian message words from `block` (64 readable bytes, any alignment).
@inline(__always)
func loadMessageWords(_ block: UnsafeRawPointer) -> Words16<UInt32> {
    @inline(__always) func word(_ i: Int) -> UInt32 {
        UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
    }
    return Words16(
        word(0), word(1), word(2), word(3), word(4), word(5), word(6), word(7),
        word(8), word(9), word(10), word(11), word(12), word(13), word(14), word(15))
}

@inline(__always)
func messageWords(_ block: SIMD16<UInt32>) -> Words16<UInt32> {
    Words16(
        block[0], block[1], block[2], block[3], block[4], block[5], block[6], block[7],
        block[8], block[9], block[10], block[11], block[12], block[13], block[14], block[15])
}

/// Runs the compression function and returns the whole 16-word state before the final
/// feed-forward, which differs between chaining values and extended output.
@inline(__always)
func compressState(
    _ cv: SIMD8<UInt32>, _ message: Words16<UInt32>, blockLength: UInt32, counter: UInt64, flags: UInt32
) -> Words16<UInt32> {
    let iv = Blake3Constants.iv
    var s = Words16<UInt32>(
        cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], cv[6], cv[7],
        iv[0], iv[1], iv[2], iv[3],
        UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), blockLength, flags)
    blake3Rounds(&s, message)
    return s
}

/// The compression function truncated to a chaining value (the first 8 output words).
@inline(__always)
func compressToChainingValue(
    _ cv: SIMD8<UInt32>, _ message: Words16<UInt32>, blockLength: UInt32, counter: UInt64, flags: UInt32
) -> SIMD8<UInt32> {
    let s = compressState(cv, message, blockLength: blockLength, counter: counter, flags: flags)
    return SIMD8(
        s.w0 ^ s.w8, s.w1 ^ s.w9, s.w2 ^ s.w10, s.w3 ^ s.w11,
        s.w4 ^ s.w12, s.w5 ^ s.w13, s.w6 ^ s.w14, s.w7 ^ s.w15)
}

/// The full 64-byte output of the compression function, as used for extended output.
@inline(__always)
func compressToOutputBlock(
    _ cv: SIMD8<UInt32>, _ message: Words16<UInt32>, blockLength: UInt32, counter: UInt64, flags: UInt32
) -> SIMD16<UInt32> {
    let s = compressState(cv, message, blockLength: blockLength, counter: counter, flags: flags)
    return SIMD16(
        s.w0 ^ s.w8, s.w1 ^ s.w9, s.w2 ^ s.w10, s.w3 ^ s.w11,
        s.w4 ^ s.w12, s.w5 ^ s.w13, s.w6 ^ s.w14, s.w7 ^ s.w15,
        s.w8 ^ cv[0], s.w9 ^ cv[1], s.w10 ^ cv[2], s.w11 ^ cv[3],
        s.w12 ^ cv[4], s.w13 ^ cv[5], s.w14 ^ cv[6], s.w15 ^ cv[7])
}

/// The parent node's chaining value: the two children are the 64-byte message.
@inline(__always)
func parentChainingValue(
    _ left: SIMD8<UInt32>, _ right: SIMD8<UInt32>, key: SIMD8<UInt32>, flags: UInt32
) -> SIMD8<UInt32> {
    compressToChainingValue(
        key, parentMessage(left, right), blockLength: UInt32(Blake3Constants.blockLength), counter: 0,
        flags: flags | Blake3Constants.parent)
}

@inline(__always)
func parentMessage(_ left: SIMD8<UInt32>, _ right: SIMD8<UInt32>) -> Words16<UInt32> {
    Words16(
        left[0], left[1], left[2], left[3], left[4], left[5], left[6], left[7],
        right[0], right[1], right[2], right[3], right[4], right[5], right[6], right[7])
}
