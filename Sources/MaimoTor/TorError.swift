/// What can go wrong talking to Tor: malformed onion addresses, control-port replies and
/// errors, SOCKS failures (with Tor's extended error codes), and launching `tor`.
public enum TorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An onion address that is not a valid v3 address; `reason` says which rule it broke.
    case invalidOnionAddress(String, reason: String)
    /// A key file or key blob that is not what it should be.
    case invalidKey(reason: String)
    /// The control port answered with an error (4xx/5xx) and this message.
    case controlError(code: Int, message: String)
    /// The control port sent something that is not a reply line of the control protocol.
    case malformedReply(String)
    /// The SOCKS proxy refused the connection.
    case socks(SOCKSFailure)
    /// The SOCKS proxy answered outside the protocol.
    case malformedSOCKSReply(String)
    /// A system call failed.
    case io(operation: String, errno: Int32)

    public var description: String {
        switch self {
        case let .invalidOnionAddress(address, reason): return "invalid onion address \"\(address)\": \(reason)"
        case let .invalidKey(reason): return "invalid onion service key: \(reason)"
        case let .controlError(code, message): return "tor refused (\(code)): \(message)"
        case let .malformedReply(line): return "malformed control-port reply: \(line)"
        case let .socks(failure): return "SOCKS connection failed: \(failure)"
        case let .malformedSOCKSReply(reason): return "malformed SOCKS reply: \(reason)"
        case let .io(operation, code): return "\(operation) failed (errno \(code))"
        }
    }
}
