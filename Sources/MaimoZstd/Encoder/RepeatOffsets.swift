/// The three repeat offsets as the decoder keeps them (RFC 8878 §3.1.1.5), and how a match's
/// distance is coded against them: the block encoder codes with it, the optimal parser prices
/// with it, so both see the same codes.
struct RepeatOffsets {
    var r1: Int, r2: Int, r3: Int

    init(_ repeats: (Int, Int, Int)) { (r1, r2, r3) = repeats }

    var tuple: (Int, Int, Int) { (r1, r2, r3) }

    /// The offset value of a match at `distance` after `literalLength` literals (1–3 a repeat
    /// code, otherwise distance + 3), without changing the offsets.
    @inline(__always)
    func value(distance: Int, literalLength: Int) -> Int {
        if literalLength > 0 {
            return distance == r1 ? 1 : distance == r2 ? 2 : distance == r3 ? 3 : distance + 3
        }
        // With no literals the codes shift: 1 is the second offset, 3 the first minus one.
        return distance == r2 ? 1 : distance == r3 ? 2 : distance == r1 - 1 ? 3 : distance + 3
    }

    /// Codes a match at `distance` after `literalLength` literals and updates the offsets as the
    /// decoder will; returns the offset value.
    @inline(__always)
    mutating func code(distance: Int, literalLength: Int) -> Int {
        let value = value(distance: distance, literalLength: literalLength)
        // A repeat code that names the first offset leaves them as they are; any other moves
        // the distance to the front.
        if value == 1 && literalLength > 0 { return value }
        if value == 2 && literalLength > 0 || value == 1 && literalLength == 0 {
            r2 = r1
        } else {
            r3 = r2; r2 = r1
        }
        r1 = distance
        return value
    }
}
