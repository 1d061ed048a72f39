// The transposed many-input kernel (the Rust crate's `hash_many`): one input per SIMD lane, so
// each vector instruction advances N chunks (or N parent nodes) by one step of the round function.
// Message blocks are loaded lane by lane as whole rows and transposed with `evenHalf`/`oddHalf`
// shuffles (with AVX-512 mostly `vpermt2d`, some folded by LLVM into partial loads), never
// gathered word by word.

/// A vector of `UInt32` lanes that the many-input kernel can run on.
protocol Blake3Lanes: SIMD, Blake3Word where Scalar == UInt32 {
    /// Loads the 64-byte block at `base + lane * stride` for every lane and transposes it, so that
    /// word `j` of the result holds message word `j` of every lane.
    static func loadTransposed(_ base: UnsafeRawPointer, stride: Int) -> Words16<Self>
}

extension Blake3Lanes {
    @inline(__always)
    static func splat(_ value: UInt32) -> Self { Self(repeating: value) }
}

extension SIMD16<UInt32>: Blake3Lanes {
    @inline(__always)
    static func loadTransposed(_ base: UnsafeRawPointer, stride: Int) -> Words16<SIMD16<UInt32>> {
        @inline(__always) func row(_ lane: Int) -> Self {
            base.loadUnaligned(fromByteOffset: lane * stride, as: Self.self).fromLittleEndian
        }
        var r = Words16(
            row(0), row(1), row(2), row(3), row(4), row(5), row(6), row(7),
            row(8), row(9), row(10), row(11), row(12), row(13), row(14), row(15))
        r = unzip16(r); r = unzip16(r); r = unzip16(r); r = unzip16(r)
        return r
    }

    @inline(__always)
    static func unzip16(_ r: Words16<Self>) -> Words16<Self> {
        @inline(__always) func e(_ a: Self, _ b: Self) -> Self { Self(lowHalf: a.evenHalf, highHalf: b.evenHalf) }
        @inline(__always) func o(_ a: Self, _ b: Self) -> Self { Self(lowHalf: a.oddHalf, highHalf: b.oddHalf) }
        return Words16(
            e(r.w0, r.w1), e(r.w2, r.w3), e(r.w4, r.w5), e(r.w6, r.w7),
            e(r.w8, r.w9), e(r.w10, r.w11), e(r.w12, r.w13), e(r.w14, r.w15),
            o(r.w0, r.w1), o(r.w2, r.w3), o(r.w4, r.w5), o(r.w6, r.w7),
            o(r.w8, r.w9), o(r.w10, r.w11), o(r.w12, r.w13), o(r.w14, r.w15))
    }
}

extension SIMD8<UInt32>: Blake3Lanes {
    @inline(__always)
    static func loadTransposed(_ base: UnsafeRawPointer, stride: Int) -> Words16<SIMD8<UInt32>> {
        // Words 0–7 of lane l in row l, words 8–15 in row 8 + l: two 8×8 transposes.
        @inline(__always) func row(_ lane: Int, _ half: Int) -> Self {
            base.loadUnaligned(fromByteOffset: lane * stride + 32 * half, as: Self.self).fromLittleEndian
        }
        var r = Words16(
            row(0, 0), row(1, 0), row(2, 0), row(3, 0), row(4, 0), row(5, 0), row(6, 0), row(7, 0),
            row(0, 1), row(1, 1), row(2, 1), row(3, 1), row(4, 1), row(5, 1), row(6, 1), row(7, 1))
        r = unzip8x2(r); r = unzip8x2(r); r = unzip8x2(r)
        return r
    }

    @inline(__always)
    static func unzip8x2(_ r: Words16<Self>) -> Words16<Self> {
        @inline(__always) func e(_ a: Self, _ b: Self) -> Self { Self(lowHalf: a.evenHalf, highHalf: b.evenHalf) }
        @inline(__always) func o(_ a: Self, _ b: Self) -> Self { Self(lowHalf: a.oddHalf, highHalf: b.oddHalf) }
        return Words16(
            e(r.w0, r.w1), e(r.w2, r.w3), e(r.w4, r.w5), e(r.w6, r.w7),
            o(r.w0, r.w1), o(r.w2, r.w3), o(r.w4, r.w5), o(r.w6, r.w7),
            e(r.w8, r.w9), e(r.w10, r.w11), e(r.w12, r.w13), e(r.w14, r.w15),
            o(r.w8, r.w9), o(r.w10, r.w11), o(r.w12, r.w13), o(r.w14, r.w15))
    }
}

extension SIMD4<UInt32>: Blake3Lanes {
    @inline(__always)
    static func loadTransposed(_ base: UnsafeRawPointer, stride: Int) -> Words16<SIMD4<UInt32>> {
        // Group q holds words 4q…4q+3 of lanes 0–3: four 4×4 transposes.
        @inline(__always) func row(_ lane: Int, _ quarter: Int) -> Self {
            base.loadUnaligned(fromByteOffset: lane * stride + 16 * quarter, as: Self.self).fromLittleEndian
        }
        var r = Words16(
            row(0, 0), row(1, 0), row(2, 0), row(3, 0), row(0, 1), row(1, 1), row(2, 1), row(3, 1),
            row(0, 2), row(1, 2), row(2, 2), row(3, 2), row(0, 3), row(1, 3), row(2, 3), row(3, 3))
        r = unzip4x4(r); r = unzip4x4(r)
        return r
    }

