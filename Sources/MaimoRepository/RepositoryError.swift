/// What went wrong in the repository (Docs/Repository.md): each case says what and where, never
/// a key or a file's contents.
public enum RepositoryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A recovery code that cannot be the one `maimo init` printed.
    case recoveryCode(RecoveryCodeError)
    /// Bytes that do not parse as the structure named (`what`), at `offset` within it.
    case malformed(what: String, offset: Int, reason: String)
    /// An item or header that fails authentication or its ID check: damaged, swapped, or not
    /// sealed under this repository's keys.
    case integrity(String)
    /// A file-system operation on a path failed.
    case io(path: String, operation: String, errno: Int32)
    /// The blob store (a provider) failed or refused.
    case store(String)
    /// The blob store could not be reached, or the connection broke before it took the request:
    /// trying again later may succeed.
    case unreachable(String)
    /// The blob store says it does not hold this blob.
    case missing(String)
    /// The blob store took the request (a provider: after a completed handshake) and then
    /// stopped answering: a proof counts this against it, as a loss it may be hiding.
    case interrupted(String)
    /// The request itself is wrong (a path never stored, a name that is not one component).
    case usage(String)

    public var description: String {
        switch self {
        case let .recoveryCode(error): return "recovery code: \(error)"
        case let .malformed(what, offset, reason): return "\(what) is malformed at byte \(offset): \(reason)"
        case let .integrity(message): return "verification failed: \(message)"
        case let .io(path, operation, errno): return "\(operation) \(path): \(systemErrorText(errno))"
        case let .store(message): return message
        case let .unreachable(message): return message
        case let .missing(message): return message
        case let .interrupted(message): return message
        case let .usage(message): return message
        }
    }
}
