@_spi(Platform) import MaimoBlake3
import Synchronization

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
/// let nonce = XChaCha8Blake3SIV.Nonce()                  // 24 random bytes
/// let box = XChaCha8Blake3SIV.seal(plaintext, key: key, nonce: nonce, associatedData: header)
/// let opened = try XChaCha8Blake3SIV.open(box, key: key, nonce: nonce, associatedData: header)
/// ```
public enum XChaCha8Blake3SIV {
    /// The key length in bytes.
    public static let keyLength = 32
    /// The nonce length in bytes.
    public static let nonceLength = 24
    /// The tag length in bytes (a full BLAKE3 output).
    public static let tagLength = 32

    /// A sealed message: the tag and the ciphertext (as long as the plaintext).
    public struct SealedBox: Sendable, Equatable {
        /// The 32-byte tag, which is also the keystream's nonce source.
        public var tag: [UInt8]
        /// The ciphertext, as long as the plaintext.
        public var ciphertext: [UInt8]

        /// A box from its parts (as stored or received).
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

    /// Encrypts and authenticates `plaintext` with `associatedData`. Messages of at least
    /// ``parallelThreshold`` bytes are hashed and encrypted on `threadCount` threads (the output
    /// is the same for any thread count).
    public static func seal(
        _ plaintext: [UInt8], key: CipherKey, nonce: Nonce, associatedData: [UInt8] = [], threadCount: Int = 1
    ) throws(CipherError) -> SealedBox {
        let nonce = nonce.bytes
        let threads = plaintext.count >= parallelThreshold ? max(1, threadCount) : 1
        // Hash the plaintext where it is, then write plaintext XOR keystream straight into the
        // new array: one read to hash, one read and one write to encrypt, no copy.
        let tag = plaintext.withUnsafeBytes {
            computeTag(key: key, nonce: nonce, associatedData: associatedData, plaintext: $0, threadCount: threads)
        }
        let ciphertext = plaintext.withUnsafeBytes { source in
            newBytes(count: source.count) { destination in
                applyKeystream(from: source, to: destination, key: key, tag: tag, threadCount: threads)
            }
        }
        return SealedBox(tag: tag, ciphertext: ciphertext)
    }

    /// Encrypts `buffer` in place and returns the 32-byte tag: no copy of the message.
    public static func sealInPlace(
        _ buffer: UnsafeMutableRawBufferPointer, key: CipherKey, nonce: Nonce, associatedData: [UInt8] = [],
        threadCount: Int = 1
    ) throws(CipherError) -> [UInt8] {
        let nonce = nonce.bytes
        let threads = buffer.count >= parallelThreshold ? max(1, threadCount) : 1
        let tag = computeTag(key: key, nonce: nonce, associatedData: associatedData, plaintext: UnsafeRawBufferPointer(buffer),
                             threadCount: threads)
        applyKeystream(from: UnsafeRawBufferPointer(buffer), to: buffer, key: key, tag: tag, threadCount: threads)
        return tag
    }

    /// Messages at least this long use several threads when a thread count above 1 is given.
    public static let parallelThreshold = 256 * 1024

    /// Writes `source` XOR XChaCha8 keyed by the tag to `destination` (the same buffer, or one
    /// that does not overlap it, of the same length), split into block-aligned pieces on
    /// `threadCount` threads (the keystream is seekable by block, so the pieces are independent).
    static func applyKeystream(
        from source: UnsafeRawBufferPointer, to destination: UnsafeMutableRawBufferPointer, key: CipherKey, tag: [UInt8],
        threadCount: Int
    ) {
        guard let input = source.baseAddress, let output = destination.baseAddress else { return }
        let cipher = tagCipher(key: key, tag: tag)
        // XChaCha's 64-bit block counter cannot overflow: `apply` cannot fail here.
        guard threadCount > 1 else {
            var serial = cipher
            try? serial.apply(from: input, to: output, count: source.count)
            return
        }
        let blocks = (source.count + 63) / 64
        let perThread = (blocks + threadCount - 1) / threadCount
        let pieces = DisjointPieces(source: input, destination: output, count: source.count)
        Platform.concurrentPerform(iterations: threadCount) { index in
            let first = index * perThread
            let start = min(pieces.count, first * 64), end = min(pieces.count, (first + perThread) * 64)
            guard start < end else { return }
            var piece = cipher
            piece.seek(toBlock: UInt64(first))
            try? piece.apply(from: pieces.source + start, to: pieces.destination + start, count: end - start)
        }
    }

