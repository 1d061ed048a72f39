// The public face of MaimoBlake3: the hasher's state and the one-shot functions.

/// BLAKE3: a cryptographic hash function, keyed hash (MAC/PRF), key derivation function and
/// extendable-output function in one, written in pure Swift with SIMD kernels.
///
/// Shaped like swift-crypto's `SHA256`: static functions hash in one call, and a value of the
/// type is the incremental hasher.
///
/// ```swift
/// let digest = Blake3.hash("abc".utf8)
/// print(digest)                                  // 6437b3ac38465133ffb63b75273a8db5…
/// let mac = Blake3.keyedHash(key: key, message)
/// let subkey = Blake3.deriveKey(context: "my-app 2026-11-25 session key", material: secret)
///
/// var hasher = Blake3()
/// hasher.update("hello, ".utf8)
/// hasher.update("world".utf8)
/// hasher.finalize() == Blake3.hash("hello, world".utf8)   // true
/// ```
///
/// As a hasher it is a value: feed it bytes in any split with ``update(_:)-(UnsafeRawBufferPointer)``;
/// the result does not depend on how the input was split. ``finalize()`` does not consume the
/// hasher, so more input can follow, and a copy continues independently.
public struct Blake3: Sendable {
    // The incremental state (BLAKE3 spec, section 5.1.2): a chunk state plus a stack of the
    // chaining values of finished subtrees, merged lazily so that the last node can become the root.
    let key: SIMD8<UInt32>
    let flags: UInt32
    var chunkState: ChunkState
    var chainingValueStack: [SIMD8<UInt32>] = []
    /// The first chunk's counter: 0, or where `setInputOffset` put it. The stack holds one
    /// entry per 1 bit of the chunks hashed since then.
    var initialChunkCounter: UInt64 = 0
    /// Worker threads for large updates; 1 hashes on the calling thread only.
    public var threadCount: Int

    init(key: SIMD8<UInt32>, flags: UInt32, threadCount: Int = 1) {
        self.key = key
        self.flags = flags
        self.chunkState = ChunkState(key: key, chunkCounter: 0, flags: flags)
        self.threadCount = max(1, threadCount)
    }

    /// The default output length in bytes.
    public static let digestLength = 32
    /// The key length of the keyed hash, in bytes.
    public static let keyLength = 32
    /// The chunk length, in bytes: the leaves of the tree.
    public static let chunkLength = 1024
    /// The block length, in bytes: the input of one compression.
    public static let blockLength = 64

    /// Hashes `bytes` on the calling thread.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Digest {
        if bytes.count <= Blake3Constants.chunkLength {
            return Digest(words: singleChunkRootWords(bytes, key: Blake3Constants.iv, flags: 0))
        }
        var hasher = Blake3()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Hashes `bytes` (an array, `Data`, a string's UTF-8 view, any byte sequence).
    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> Digest where Bytes.Element == UInt8 {
        if let digest = bytes.withContiguousStorageIfAvailable({ hash(UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        var hasher = Blake3()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Hashes `bytes` with up to `threadCount` threads. The result equals the one-threaded hash;
    /// inputs below a few hundred KiB are hashed on the calling thread.
    public static func hash(_ bytes: UnsafeRawBufferPointer, threadCount: Int) -> Digest {
        var hasher = Blake3(threadCount: threadCount)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// `outputLength` bytes of extended output of the hash of `bytes`.
    public static func hash<Bytes: Sequence>(_ bytes: Bytes, outputLength: Int) -> [UInt8]
    where Bytes.Element == UInt8 {
        var hasher = Blake3()
        hasher.update(bytes)
        var reader = hasher.finalizeXOF()
        return reader.read(count: outputLength)
    }

    /// The keyed hash of the bytes in `buffer` under a 32-byte key: a MAC or PRF. (The same as
    /// the generic form; a concrete overload, so that callers in other modules reach the
    /// specialised code without generic metadata lookups.)
    public static func keyedHash(key: Key, _ buffer: UnsafeRawBufferPointer) -> Digest {
        if buffer.count <= Blake3Constants.chunkLength {
            return Digest(words: singleChunkRootWords(buffer, key: key.words, flags: Blake3Constants.keyedHash))
        }
        var hasher = Blake3(key: key)
        hasher.update(buffer)
        return hasher.finalize()
    }

    /// The keyed hash of `bytes` under a 32-byte key: a MAC or PRF.
    public static func keyedHash<Bytes: Sequence>(key: Key, _ bytes: Bytes) -> Digest where Bytes.Element == UInt8 {
        if let digest = bytes.withContiguousStorageIfAvailable({ buffer in
            buffer.count <= Blake3Constants.chunkLength
                ? Digest(words: singleChunkRootWords(
                    UnsafeRawBufferPointer(buffer), key: key.words, flags: Blake3Constants.keyedHash))
                : nil
        }), let digest {
            return digest
        }
        var hasher = Blake3(key: key)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Derives `outputLength` bytes of key from `material` for the application-specific
    /// `context`, which should be hard-coded, globally unique and never hold secrets.
    public static func deriveKey<Bytes: Sequence>(context: String, material: Bytes, outputLength: Int = 32) -> [UInt8]
    where Bytes.Element == UInt8 {
        var hasher = Blake3(deriveKeyContext: context)
        hasher.update(material)
        var reader = hasher.finalizeXOF()
        return reader.read(count: outputLength)
    }

    /// The root of a message of at most one chunk, compressed straight from the caller's bytes.
    static func singleChunkRootWords(_ bytes: UnsafeRawBufferPointer, key: SIMD8<UInt32>, flags: UInt32) -> SIMD8<UInt32> {
        var state = ChunkState(key: key, chunkCounter: 0, flags: flags)
        _ = state.update(bytes)
        return state.output().chainingValueAsRoot()
    }
}
