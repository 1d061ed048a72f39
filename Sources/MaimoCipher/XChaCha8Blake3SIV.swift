import Dispatch
import MaimoBlake3

/// XChaCha8-Blake3-SIV: a nonce-misuse-resistant AEAD, byte-compatible with the Rust crate
/// `xchacha8blake3siv`.
///
/// - tag = BLAKE3 keyed with the key, over `nonce (24) ‖ u64le(len(ad)) ‖ ad ‖ plaintext` (32 bytes);
/// - ciphertext = plaintext XOR XChaCha8(key, nonce: tag[0..<24]) from block 0.
///
/// Because the keystream depends on the whole message through the tag, repeating a nonce only
/// reveals whether two messages (with their associated data) were identical.
///
/// ```swift
/// let key = CipherKey()                                   // from the system CSPRNG
/// let nonce = XChaCha8Blake3SIV.randomNonce()
/// let box = XChaCha8Blake3SIV.seal(plaintext, key: key, nonce: nonce, associatedData: header)
/// let opened = try XChaCha8Blake3SIV.open(box, key: key, nonce: nonce, associatedData: header)
/// ```
public enum XChaCha8Blake3SIV {
    public static let keyLength = 32
    public static let nonceLength = 24
    public static let tagLength = 32

    /// A sealed message: the tag and the ciphertext (as long as the plaintext).
    public struct SealedBox: Sendable, Equatable {
        public var tag: [UInt8]
        public var ciphertext: [UInt8]

        public init(tag: [UInt8], ciphertext: [UInt8]) {
            self.tag = tag
            self.ciphertext = ciphertext
        }

        /// `tag ‖ ciphertext`, the crate's combined form.
        public var combined: [UInt8] { tag + ciphertext }

        /// Splits `tag ‖ ciphertext`.
        public init(combined: [UInt8]) throws(CipherError) {
            guard combined.count >= XChaCha8Blake3SIV.tagLength else { throw .authenticationFailed }
            tag = Array(combined[..<XChaCha8Blake3SIV.tagLength])
            ciphertext = Array(combined[XChaCha8Blake3SIV.tagLength...])
        }
    }

    /// 24 bytes from the system's cryptographically secure generator.
    public static func randomNonce() -> [UInt8] {
        SecureRandom.bytes(nonceLength)
    }

    /// Encrypts and authenticates `plaintext` with `associatedData`. Messages of at least
    /// ``parallelThreshold`` bytes are hashed and encrypted on `threadCount` threads (the output
    /// is the same for any thread count).
    public static func seal(
        _ plaintext: [UInt8], key: CipherKey, nonce: [UInt8], associatedData: [UInt8] = [], threadCount: Int = 1
    ) throws(CipherError) -> SealedBox {
        var ciphertext = plaintext
        let tag = try withMutableBytes(of: &ciphertext) { buffer throws(CipherError) in
            try sealInPlace(buffer, key: key, nonce: nonce, associatedData: associatedData, threadCount: threadCount)
        }
        return SealedBox(tag: tag, ciphertext: ciphertext)
    }

    /// Encrypts `buffer` in place and returns the 32-byte tag: no copy of the message.
    public static func sealInPlace(
        _ buffer: UnsafeMutableRawBufferPointer, key: CipherKey, nonce: [UInt8], associatedData: [UInt8] = [],
        threadCount: Int = 1
    ) throws(CipherError) -> [UInt8] {
        guard nonce.count == nonceLength else { throw .invalidNonceLength(expected: nonceLength, got: nonce.count) }
        let threads = buffer.count >= parallelThreshold ? max(1, threadCount) : 1
        let tag = computeTag(key: key, nonce: nonce, associatedData: associatedData, plaintext: UnsafeRawBufferPointer(buffer),
                             threadCount: threads)
        try applyKeystream(to: buffer, key: key, tag: tag, threadCount: threads)
        return tag
    }

    /// Messages at least this long use several threads when a thread count above 1 is given.
    public static let parallelThreshold = 256 * 1024

