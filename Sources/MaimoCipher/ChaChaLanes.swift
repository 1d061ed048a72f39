// Several ChaCha blocks at once, one per SIMD lane (as BoringSSL and the Rust crates do): state
// word j of every block in one vector, so each instruction advances N blocks.

/// Writes `source` XOR eight consecutive keystream blocks, from block `counter`, to
/// `destination` (512 bytes each; the two may be the same).
@inline(__always)
func chachaLanes(
    key: SIMD8<UInt32>, nonce: SIMD4<UInt32>, counter: UInt64, wideCounter: Bool, doubleRounds: Int,
    source: UnsafeRawPointer, destination: UnsafeMutableRawPointer
) {
    typealias V = SIMD8<UInt32>
    var offsets = V()
    for lane in 0..<V.scalarCount { offsets[lane] = UInt32(lane) }
    let low = UInt32(truncatingIfNeeded: counter)
    let counterLow = V(repeating: low) &+ offsets
    let carry = V(repeating: 0).replacing(with: 1, where: counterLow .< V(repeating: low))
    let word13 = wideCounter ? V(repeating: UInt32(truncatingIfNeeded: counter >> 32)) &+ carry : V(repeating: nonce[1])

    let c = ChaCha.constants
    let i0 = V(repeating: c[0]), i1 = V(repeating: c[1]), i2 = V(repeating: c[2]), i3 = V(repeating: c[3])
    let i4 = V(repeating: key[0]), i5 = V(repeating: key[1]), i6 = V(repeating: key[2]), i7 = V(repeating: key[3])
    let i8 = V(repeating: key[4]), i9 = V(repeating: key[5]), i10 = V(repeating: key[6]), i11 = V(repeating: key[7])
    let i12 = counterLow, i13 = word13, i14 = V(repeating: nonce[2]), i15 = V(repeating: nonce[3])
    var x0 = i0, x1 = i1, x2 = i2, x3 = i3, x4 = i4, x5 = i5, x6 = i6, x7 = i7
    var x8 = i8, x9 = i9, x10 = i10, x11 = i11, x12 = i12, x13 = i13, x14 = i14, x15 = i15

    // Literal scalar shift counts and `&+` (the halves never overlap): with vector counts, or
    // with `|`, LLVM matched a rotate and scalarised the whole kernel into `roll`s in SSE2 builds.
    @inline(__always) func quarter(_ a: inout V, _ b: inout V, _ c: inout V, _ d: inout V) {
        a = a &+ b; d = d ^ a; d = (d &<< 16) &+ (d &>> 16)
        c = c &+ d; b = b ^ c; b = (b &<< 12) &+ (b &>> 20)
        a = a &+ b; d = d ^ a; d = (d &<< 8) &+ (d &>> 24)
        c = c &+ d; b = b ^ c; b = (b &<< 7) &+ (b &>> 25)
    }
    for _ in 0..<doubleRounds {
        quarter(&x0, &x4, &x8, &x12); quarter(&x1, &x5, &x9, &x13)
        quarter(&x2, &x6, &x10, &x14); quarter(&x3, &x7, &x11, &x15)
        quarter(&x0, &x5, &x10, &x15); quarter(&x1, &x6, &x11, &x12)
        quarter(&x2, &x7, &x8, &x13); quarter(&x3, &x4, &x9, &x14)
    }
    x0 = x0 &+ i0; x1 = x1 &+ i1; x2 = x2 &+ i2; x3 = x3 &+ i3
    x4 = x4 &+ i4; x5 = x5 &+ i5; x6 = x6 &+ i6; x7 = x7 &+ i7
    x8 = x8 &+ i8; x9 = x9 &+ i9; x10 = x10 &+ i10; x11 = x11 &+ i11
    x12 = x12 &+ i12; x13 = x13 &+ i13; x14 = x14 &+ i14; x15 = x15 &+ i15
    // Back from one word per vector to one block per vector with shuffles and whole-vector stores:
    // extracting lanes one by one made LLVM scalarise the entire kernel.
    let first = transpose8(x0, x1, x2, x3, x4, x5, x6, x7)
    let second = transpose8(x8, x9, x10, x11, x12, x13, x14, x15)
    @inline(__always) func emit(_ lane: Int, _ a: SIMD8<UInt32>, _ b: SIMD8<UInt32>) {
        xorHalfBlock(a, from: source + 64 * lane, into: destination + 64 * lane)
        xorHalfBlock(b, from: source + 64 * lane + 32, into: destination + 64 * lane + 32)
    }
    emit(0, first.0, second.0); emit(1, first.1, second.1); emit(2, first.2, second.2); emit(3, first.3, second.3)
    emit(4, first.4, second.4); emit(5, first.5, second.5); emit(6, first.6, second.6); emit(7, first.7, second.7)
}

/// The 8×8 transpose of eight vectors: three rounds of pairing even and odd elements.
@inline(__always)
func transpose8(
    _ a0: SIMD8<UInt32>, _ a1: SIMD8<UInt32>, _ a2: SIMD8<UInt32>, _ a3: SIMD8<UInt32>,
    _ a4: SIMD8<UInt32>, _ a5: SIMD8<UInt32>, _ a6: SIMD8<UInt32>, _ a7: SIMD8<UInt32>
) -> (SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>) {
    @inline(__always) func e(_ a: SIMD8<UInt32>, _ b: SIMD8<UInt32>) -> SIMD8<UInt32> { SIMD8(lowHalf: a.evenHalf, highHalf: b.evenHalf) }
    @inline(__always) func o(_ a: SIMD8<UInt32>, _ b: SIMD8<UInt32>) -> SIMD8<UInt32> { SIMD8(lowHalf: a.oddHalf, highHalf: b.oddHalf) }
    var r = (a0, a1, a2, a3, a4, a5, a6, a7)
    r = (e(r.0, r.1), e(r.2, r.3), e(r.4, r.5), e(r.6, r.7), o(r.0, r.1), o(r.2, r.3), o(r.4, r.5), o(r.6, r.7))
    r = (e(r.0, r.1), e(r.2, r.3), e(r.4, r.5), e(r.6, r.7), o(r.0, r.1), o(r.2, r.3), o(r.4, r.5), o(r.6, r.7))
    r = (e(r.0, r.1), e(r.2, r.3), e(r.4, r.5), e(r.6, r.7), o(r.0, r.1), o(r.2, r.3), o(r.4, r.5), o(r.6, r.7))
    return r
}

@inline(__always)
func xorHalfBlock(_ words: SIMD8<UInt32>, from source: UnsafeRawPointer, into destination: UnsafeMutableRawPointer) {
    var littleEndian = words
    for i in 0..<8 { littleEndian[i] = words[i].littleEndian }
    destination.storeBytes(of: source.loadUnaligned(as: SIMD8<UInt32>.self) ^ littleEndian, as: SIMD8<UInt32>.self)
}