    /// Decrypts and verifies; returns the plaintext only when the tag matches (compared in
    /// constant time). Messages of at least ``parallelThreshold`` bytes are decrypted and hashed
    /// on `threadCount` threads, in one pass over the data (the result does not depend on it).
    /// - Throws: ``CipherError/authenticationFailed`` for a wrong key, nonce, associated data or
    ///   any change to the box; nothing decrypted is returned or left in memory.
    public static func open(
        _ box: SealedBox, key: CipherKey, nonce: Nonce, associatedData: [UInt8] = [], threadCount: Int = 1
    ) throws(CipherError) -> [UInt8] {
        let nonce = nonce.bytes
        guard box.tag.count == tagLength else { throw .authenticationFailed }
        let count = box.ciphertext.count
        let threads = count >= parallelThreshold ? max(1, threadCount) : 1
        var plaintext: [UInt8]
        var expected: Blake3.Digest
        if headerLength(associatedData) + count <= Blake3.chunkLength {
            // One chunk: decrypt, then the tag from the stack buffer path.
            plaintext = box.ciphertext.withUnsafeBytes { source in
                newBytes(count: count) { destination in
                    applyKeystream(
                        from: source, to: destination, key: key, tag: box.tag, threadCount: 1)
                }
            }
            expected = plaintext.withUnsafeBytes {
                tagDigest(key: key, nonce: nonce, associatedData: associatedData, plaintext: $0)
            }
        } else if threads > 1 {
            var digest: Blake3.Digest?
            plaintext = box.ciphertext.withUnsafeBytes { source in
                newBytes(count: count) { destination in
                    digest = openThreaded(
                        source, into: destination, tag: box.tag, key: key, nonce: nonce, associatedData: associatedData,
                        threadCount: threads)
                }
            }
            expected = digest ?? plaintext.withUnsafeBytes {
                tagDigest(key: key, nonce: nonce, associatedData: associatedData, plaintext: $0, threadCount: threads)
            }
        } else {
            // One pass: decrypt a piece into the new array, then hash it while it is in cache.
            var hasher = tagHasher(key: key, nonce: nonce, associatedData: associatedData)
            var cipher = tagCipher(key: key, tag: box.tag)
            plaintext = box.ciphertext.withUnsafeBytes { source in
                newBytes(count: count) { output in
                    // Pieces end where the hashed stream (header included) reaches a multiple of
                    // the piece size: each later piece is then one whole subtree for the hasher.
                    let header = headerLength(associatedData)
                    var offset = 0
                    while offset < count {
                        let length = min(fusedPiece - (header + offset) % fusedPiece, count - offset)
                        try? cipher.apply(from: source.baseAddress! + offset, to: output.baseAddress! + offset, count: length)
                        hasher.update(UnsafeRawBufferPointer(rebasing: output[offset..<(offset + length)]))
                        offset += length
                    }
                }
            }
            expected = hasher.finalize()
        }
        guard constantTimeEqual(expected, box.tag) else {
            plaintext.withUnsafeMutableBytes { if !$0.isEmpty { $0.initializeMemory(as: UInt8.self, repeating: 0) } }
            throw .authenticationFailed
        }
        return plaintext
    }

