/// Errors of MaimoBlake3.
public enum Blake3Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// A key was not 32 bytes long; the associated value is the length given.
    case invalidKeyLength(Int)
    /// A hex string was not 64 hexadecimal digits; the associated value is the first bad offset.
    case invalidHex(offset: Int)
    /// A digest or chaining value was not 32 bytes long.
    case invalidDigestLength(Int)
    /// A hazmat input offset was not a multiple of the 1024-byte chunk length.
    case misalignedInputOffset(UInt64)
    /// A hazmat subtree was empty (away from offset 0) or longer than its offset allows.
    case invalidSubtreeLength(length: UInt64, inputOffset: UInt64)
    /// `setInputOffset` was called after input was added.
    case inputOffsetAfterInput

    public var description: String {
        switch self {
        case .invalidKeyLength(let n): "BLAKE3 key must be 32 bytes, got \(n)"
        case .invalidHex(let offset): "invalid hex digest at character \(offset): expected 64 lowercase or uppercase hex digits"
        case .invalidDigestLength(let n): "BLAKE3 digest must be 32 bytes, got \(n)"
        case .misalignedInputOffset(let offset): "input offset \(offset) is not a multiple of the 1024-byte chunk length"
        case .invalidSubtreeLength(let length, let offset):
            "a subtree of \(length) bytes cannot start at offset \(offset) (at most the largest power of two dividing the offset, and not empty)"
        case .inputOffsetAfterInput: "the input offset can only be set before any input is added"
        }
    }
}
