import MaimoBlake3

/// Bao: BLAKE3 verified streaming, byte-compatible with the `bao` crate 0.13.
///
/// An encoding lets a reader check every chunk of a file against the file's 32-byte BLAKE3 hash
/// as it arrives, and a *slice* proves any byte range with a few parent nodes. See the catalogue's
/// overview for the formats.
public enum Bao {
    /// The chunk length in bytes: the leaves of the tree. (The three lengths are `Int`, as
    /// `Blake3.chunkLength` is; offsets into content and encodings are `UInt64`.)
    public static let chunkLength = 1024
    /// A parent node's length in bytes: the chaining values of its two children.
    public static let parentLength = 64
    /// The length in bytes of the little-endian content length that starts every encoding and slice.
    public static let headerLength = 8
    /// The three as `UInt64`, for offset arithmetic.
    static let chunkLength64: UInt64 = 1024, parentLength64: UInt64 = 64, headerLength64: UInt64 = 8

    /// The number of chunks of `contentLength` bytes; empty content is one (empty) chunk.
    public static func chunkCount(contentLength: UInt64) -> UInt64 {
        contentLength == 0 ? 1 : (contentLength - 1) / chunkLength64 + 1
    }

    /// The bytes of parent nodes in a subtree of `contentLength` bytes.
    static func parentBytes(contentLength: UInt64) -> UInt64 {
        (chunkCount(contentLength: contentLength) - 1) * parentLength64
    }

    /// The size of the combined encoding (header, parents and content) of `contentLength` bytes.
    public static func encodedSize(contentLength: UInt64) -> UInt64 {
        headerLength64 &+ parentBytes(contentLength: contentLength) &+ contentLength
    }

    /// The size of the outboard encoding (header and parents only) of `contentLength` bytes.
    public static func outboardSize(contentLength: UInt64) -> UInt64 {
        headerLength64 + parentBytes(contentLength: contentLength)
    }

    /// The content length of the left child of a subtree longer than one chunk.
    static func leftLength(_ subtreeLength: UInt64) -> UInt64 {
        Blake3.Hazmat.leftSubtreeLength(inputLength: subtreeLength)
    }
}
