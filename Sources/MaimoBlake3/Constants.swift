// BLAKE3 constants from the specification (section 2).

/// Sizes and domain-separation flags of BLAKE3.

enum Blake3Constants {
    static let blockLength = 64
    static let chunkLength = 1024

    /// The IV: the first 32 bits of the fractional parts of the square roots of the first 8 primes (as SHA-256).
    static let iv = SIMD8<UInt32>(
        0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A,
        0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19
    )

    /// The IV as an inlined literal, for the single-block compressor: reading the stored `iv`
    /// (a lazily initialised global) there meant a `swift_once` call, with the registers spilled
    /// around it, in every compression. The many-lane kernel keeps the stored one, whose check
    /// is hoisted out of its loops.
    @inline(__always)
    static var ivLiteral: SIMD8<UInt32> {
        SIMD8<UInt32>(
            0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A,
            0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19)
    }

    static let chunkStart: UInt32 = 1 << 0
    static let chunkEnd: UInt32 = 1 << 1
    static let parent: UInt32 = 1 << 2
    static let root: UInt32 = 1 << 3
    static let keyedHash: UInt32 = 1 << 4
    static let deriveKeyContext: UInt32 = 1 << 5
    static let deriveKeyMaterial: UInt32 = 1 << 6
}
