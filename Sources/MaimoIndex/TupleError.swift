/// Errors decoding key tuples and record values.
public enum TupleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Encoded bytes that are not a tuple, with where and why.
    case malformed(offset: Int, reason: String)
    /// A record value that could not be encoded or decoded as the type asked for.
    case value(String)

    public var description: String {
        switch self {
        case .malformed(let offset, let reason): return "malformed key tuple at offset \(offset): \(reason)"
        case .value(let reason): return "record value: \(reason)"
        }
    }
}