    /// Decrypts `source` into `output` on `threadCount` threads and returns the tag of what it
    /// decrypted, each thread decrypting a piece and hashing it while it is in cache.
    ///
    /// The hashed stream (`header ‖ plaintext`) is cut into equal power-of-two pieces; a piece's
    /// plaintext is decrypted from its first byte on (the keystream is seekable by block), piece 0
    /// is hashed after the header by a keyed hasher, the others as subtrees at their offsets, and
    /// the pieces' chaining values are merged level by level from the left, which is BLAKE3's
    /// left-balanced tree. When the message is one piece, or the header fills a piece, it
    /// decrypts only and returns nil: the caller then hashes in a second pass.
    static func openThreaded(
        _ source: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, tag: [UInt8], key: CipherKey,
        nonce: [UInt8], associatedData: [UInt8], threadCount: Int
    ) -> Blake3.Digest? {
        let header = headerLength(associatedData)
        let streamLength = header + source.count
        var size = fusedPiece
        while streamLength / size > 4 * threadCount { size *= 2 }
        let piece = size
        let pieces = (streamLength + piece - 1) / piece
        guard pieces >= 2, header < piece, let input = source.baseAddress, let out = output.baseAddress else {
            applyKeystream(from: source, to: output, key: key, tag: tag, threadCount: threadCount)
            return nil
        }
        let cipher = tagCipher(key: key, tag: tag)
        let mode = Blake3.Hazmat.Mode.keyedHash(macKey(key))
        let first = tagHasher(key: key, nonce: nonce, associatedData: associatedData)
        var values = [Blake3.Hazmat.ChainingValue?](repeating: nil, count: pieces)
        let next = Atomic<Int>(0)
        let shared = SharedPieces(source: input, output: out, count: source.count)
        values.withUnsafeMutableBufferPointer { slots in
            let slots = SharedSlots(base: slots.baseAddress!)
            Platform.concurrentPerform(iterations: min(threadCount, pieces)) { _ in
                while true {
                    let k = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard k < pieces else { return }
                    let start = max(k * piece - header, 0)
                    let end = min((k + 1) * piece - header, shared.count)
                    var stream = cipher
                    stream.seek(toBlock: UInt64(start / 64))
                    if start % 64 != 0 { _ = try? stream.keystream(count: start % 64) }
                    try? stream.apply(from: shared.source + start, to: shared.output + start, count: end - start)
                    let plaintext = UnsafeRawBufferPointer(start: shared.output + start, count: end - start)
                    if k == 0 {
                        var hasher = first
                        hasher.update(plaintext)
                        slots.base[k] = hasher.finalizeNonRoot()
                    } else {
                        // A whole power-of-two piece at a multiple of its size: always a valid subtree.
                        slots.base[k] = try? Blake3.Hazmat.chainingValue(ofSubtree: plaintext, inputOffset: UInt64(k * piece), mode: mode)
                    }
                }
            }
        }
        // Every slot is filled (each piece is a valid subtree by construction); were one not,
        // the caller would hash the decrypted plaintext in a second pass instead.
        var level = values.compactMap { $0 }
        guard level.count == pieces else { return nil }
        while level.count > 2 {
            var merged: [Blake3.Hazmat.ChainingValue] = []
            merged.reserveCapacity((level.count + 1) / 2)
            for i in stride(from: 0, to: level.count - 1, by: 2) {
                merged.append(Blake3.Hazmat.mergeSubtreesNonRoot(level[i], level[i + 1], mode: mode))
            }
            if level.count % 2 == 1 { merged.append(level[level.count - 1]) }
            level = merged
        }
        return Blake3.Hazmat.mergeSubtreesRoot(level[0], level[1], mode: mode)
    }

    /// Decrypted and hashed at a time by one-thread `open`: small enough to stay in the L2 cache
    /// between the two, a power of two so that the hasher takes whole subtrees.
    static let fusedPiece = 64 * 1024

    /// Decrypts `buffer` in place and verifies `tag`; on failure the buffer is zeroed and
    /// ``CipherError/authenticationFailed`` is thrown.
    public static func openInPlace(
        _ buffer: UnsafeMutableRawBufferPointer, tag: [UInt8], key: CipherKey, nonce: Nonce, associatedData: [UInt8] = [],
        threadCount: Int = 1
    ) throws(CipherError) {
        let nonce = nonce.bytes
        guard tag.count == tagLength else { throw .authenticationFailed }
        let threads = buffer.count >= parallelThreshold ? max(1, threadCount) : 1
        applyKeystream(from: UnsafeRawBufferPointer(buffer), to: buffer, key: key, tag: tag, threadCount: threads)
        let expected = tagDigest(key: key, nonce: nonce, associatedData: associatedData, plaintext: UnsafeRawBufferPointer(buffer),
                                  threadCount: threads)
        guard constantTimeEqual(expected, tag) else {
            if !buffer.isEmpty { buffer.initializeMemory(as: UInt8.self, repeating: 0) }
            throw .authenticationFailed
        }
    }

    static func computeTag(key: CipherKey, nonce: [UInt8], associatedData: [UInt8], plaintext: UnsafeRawBufferPointer,
                           threadCount: Int = 1) -> [UInt8] {
        tagDigest(key: key, nonce: nonce, associatedData: associatedData, plaintext: plaintext, threadCount: threadCount).bytes
    }