    /// XOR with XChaCha8 keyed by the tag, split into block-aligned pieces on `threadCount`
    /// threads (the keystream is seekable by block, so the pieces are independent).
    static func applyKeystream(to buffer: UnsafeMutableRawBufferPointer, key: CipherKey, tag: [UInt8], threadCount: Int) throws(CipherError) {
        let cipher = try XChaCha.cipher(key: key, nonce: tag[..<nonceLength], rounds: .eight)
        guard threadCount > 1 else {
            var serial = cipher
            try serial.apply(to: buffer)
            return
        }
        let blocks = (buffer.count + 63) / 64
        let perThread = (blocks + threadCount - 1) / threadCount
        let pieces = DisjointPieces(buffer: buffer)
        DispatchQueue.concurrentPerform(iterations: threadCount) { index in
            let buffer = pieces.buffer
            let first = index * perThread
            let start = min(buffer.count, first * 64), end = min(buffer.count, (first + perThread) * 64)
            guard start < end else { return }
            var piece = cipher
            piece.seek(toBlock: UInt64(first))
            // A block-aligned piece of a buffer that fits: apply cannot fail here.
            try? piece.apply(to: UnsafeMutableRawBufferPointer(rebasing: buffer[start..<end]))
        }
    }

    /// Decrypts and verifies; returns the plaintext only when the tag matches (compared in
    /// constant time).
    /// - Throws: ``CipherError/authenticationFailed`` for a wrong key, nonce, associated data or
    ///   any change to the box; nothing decrypted is returned or left in memory.
    public static func open(
        _ box: SealedBox, key: CipherKey, nonce: [UInt8], associatedData: [UInt8] = [], threadCount: Int = 1
    ) throws(CipherError) -> [UInt8] {
        var plaintext = box.ciphertext
        try withMutableBytes(of: &plaintext) { buffer throws(CipherError) in
            try openInPlace(buffer, tag: box.tag, key: key, nonce: nonce, associatedData: associatedData, threadCount: threadCount)
        }
        return plaintext
    }

    /// Decrypts `buffer` in place and verifies `tag`; on failure the buffer is zeroed and
    /// ``CipherError/authenticationFailed`` is thrown.
    public static func openInPlace(
        _ buffer: UnsafeMutableRawBufferPointer, tag: [UInt8], key: CipherKey, nonce: [UInt8], associatedData: [UInt8] = [],
        threadCount: Int = 1
    ) throws(CipherError) {
        guard nonce.count == nonceLength else { throw .invalidNonceLength(expected: nonceLength, got: nonce.count) }
        guard tag.count == tagLength else { throw .authenticationFailed }
        let threads = buffer.count >= parallelThreshold ? max(1, threadCount) : 1
        try applyKeystream(to: buffer, key: key, tag: tag, threadCount: threads)
        let expected = computeTag(key: key, nonce: nonce, associatedData: associatedData, plaintext: UnsafeRawBufferPointer(buffer),
                                  threadCount: threads)
        guard constantTimeEqual(expected, tag) else {
            if !buffer.isEmpty { buffer.initializeMemory(as: UInt8.self, repeating: 0) }
            throw .authenticationFailed
        }
    }

    static func computeTag(key: CipherKey, nonce: [UInt8], associatedData: [UInt8], plaintext: UnsafeRawBufferPointer,
                           threadCount: Int = 1) -> [UInt8] {
        // The key is exactly 32 bytes by construction of CipherKey.
        let macKey = key.withUnsafeBytes { try? Blake3.Key($0) }!
        var hasher = Blake3.Hasher(key: macKey, threadCount: threadCount)
        hasher.update(nonce)
        var length = UInt64(associatedData.count).littleEndian
        withUnsafeBytes(of: &length) { hasher.update($0) }
        hasher.update(associatedData)
        hasher.update(plaintext)
        return hasher.finalize().bytes
    }
}

/// A buffer handed to several threads that each write only their own disjoint piece of it.
private struct DisjointPieces: @unchecked Sendable {
    let buffer: UnsafeMutableRawBufferPointer
}

/// Compares without an early exit, so timing reveals nothing about where two tags differ.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in a.indices { difference |= a[i] ^ b[i] }
    return difference == 0
}

/// `body` over the mutable bytes of `array`, keeping `CipherError` as the thrown type.
func withMutableBytes<R>(
    of array: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(CipherError) -> R
) throws(CipherError) -> R {
    let result: Result<R, CipherError> = array.withUnsafeMutableBytes { buffer in
        Result { () throws(CipherError) in try body(buffer) }
    }
    return try result.get()
}
