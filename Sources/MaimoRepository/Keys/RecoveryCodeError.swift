/// Why a recovery code was refused.
public enum RecoveryCodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not `maimo1` followed by the code.
    case wrongPrefix
    /// The code has `count` characters after removing spaces and dashes, instead of 64.
    case wrongLength(Int)
    /// A character outside the bech32 alphabet, at this position (1-based, spaces and dashes not counted).
    case badCharacter(position: Int)
    /// Upper and lower case mixed.
    case mixedCase
    /// The checksum does not match: a character was mistyped (or two swapped).
    case badChecksum
    /// The padding bits after the 256 secret bits are not zero.
    case badPadding

    public var description: String {
        switch self {
        case .wrongPrefix: return "it must start with maimo1"
        case let .wrongLength(count): return "it has \(count) characters, a recovery code has 64"
        case let .badCharacter(position): return "character \(position) is not one a recovery code uses"
        case .mixedCase: return "it mixes upper and lower case"
        case .badChecksum: return "the checksum does not match: a character is mistyped"
        case .badPadding: return "its last data character is not one a recovery code can end with"
        }
    }
}
