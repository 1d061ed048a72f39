import MaimoBlake3

/// Bao: BLAKE3 verified streaming, byte-compatible with the `bao` crate 0.13.
///
/// An encoding lets a reader check every chunk of a file against the file's 32-byte BLAKE3 hash
/// as it arrives, and a *slice* proves any byte range with a few parent nodes. See the catalogue's
/// overview for the formats.
public enum Bao {
    /// The chunk length: the leaves of the tree.
    public static let chunkLength: UInt64 = 1024
    /// A parent node: the chaining values of its two children.
    public static let parentLength = 64
    /// The little-endian content length at the start of every encoding and slice.
    public static let headerLength = 8

    /// The number of chunks of `contentLength` bytes; empty content is one (empty) chunk.
    public static func chunkCount(contentLength: UInt64) -> UInt64 {
        contentLength == 0 ? 1 : (contentLength - 1) / chunkLength + 1
    }

    /// The bytes of parent nodes in a subtree of `contentLength` bytes.
    static func parentBytes(contentLength: UInt64) -> UInt64 {
        (chunkCount(contentLength: contentLength) - 1) * UInt64(parentLength)
    }

    /// The size of the combined encoding (header, parents and content) of `contentLength` bytes.
    public static func encodedSize(contentLength: UInt64) -> UInt64 {
        UInt64(headerLength) &+ parentBytes(contentLength: contentLength) &+ contentLength
    }

    /// The size of the outboard encoding (header and parents only) of `contentLength` bytes.
    public static func outboardSize(contentLength: UInt64) -> UInt64 {
        UInt64(headerLength) + parentBytes(contentLength: contentLength)
    }

    /// The content length of the left child of a subtree longer than one chunk.
    static func leftLength(_ subtreeLength: UInt64) -> UInt64 {
        Blake3.Hazmat.leftSubtreeLength(inputLength: subtreeLength)
    }
}

/// What went wrong while decoding, and where. Nothing is returned from a region that failed.
public enum BaoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The encoding, outboard tree or slice ended early: `needed` bytes were required at `offset`.
    case truncated(offset: UInt64, needed: Int)
    /// A chunk did not match its chaining value (or, for a one-chunk file, the root hash).
    case chunkHashMismatch(chunkIndex: UInt64)
    /// A parent node did not match: the node at `encodingOffset` in the encoding, outboard tree
    /// or slice, covering content from `contentOffset`. At offset 8 this is the root: a wrong
    /// hash, or a corrupt length header.
    case parentHashMismatch(encodingOffset: UInt64, contentOffset: UInt64)
    /// Reading or writing the underlying bytes failed.
    case source(String)
    /// An encoder received a different amount of content than it was created for.
    case lengthMismatch(expected: UInt64, received: UInt64)

    public var description: String {
        switch self {
        case .truncated(let offset, let needed):
            "encoding truncated: \(needed) more bytes needed at offset \(offset)"
        case .chunkHashMismatch(let index):
            "hash mismatch in chunk \(index) (content bytes \(index * Bao.chunkLength)..<\((index + 1) * Bao.chunkLength))"
        case .parentHashMismatch(let offset, let content):
            "hash mismatch in the parent node at encoding offset \(offset) (subtree from content byte \(content))"
        case .source(let message):
            "I/O error: \(message)"
        case .lengthMismatch(let expected, let received):
            "the encoder was created for \(expected) bytes of content but received \(received)"
        }
    }
}
