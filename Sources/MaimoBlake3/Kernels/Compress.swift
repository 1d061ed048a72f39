// The single-block compression function (BLAKE3 spec, section 2.2), used for chunk tails,
// parent nodes, small messages and extended output.

/// Loads 16 little-endian message words from `block` (64 readable bytes, any alignment).
@inline(__always)
func loadMessageWords(_ block: UnsafeRawPointer) -> SIMD16<UInt32> {
    block.loadUnaligned(as: SIMD16<UInt32>.self).fromLittleEndian
}

/// The state after the seven rounds: the row kernel, or in a debug build the scalar one
/// (ScalarCompress.swift says why).
@inline(__always)
func compressState(
    _ cv: SIMD8<UInt32>, _ message: SIMD16<UInt32>, blockLength: UInt32, counter: UInt64, flags: UInt32
) -> StateRows {
    #if DEBUG
    return compressScalar(cv, message, blockLength: blockLength, counter: counter, flags: flags)
    #else
    return compressRows(cv, message, blockLength: blockLength, counter: counter, flags: flags)
    #endif
}

/// The compression function truncated to a chaining value (the first 8 output words).
@inline(__always)
func compressToChainingValue(
    _ cv: SIMD8<UInt32>, _ message: SIMD16<UInt32>, blockLength: UInt32, counter: UInt64, flags: UInt32
) -> SIMD8<UInt32> {
    let s = compressState(cv, message, blockLength: blockLength, counter: counter, flags: flags)
    return SIMD8(lowHalf: s.row0 ^ s.row2, highHalf: s.row1 ^ s.row3)
}

/// The full 64-byte output of the compression function, as used for extended output.
@inline(__always)
func compressToOutputBlock(
    _ cv: SIMD8<UInt32>, _ message: SIMD16<UInt32>, blockLength: UInt32, counter: UInt64, flags: UInt32
) -> SIMD16<UInt32> {
    let s = compressState(cv, message, blockLength: blockLength, counter: counter, flags: flags)
    return SIMD16(
        lowHalf: SIMD8(lowHalf: s.row0 ^ s.row2, highHalf: s.row1 ^ s.row3),
        highHalf: SIMD8(lowHalf: s.row2 ^ cv.lowHalf, highHalf: s.row3 ^ cv.highHalf))
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
func parentMessage(_ left: SIMD8<UInt32>, _ right: SIMD8<UInt32>) -> SIMD16<UInt32> {
    SIMD16(lowHalf: left, highHalf: right)
}
