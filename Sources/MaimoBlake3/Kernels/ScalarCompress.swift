// The single-block compressor on sixteen plain `UInt32` words, the reference's portable form.
//
// Debug builds (`-Onone`, where SwiftPM defines DEBUG) use it instead of the row and lane
// kernels: without the optimizer every operation on a SIMD type is a call into the standard
// library's unspecialised generic code (with metadata look-ups per lane), measured 10× slower
// than this code and 1,000× slower than a release build, while plain integer operations are
// inlined even there. Results are the same bit for bit; release builds never run it, and the
// tests check the row and lane kernels against it (HasherTests, KernelTests).

@inline(__always)
func scalarG(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32, _ x: UInt32, _ y: UInt32) {
    a = a &+ b &+ x
    d = ((d ^ a) &>> 16) | ((d ^ a) &<< 16)
    c = c &+ d
    b = ((b ^ c) &>> 12) | ((b ^ c) &<< 20)
    a = a &+ b &+ y
    d = ((d ^ a) &>> 8) | ((d ^ a) &<< 24)
    c = c &+ d
    b = ((b ^ c) &>> 7) | ((b ^ c) &<< 25)
}

/// The sixteen state words after the seven rounds, before the feed-forward, as `StateRows`.
func compressScalar(
    _ cv: SIMD8<UInt32>, _ message: SIMD16<UInt32>, blockLength: UInt32, counter: UInt64, flags: UInt32
) -> StateRows {
    var (v0, v1, v2, v3, v4, v5, v6, v7) = (cv[0], cv[1], cv[2], cv[3], cv[4], cv[5], cv[6], cv[7])
    var (v8, v9, v10, v11): (UInt32, UInt32, UInt32, UInt32) = (0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A)
    var (v12, v13, v14, v15) = (UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), blockLength, flags)
    var (m0, m1, m2, m3, m4, m5, m6, m7) = (message[0], message[1], message[2], message[3], message[4], message[5], message[6], message[7])
    var (m8, m9, m10, m11, m12, m13, m14, m15) = (message[8], message[9], message[10], message[11], message[12], message[13], message[14], message[15])
    for round in 0..<7 {
        scalarG(&v0, &v4, &v8, &v12, m0, m1)
        scalarG(&v1, &v5, &v9, &v13, m2, m3)
        scalarG(&v2, &v6, &v10, &v14, m4, m5)
        scalarG(&v3, &v7, &v11, &v15, m6, m7)
        scalarG(&v0, &v5, &v10, &v15, m8, m9)
        scalarG(&v1, &v6, &v11, &v12, m10, m11)
        scalarG(&v2, &v7, &v8, &v13, m12, m13)
        scalarG(&v3, &v4, &v9, &v14, m14, m15)
        if round < 6 {
            // The message permutation of the specification (section 2.2).
            (m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15) =
                (m2, m6, m3, m10, m7, m0, m4, m13, m1, m11, m12, m5, m9, m14, m15, m8)
        }
    }
    return StateRows(row0: SIMD4(v0, v1, v2, v3), row1: SIMD4(v4, v5, v6, v7), row2: SIMD4(v8, v9, v10, v11),
                     row3: SIMD4(v12, v13, v14, v15))
}
