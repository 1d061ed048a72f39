import MaimoWire
/// The engine's errors: each says what failed and where (a path, a peer, an offset), never a key,
/// a nonce or a file's contents.
public enum MaimoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed on this machine (a file, a directory, a port to listen on), or a
    /// provider failed a request in a way that is neither a refusal nor the network.
    case io(String)
    /// A peer could not be reached, or the connection to it broke or timed out
    /// ("connecting to 127.0.0.1:9000: Connection refused"): trying again later may succeed.
    case network(String)
    /// A callback the engine was running stopped the operation by throwing; where the engine
    /// can, it reports the callback's own error instead.
    case cancelled
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
        case let .network(message): return message
        case .cancelled: return "stopped by its caller"
        case let .wire(error): return "protocol error: \(error)"
        case let .refused(code, message): return "the provider refused (\(code)): \(message)"
        case let .integrity(message): return "verification failed: \(message)"
        case let .home(message): return message
        case let .usage(message): return message
        }
    }
}
