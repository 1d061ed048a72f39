/// Errors of the wire protocol (Docs/Engine.md, "Wire protocol"). Messages never carry keys,
/// nonces or file names.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A frame longer than the limit, shorter than its header, of an unknown type, or whose
    /// payload does not have the layout of its type.
    case badFrame(String)
    /// A frame that does not open under the session key: tampered, replayed, reordered or
    /// dropped frames (the sequence number is the frame's nonce).
    case badMAC(sequence: UInt64)
    /// The peer is not who it should be (wrong node ID, bad signature, not on the allow-list).
    case notAllowed(String)
    /// The peer speaks another protocol version.
    case unsupportedVersion(UInt16)

    public var description: String {
        switch self {
        case let .badFrame(reason): return "malformed frame: \(reason)"
        case let .badMAC(sequence): return "frame \(sequence) failed authentication"
        case let .notAllowed(reason): return "not allowed: \(reason)"
        case let .unsupportedVersion(version): return "unsupported protocol version \(version)"
        }
    }
}

/// The error codes of `ERROR` frames (Docs/Engine.md, "Operations").
public enum WireErrorCode: UInt16, Sendable, CustomStringConvertible {
    /// The frame was malformed or out of place.
    case badFrame = 1
    /// The client is not on the allow-list, or the request is not the client's to make.
    case notAllowed
    /// No blob under that root.
    case notFound
    /// The blob would take the client past its quota.
    case quotaExceeded
    /// The uploaded bytes do not match the root they were announced under.
    case verifyFailed
    /// The provider has no room for another connection now.
    case busy
    /// The provider failed (its disk or a bug); the message says what, without secrets.
    case `internal`
    /// The provider's disk is full: the client may try another provider or later.
    case noSpace

    public var description: String {
        switch self {
        case .badFrame: return "bad frame"
        case .notAllowed: return "not allowed"
        case .notFound: return "not found"
        case .quotaExceeded: return "quota exceeded"
        case .verifyFailed: return "verification failed"
        case .busy: return "busy"
        case .internal: return "internal error"
        case .noSpace: return "no space left at the provider"
        }
    }
}
