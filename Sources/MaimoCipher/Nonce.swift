// The SIV's nonce as a type: 24 bytes checked once, where they are made, not at every call.

extension XChaCha8Blake3SIV {
    /// A 24-byte nonce for ``XChaCha8Blake3SIV``.
    ///
    /// `Nonce()` draws one from the system's cryptographically secure generator; `Nonce(bytes)`
    /// takes exactly 24 given bytes (a stored nonce, or one derived from a content ID). The SIV
    /// is misuse-resistant: repeating a nonce reveals only whether two messages were identical.
    /// A `Sequence` of its bytes, as swift-crypto's `ChaChaPoly.Nonce` is.
    public struct Nonce: Sendable, Equatable, Sequence {
        let bytes: [UInt8]

        /// A fresh random nonce.
        public init() { bytes = SecureRandom.bytes(XChaCha8Blake3SIV.nonceLength) }

        /// A nonce from exactly 24 bytes.
        /// - Throws: ``CipherError/invalidNonceLength(expected:got:)`` for any other length.
        public init<Bytes: Collection>(_ bytes: Bytes) throws(CipherError) where Bytes.Element == UInt8 {
            guard bytes.count == XChaCha8Blake3SIV.nonceLength else {
                throw .invalidNonceLength(expected: XChaCha8Blake3SIV.nonceLength, got: bytes.count)
            }
            self.bytes = Array(bytes)
        }

        /// 24 bytes the caller made (within the module).
        init(unchecked bytes: [UInt8]) { self.bytes = bytes }

        /// Calls `body` with the 24 bytes.
        public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
            let result: Result<R, E> = bytes.withUnsafeBytes { buffer in Result { () throws(E) -> R in try body(buffer) } }
            return try result.get()
        }

        /// An iterator over the 24 bytes.
        public func makeIterator() -> IndexingIterator<[UInt8]> { bytes.makeIterator() }

        /// Always 24.
        public var underestimatedCount: Int { XChaCha8Blake3SIV.nonceLength }
    }
}