    @inline(__always)
    static func unzip4x4(_ r: Words16<Self>) -> Words16<Self> {
        @inline(__always) func e(_ a: Self, _ b: Self) -> Self { Self(lowHalf: a.evenHalf, highHalf: b.evenHalf) }
        @inline(__always) func o(_ a: Self, _ b: Self) -> Self { Self(lowHalf: a.oddHalf, highHalf: b.oddHalf) }
        return Words16(
            e(r.w0, r.w1), e(r.w2, r.w3), o(r.w0, r.w1), o(r.w2, r.w3),
            e(r.w4, r.w5), e(r.w6, r.w7), o(r.w4, r.w5), o(r.w6, r.w7),
            e(r.w8, r.w9), e(r.w10, r.w11), o(r.w8, r.w9), o(r.w10, r.w11),
            e(r.w12, r.w13), e(r.w14, r.w15), o(r.w12, r.w13), o(r.w14, r.w15))
    }
}

/// Compresses `V.scalarCount` inputs of `blockCount` blocks each, input `l` starting at
/// `base + l * stride`, and writes their chaining values to `out[0..<V.scalarCount]`.
/// Chunks use `counter + l` per lane; parent nodes use counter 0 for every lane.
/// How many blocks ahead of the one being compressed the chunk kernel prefetches (2 and 4
/// measured alike; 8 was slower).
let prefetchDistance = 2

@inline(__always)
func hashLanes<V: Blake3Lanes>(
    _: V.Type, base: UnsafeRawPointer, stride: Int, blockCount: Int, key: SIMD8<UInt32>,
    counter: UInt64, incrementCounter: Bool, flags: UInt32, flagsStart: UInt32, flagsEnd: UInt32,
    out: UnsafeMutablePointer<SIMD8<UInt32>>
) {
    var laneOffsets = V()
    if incrementCounter { for lane in 0..<V.scalarCount { laneOffsets[lane] = UInt32(lane) } }
    let low = UInt32(truncatingIfNeeded: counter)
    let counterLow = V.splat(low) &+ laneOffsets
    // A lane's low word wrapped when it came out smaller than the base counter's low word.
    let carry = V.splat(0).replacing(with: 1, where: counterLow .< V.splat(low))
    let counterHigh = V.splat(UInt32(truncatingIfNeeded: counter >> 32)) &+ carry

    var h0 = V.splat(key[0]), h1 = V.splat(key[1]), h2 = V.splat(key[2]), h3 = V.splat(key[3])
    var h4 = V.splat(key[4]), h5 = V.splat(key[5]), h6 = V.splat(key[6]), h7 = V.splat(key[7])
    let blockLength = V.splat(UInt32(Blake3Constants.blockLength))
    for block in 0..<blockCount {
        var blockFlags = flags
        if block == 0 { blockFlags |= flagsStart }
        if block == blockCount - 1 { blockFlags |= flagsEnd }
        let message = V.loadTransposed(base + block * Blake3Constants.blockLength, stride: stride)
        // Chunks are read as V streams 1 KiB apart; asking for the block two ahead in each keeps
        // the kernel fed from memory (64 MiB: 3.3 → 4.5 GB/s with AVX-512), as the reference
        // kernels do. The last blocks ask for the first of the next V chunks, hashed next.
        if blockCount > 1 {
            let ahead = block + prefetchDistance
            let offset = ahead < blockCount
                ? ahead * Blake3Constants.blockLength
                : V.scalarCount * stride + (ahead - blockCount) * Blake3Constants.blockLength
            for lane in 0..<V.scalarCount { prefetchForReading(base + lane * stride + offset) }
        }
        var s = Words16<V>(
            h0, h1, h2, h3, h4, h5, h6, h7,
            .splat(Blake3Constants.iv[0]), .splat(Blake3Constants.iv[1]),
            .splat(Blake3Constants.iv[2]), .splat(Blake3Constants.iv[3]),
            counterLow, counterHigh, blockLength, .splat(blockFlags))
        blake3Rounds(&s, message)
        h0 = s.w0 ^ s.w8; h1 = s.w1 ^ s.w9; h2 = s.w2 ^ s.w10; h3 = s.w3 ^ s.w11
        h4 = s.w4 ^ s.w12; h5 = s.w5 ^ s.w13; h6 = s.w6 ^ s.w14; h7 = s.w7 ^ s.w15
    }
    for lane in 0..<V.scalarCount {
        out[lane] = SIMD8(h0[lane], h1[lane], h2[lane], h3[lane], h4[lane], h5[lane], h6[lane], h7[lane])
    }
}
