import MaimoWire
/// The engine's errors: each says what failed and where (a path, a peer, an offset), never a key,
/// a nonce or a file's contents.
public enum MaimoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call or the network failed ("connecting to 127.0.0.1:9000: Connection refused").
    case io(String)
    /// The peer broke the wire protocol (bad frame, bad MAC, wrong identity, version).
    case wire(WireError)
    /// The provider refused a request, with its error code and message.
    case refused(WireErrorCode, String)
    /// Bytes failed verification (a Bao chunk, a ciphertext segment, the plaintext hash).
    case integrity(String)
    /// The catalogue or the home directory is missing, unreadable or inconsistent.
    case home(String)
    /// The request itself is wrong (an unknown peer, a path never stored, a bad option).
    case usage(String)

    public var description: String {
        switch self {
        case let .io(message): return message
        case let .wire(error): return "protocol error: \(error)"
        case let .refused(code, message): return "the provider refused (\(code)): \(message)"
        case let .integrity(message): return "verification failed: \(message)"
        case let .home(message): return message
        case let .usage(message): return message
        }
    }
}
