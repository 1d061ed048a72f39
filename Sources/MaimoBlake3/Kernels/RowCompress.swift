// The single-block compressor in row form: the 4×4 state as four `SIMD4<UInt32>` rows, so each
// step of G runs on all four columns (then, after rotating rows 1–3, all four diagonals) at once.
// Four-wide vectors exist on every target (SSE2, NEON), so this is the fast path everywhere for
// what cannot be batched: small messages, the last blocks of a chunk, parents, extended output.

/// The compression state as rows: row 0 = v0…v3, row 1 = v4…v7, row 2 = v8…v11, row 3 = v12…v15.
struct StateRows {
    var row0, row1, row2, row3: SIMD4<UInt32>
}

@inline(__always)
func rowHalfG(_ s: inout StateRows, _ m: SIMD4<UInt32>, first: Bool) {
    // The message word first: it is ready early, `row1` is the end of the previous step.
    s.row0 = s.row0 &+ m &+ s.row1
    s.row3 = first ? (s.row3 ^ s.row0).rotatedRight16() : (s.row3 ^ s.row0).rotatedRight8()
    s.row2 = s.row2 &+ s.row3
    s.row1 = first ? (s.row1 ^ s.row2).rotatedRight12() : (s.row1 ^ s.row2).rotatedRight7()
}

@inline(__always)
func rotateLanesLeft(_ v: SIMD4<UInt32>, by n: Int) -> SIMD4<UInt32> {
    SIMD4(v[n & 3], v[(n + 1) & 3], v[(n + 2) & 3], v[(n + 3) & 3])
}

/// One round on rows: G on the columns, then on the diagonals (rows 1–3 rotated into place).
@inline(__always)
func rowRound(_ s: inout StateRows, _ m: SIMD16<UInt32>) {
    rowHalfG(&s, SIMD4(m[0], m[2], m[4], m[6]), first: true)
    rowHalfG(&s, SIMD4(m[1], m[3], m[5], m[7]), first: false)
    s.row1 = rotateLanesLeft(s.row1, by: 1)
    s.row2 = rotateLanesLeft(s.row2, by: 2)
    s.row3 = rotateLanesLeft(s.row3, by: 3)
    rowHalfG(&s, SIMD4(m[8], m[10], m[12], m[14]), first: true)
    rowHalfG(&s, SIMD4(m[9], m[11], m[13], m[15]), first: false)
    s.row1 = rotateLanesLeft(s.row1, by: 3)
    s.row2 = rotateLanesLeft(s.row2, by: 2)
    s.row3 = rotateLanesLeft(s.row3, by: 1)
}

@inline(__always)
func permuteMessage(_ m: SIMD16<UInt32>) -> SIMD16<UInt32> {
    SIMD16(m[2], m[6], m[3], m[10], m[7], m[0], m[4], m[13], m[1], m[11], m[12], m[5], m[9], m[14], m[15], m[8])
}

/// The seven rounds on rows; the state before the final feed-forward.
@inline(__always)
func compressRows(
    _ cv: SIMD8<UInt32>, _ message: SIMD16<UInt32>, blockLength: UInt32, counter: UInt64, flags: UInt32
) -> StateRows {
    let iv = Blake3Constants.ivLiteral
    var s = StateRows(
        row0: cv.lowHalf, row1: cv.highHalf, row2: iv.lowHalf,
        row3: SIMD4(UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), blockLength, flags))
    var m = message
    rowRound(&s, m); m = permuteMessage(m)
    rowRound(&s, m); m = permuteMessage(m)
    rowRound(&s, m); m = permuteMessage(m)
    rowRound(&s, m); m = permuteMessage(m)
    rowRound(&s, m); m = permuteMessage(m)
    rowRound(&s, m); m = permuteMessage(m)
    rowRound(&s, m)
    return s
}