    static func tagDigest(key: CipherKey, nonce: [UInt8], associatedData: [UInt8], plaintext: UnsafeRawBufferPointer,
                          threadCount: Int = 1) -> Blake3.Digest {
        // Messages that fit one chunk with their header are hashed from one buffer on the stack:
        // a single-chunk keyed hash, with no hasher state to set up.
        let header = headerLength(associatedData)
        if header + plaintext.count <= Blake3.chunkLength {
            return withUnsafeTemporaryAllocation(byteCount: header + plaintext.count, alignment: 16) { buffer in
                writeHeader(nonce: nonce, associatedData: associatedData, to: buffer)
                if !plaintext.isEmpty {
                    UnsafeMutableRawBufferPointer(rebasing: buffer[header...]).copyMemory(from: plaintext)
                }
                let digest = Blake3.keyedHash(key: macKey(key), UnsafeRawBufferPointer(buffer))
                buffer.initializeMemory(as: UInt8.self, repeating: 0)  // it held plaintext
                return digest
            }
        }
        var hasher = tagHasher(key: key, nonce: nonce, associatedData: associatedData, threadCount: threadCount)
        hasher.update(plaintext)
        return hasher.finalize()
    }

    /// The keyed hasher after `nonce ‖ u64le(len(ad)) ‖ ad`: the plaintext comes next.
    static func tagHasher(key: CipherKey, nonce: [UInt8], associatedData: [UInt8], threadCount: Int = 1) -> Blake3 {
        var hasher = Blake3(key: macKey(key), threadCount: threadCount)
        hasher.update(nonce)
        var length = UInt64(associatedData.count).littleEndian
        withUnsafeBytes(of: &length) { hasher.update($0) }
        hasher.update(associatedData)
        return hasher
    }

    /// XChaCha8 under `key` with the tag's first 24 bytes as nonce, from block 0.
    static func tagCipher(key: CipherKey, tag: [UInt8]) -> ChaCha {
        tag.withUnsafeBytes {
            XChaCha.cipher(keyWords: key.words, nonce: UnsafeRawBufferPointer(rebasing: $0[..<nonceLength]), rounds: .eight)
        }
    }

    /// The length of `nonce ‖ u64le(len(ad)) ‖ ad`, the hashed bytes before the plaintext.
    static func headerLength(_ associatedData: [UInt8]) -> Int { nonceLength + 8 + associatedData.count }

    static func writeHeader(nonce: [UInt8], associatedData: [UInt8], to buffer: UnsafeMutableRawBufferPointer) {
        nonce.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: nonceLength) }
        buffer.storeBytes(of: UInt64(associatedData.count).littleEndian, toByteOffset: nonceLength, as: UInt64.self)
        if !associatedData.isEmpty {
            associatedData.withUnsafeBytes {
                (buffer.baseAddress! + nonceLength + 8).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
        }
    }

    /// The BLAKE3 key of the tag: the cipher key's 32 bytes.
    static func macKey(_ key: CipherKey) -> Blake3.Key {
        // Exactly 32 bytes by construction of CipherKey.
        key.withUnsafeBytes { try? Blake3.Key($0) }!
    }
}

/// Input and output handed to the threads of `openThreaded`, which write disjoint pieces.
private struct SharedPieces: @unchecked Sendable {
    let source: UnsafeRawPointer
    let output: UnsafeMutableRawPointer
    let count: Int
}

/// Result slots, one per piece, each written by exactly one thread.
private struct SharedSlots: @unchecked Sendable {
    let base: UnsafeMutablePointer<Blake3.Hazmat.ChainingValue?>
}

/// A buffer handed to several threads that each write only their own disjoint piece of it.
private struct DisjointPieces: @unchecked Sendable {
    let source: UnsafeRawPointer
    let destination: UnsafeMutableRawPointer
    let count: Int
}

/// Compares a computed tag with a received one without an early exit or an allocation.
func constantTimeEqual(_ expected: Blake3.Digest, _ tag: [UInt8]) -> Bool {
    guard tag.count == XChaCha8Blake3SIV.tagLength else { return false }
    return expected.withUnsafeBytes { computed in
        var difference: UInt8 = 0
        for i in 0..<XChaCha8Blake3SIV.tagLength { difference |= computed[i] ^ tag[i] }
        return difference == 0
    }
}


/// A new array of `count` bytes that `fill` writes in full. Large arrays are left uninitialised
/// until `fill` writes them (no zeroing pass); small ones are made zeroed, because the
/// uninitialised initialiser looks up generic metadata at run time (about 25 ns, as much as a
/// ChaCha block).
func newBytes(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) -> [UInt8] {
    if count <= 16 * 1024 {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { fill($0) }
        return bytes
    }
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        fill(UnsafeMutableRawBufferPointer(buffer))
        initialized = count
    }
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
