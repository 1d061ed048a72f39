@_spi(Platform) import MaimoBlake3

/// What went wrong while encoding, decoding or slicing, and where. Nothing is returned from a
/// region that failed.
public enum BaoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The encoding, outboard tree or slice ended early: `needed` bytes were required at `offset`.
    case truncated(offset: UInt64, needed: Int)
    /// A chunk did not match its chaining value (or, for a one-chunk file, the root hash).
    case chunkHashMismatch(chunkIndex: UInt64)
    /// A parent node did not match: the node at `encodingOffset` in the encoding, outboard tree
    /// or slice, covering content from `contentOffset`. At offset 8 this is the root: a wrong
    /// hash, or a corrupt length header.
    case parentHashMismatch(encodingOffset: UInt64, contentOffset: UInt64)
    /// An encoder received a different amount of content than it was created for.
    case lengthMismatch(expected: UInt64, received: UInt64)
    /// A write of `count` bytes at `offset` reaches past the end of a fixed-size destination of
    /// `capacity` bytes.
    case outOfBounds(offset: UInt64, count: Int, capacity: Int)
    /// A stream (read front to back) was asked for `requested` after it had passed `position`.
    case notSeekable(position: UInt64, requested: UInt64)
    /// The system refused to open, read, write or map the underlying bytes at `offset`: `code` is the
    /// `errno` value (a custom source may report `EIO`, 5).
    case system(Operation, offset: UInt64, code: Int32)

    /// What a ``BaoError/system(_:offset:code:)`` failure was doing.
    public enum Operation: String, Sendable {
        /// Opening a file (``BaoFile``).
        case open
        /// Reading content, an encoding or a tree.
        case read
        /// Writing an encoding.
        case write
        /// Mapping a file into memory.
        case map
    }

    public var description: String {
        switch self {
        case .truncated(let offset, let needed):
            "encoding truncated: \(needed) more bytes needed at offset \(offset)"
        case .chunkHashMismatch(let index):
            "hash mismatch in chunk \(index) (content bytes \(index * Bao.chunkLength64)..<\((index + 1) * Bao.chunkLength64))"
        case .parentHashMismatch(let offset, let content):
            "hash mismatch in the parent node at encoding offset \(offset) (subtree from content byte \(content))"
        case .lengthMismatch(let expected, let received):
            "the encoder was created for \(expected) bytes of content but received \(received)"
        case .outOfBounds(let offset, let count, let capacity):
            "a write of \(count) bytes at offset \(offset) is outside the \(capacity)-byte destination"
        case .notSeekable(let position, let requested):
            "cannot seek backwards in a stream (at \(position), asked for \(requested)); use a file"
        case .system(let operation, let offset, let code):
            "\(operation.rawValue) failed at offset \(offset): \(Platform.errorMessage(code))"
        }
    }
}
