@testable import MaimoZstd
import Testing

/// The sequence loop's match copy against byte-by-byte LZ77 semantics: every short offset (the
/// overlapping patterns, copied by zstd's `overlapCopy8` steps) and the first long ones, at every
/// length up to 64, into a buffer whose slack takes the copy's overshoot.
@Suite("zstd match copies")
struct MatchCopyTests {
    @Test("copyMatch repeats the pattern of every offset from 1 to 40 at every length to 64")
    func everyOffsetAndLength() {
        let history = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for offset in 1...40 {
            for length in 1...64 {
                var fast = [UInt8](repeating: 0, count: 64 + length + 32)
                fast.replaceSubrange(0..<64, with: history)
                var exact = fast
                fast.withUnsafeMutableBufferPointer { copyMatch($0.baseAddress! + 64, offset: offset, length: length) }
                for i in 64..<(64 + length) { exact[i] = exact[i - offset] }
                #expect(Array(fast[0..<(64 + length)]) == Array(exact[0..<(64 + length)]), "offset \(offset), length \(length)")
            }
        }
    }
}
