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
