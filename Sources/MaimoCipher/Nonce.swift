// Nonces as types: the length is checked once, where a nonce is made, not at every call, and a
// nonce of one construction cannot be passed to another.

/// A construction that takes a nonce of a fixed length: the type parameter of ``CipherNonce``.
public protocol NonceLength {
    /// The nonce's length in bytes.
    static var nonceByteCount: Int { get }
}

/// A nonce of exactly `Construction.nonceByteCount` bytes, as swift-crypto's `ChaChaPoly.Nonce`.
///
/// `CipherNonce()` draws one from the system's cryptographically secure generator;
/// `CipherNonce(bytes)` takes exactly the right number of given bytes (a stored nonce, or one
/// derived from a content ID). Each construction names its own: ``ChaCha/Nonce`` (8 bytes),
/// ``ChaCha/IETFNonce`` (12), ``ChaCha/HChaChaNonce`` (16), ``XChaCha/Nonce`` (24) and
/// ``XChaCha8Blake3SIV/Nonce`` (24). A `Sequence` of its bytes.
public struct CipherNonce<Construction: NonceLength>: Sendable, Hashable, Sequence {
    let bytes: [UInt8]

    /// A fresh random nonce.
    public init() { bytes = SecureRandom.bytes(Construction.nonceByteCount) }

    /// A nonce from exactly `Construction.nonceByteCount` bytes.
    /// - Throws: ``CipherError/invalidNonceLength(expected:got:)`` for any other length.
    public init<Bytes: Collection>(_ bytes: Bytes) throws(CipherError) where Bytes.Element == UInt8 {
        guard bytes.count == Construction.nonceByteCount else {
            throw .invalidNonceLength(expected: Construction.nonceByteCount, got: bytes.count)
        }
        self.bytes = Array(bytes)
    }

    /// Bytes the caller made with the right length (within the module).
    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Calls `body` with the nonce's bytes.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = bytes.withUnsafeBytes { buffer in Result { () throws(E) -> R in try body(buffer) } }
        return try result.get()
    }

    /// An iterator over the bytes.
    public func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }

    /// Always `Construction.nonceByteCount`.
    public var underestimatedCount: Int { Construction.nonceByteCount }

    /// Little-endian word `index` of the nonce.
    func word(_ index: Int) -> UInt32 { littleEndianWord(bytes, 4 * index) }
}

extension ChaCha: NonceLength {
    /// Bernstein's layout: 8 bytes.
    public static var nonceByteCount: Int { 8 }

    /// The original layout's 8-byte nonce (with a 64-bit block counter).
    public typealias Nonce = CipherNonce<ChaCha>

    /// The IETF layout of RFC 8439: the type parameter of its 12-byte nonce.
    public enum IETF: NonceLength {
        /// 12 bytes.
        public static var nonceByteCount: Int { 12 }
    }

    /// The IETF layout's 12-byte nonce (with a 32-bit block counter).
    public typealias IETFNonce = CipherNonce<IETF>

    /// HChaCha: the type parameter of its 16-byte nonce.
    public enum HChaCha: NonceLength {
        /// 16 bytes.
        public static var nonceByteCount: Int { 16 }
    }

    /// HChaCha's 16-byte nonce.
    public typealias HChaChaNonce = CipherNonce<HChaCha>
}

extension XChaCha: NonceLength {
    /// 24 bytes: 16 for HChaCha, 8 for the cipher.
    public static var nonceByteCount: Int { 24 }

    /// XChaCha's 24-byte nonce.
    public typealias Nonce = CipherNonce<XChaCha>
}

extension XChaCha8Blake3SIV: NonceLength {
    /// 24 bytes.
    public static var nonceByteCount: Int { nonceLength }

    /// The SIV's 24-byte nonce. The SIV is misuse-resistant: repeating a nonce reveals only
    /// whether two messages were identical.
    public typealias Nonce = CipherNonce<XChaCha8Blake3SIV>
}
