// The round function of the transposed many-input kernel, generic over the vector width (one
// chunk or parent per lane), and the rotations shared with the row-form single-block compressor.

/// A vector of 32-bit words with the four rotations BLAKE3 uses.

protocol Blake3Word {
    static func &+ (lhs: Self, rhs: Self) -> Self
    static func ^ (lhs: Self, rhs: Self) -> Self
    func rotatedRight16() -> Self
    func rotatedRight12() -> Self
    func rotatedRight8() -> Self
    func rotatedRight7() -> Self
}

// Vector rotations are written with `&+` rather than `|`: the two halves never overlap, so the
// result is the same, and in a default (SSE2) build LLVM otherwise matches `|` as a rotate and
// scalarises it into four `roll`s. With AVX-512 enabled the add form still becomes `vprold`.
extension SIMD4<UInt32>: Blake3Word {
    @inline(__always) func rotatedRight16() -> Self { (self &>> 16) &+ (self &<< 16) }
    @inline(__always) func rotatedRight12() -> Self { (self &>> 12) &+ (self &<< 20) }
    @inline(__always) func rotatedRight8() -> Self { (self &>> 8) &+ (self &<< 24) }
    @inline(__always) func rotatedRight7() -> Self { (self &>> 7) &+ (self &<< 25) }
}

extension SIMD8<UInt32>: Blake3Word {
    @inline(__always) func rotatedRight16() -> Self { (self &>> 16) &+ (self &<< 16) }
    @inline(__always) func rotatedRight12() -> Self { (self &>> 12) &+ (self &<< 20) }
    @inline(__always) func rotatedRight8() -> Self { (self &>> 8) &+ (self &<< 24) }
    @inline(__always) func rotatedRight7() -> Self { (self &>> 7) &+ (self &<< 25) }
}

extension SIMD16<UInt32>: Blake3Word {
    @inline(__always) func rotatedRight16() -> Self { (self &>> 16) &+ (self &<< 16) }
    @inline(__always) func rotatedRight12() -> Self { (self &>> 12) &+ (self &<< 20) }
    @inline(__always) func rotatedRight8() -> Self { (self &>> 8) &+ (self &<< 24) }
    @inline(__always) func rotatedRight7() -> Self { (self &>> 7) &+ (self &<< 25) }
}

/// The sixteen words of the compression state (or of a message block), as named locals so that
/// the optimiser keeps them in registers.

struct Words16<W: Blake3Word> {
    var w0, w1, w2, w3, w4, w5, w6, w7: W
    var w8, w9, w10, w11, w12, w13, w14, w15: W

    @inline(__always)
    init(
        _ w0: W, _ w1: W, _ w2: W, _ w3: W, _ w4: W, _ w5: W, _ w6: W, _ w7: W,
        _ w8: W, _ w9: W, _ w10: W, _ w11: W, _ w12: W, _ w13: W, _ w14: W, _ w15: W
    ) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
        self.w4 = w4; self.w5 = w5; self.w6 = w6; self.w7 = w7
        self.w8 = w8; self.w9 = w9; self.w10 = w10; self.w11 = w11
        self.w12 = w12; self.w13 = w13; self.w14 = w14; self.w15 = w15
    }

    /// BLAKE3's fixed message permutation, applied between rounds.
    @inline(__always)
    func permuted() -> Words16 {
        Words16(w2, w6, w3, w10, w7, w0, w4, w13, w1, w11, w12, w5, w9, w14, w15, w8)
    }
}

/// Four independent G functions, step by step side by side (as the reference's vector kernels
/// write them), so that the scheduler sees four chains at once; the message word is added
/// before `b`, off the critical path. One G after the other, 1 MiB hashed at 5.1 GB/s with
/// AVX-512; this way, 5.4 GB/s.
@inline(__always)
func blake3G4<W: Blake3Word>(
    _ a0: inout W, _ b0: inout W, _ c0: inout W, _ d0: inout W, _ x0: W, _ y0: W,
    _ a1: inout W, _ b1: inout W, _ c1: inout W, _ d1: inout W, _ x1: W, _ y1: W,
    _ a2: inout W, _ b2: inout W, _ c2: inout W, _ d2: inout W, _ x2: W, _ y2: W,
    _ a3: inout W, _ b3: inout W, _ c3: inout W, _ d3: inout W, _ x3: W, _ y3: W
) {
    a0 = a0 &+ x0 &+ b0; a1 = a1 &+ x1 &+ b1; a2 = a2 &+ x2 &+ b2; a3 = a3 &+ x3 &+ b3
    d0 = (d0 ^ a0).rotatedRight16(); d1 = (d1 ^ a1).rotatedRight16()
    d2 = (d2 ^ a2).rotatedRight16(); d3 = (d3 ^ a3).rotatedRight16()
    c0 = c0 &+ d0; c1 = c1 &+ d1; c2 = c2 &+ d2; c3 = c3 &+ d3
    b0 = (b0 ^ c0).rotatedRight12(); b1 = (b1 ^ c1).rotatedRight12()
    b2 = (b2 ^ c2).rotatedRight12(); b3 = (b3 ^ c3).rotatedRight12()
    a0 = a0 &+ y0 &+ b0; a1 = a1 &+ y1 &+ b1; a2 = a2 &+ y2 &+ b2; a3 = a3 &+ y3 &+ b3
    d0 = (d0 ^ a0).rotatedRight8(); d1 = (d1 ^ a1).rotatedRight8()
    d2 = (d2 ^ a2).rotatedRight8(); d3 = (d3 ^ a3).rotatedRight8()
    c0 = c0 &+ d0; c1 = c1 &+ d1; c2 = c2 &+ d2; c3 = c3 &+ d3
    b0 = (b0 ^ c0).rotatedRight7(); b1 = (b1 ^ c1).rotatedRight7()
    b2 = (b2 ^ c2).rotatedRight7(); b3 = (b3 ^ c3).rotatedRight7()
}

@inline(__always)
func blake3Round<W: Blake3Word>(_ s: inout Words16<W>, _ m: Words16<W>) {
    // Columns, then diagonals.
    blake3G4(
        &s.w0, &s.w4, &s.w8, &s.w12, m.w0, m.w1, &s.w1, &s.w5, &s.w9, &s.w13, m.w2, m.w3,
        &s.w2, &s.w6, &s.w10, &s.w14, m.w4, m.w5, &s.w3, &s.w7, &s.w11, &s.w15, m.w6, m.w7)
    blake3G4(
        &s.w0, &s.w5, &s.w10, &s.w15, m.w8, m.w9, &s.w1, &s.w6, &s.w11, &s.w12, m.w10, m.w11,
        &s.w2, &s.w7, &s.w8, &s.w13, m.w12, m.w13, &s.w3, &s.w4, &s.w9, &s.w14, m.w14, m.w15)
}

/// The seven rounds of the compression function, message permuted between them.
@inline(__always)
func blake3Rounds<W: Blake3Word>(_ s: inout Words16<W>, _ message: Words16<W>) {
    var m = message
    blake3Round(&s, m); m = m.permuted()
    blake3Round(&s, m); m = m.permuted()
    blake3Round(&s, m); m = m.permuted()
    blake3Round(&s, m); m = m.permuted()
    blake3Round(&s, m); m = m.permuted()
    blake3Round(&s, m); m = m.permuted()
    blake3Round(&s, m)
}
