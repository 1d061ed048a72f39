/// Errors of MaimoCipher.
public enum CipherError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A key was not 32 bytes; the associated value is the length given.
    case invalidKeyLength(Int)
    /// A nonce had the wrong length for the construction.
    case invalidNonceLength(expected: Int, got: Int)
    /// The keystream would pass the end of the block counter (2^32 blocks in the IETF layout).
    case counterOverflow
    /// The tag did not match: wrong key, wrong nonce or associated data, or tampered ciphertext.
    /// Nothing was decrypted.
    case authenticationFailed

    public var description: String {
        switch self {
        case .invalidKeyLength(let n): "a key must be 32 bytes, got \(n)"
        case .invalidNonceLength(let expected, let got): "the nonce must be \(expected) bytes, got \(got)"
        case .counterOverflow: "the block counter would overflow"
        case .authenticationFailed: "authentication failed: wrong key or corrupted data"
        }
    }
}
