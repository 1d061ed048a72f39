extension Blake3 {
    /// A 32-byte key for the keyed hash. Its bytes never appear in descriptions.
    public struct Key: Sendable, Equatable {
        var words: SIMD8<UInt32>

        /// A key from exactly 32 bytes.
        /// - Throws: ``Blake3Error/invalidKeyLength(_:)`` for any other length.
        public init<Bytes: Collection>(_ bytes: Bytes) throws(Blake3Error) where Bytes.Element == UInt8 {
            guard bytes.count == Blake3.keyLength else { throw .invalidKeyLength(bytes.count) }
            words = SIMD8(littleEndianCollection: bytes)
        }

        /// A key from exactly 32 bytes in `buffer` (a concrete overload of the generic form).
        /// - Throws: ``Blake3Error/invalidKeyLength(_:)`` for any other length.
        public init(_ buffer: UnsafeRawBufferPointer) throws(Blake3Error) {
            guard buffer.count == Blake3.keyLength else { throw .invalidKeyLength(buffer.count) }
            words = SIMD8(littleEndianBuffer: buffer)
        }

        init(words: SIMD8<UInt32>) { self.words = words }

        /// A fresh random key from the system's cryptographically secure generator.
        public static func random() -> Key {
            var generator = SystemRandomNumberGenerator()
            var words = SIMD8<UInt32>()
            for i in 0..<8 { words[i] = generator.next() }
            return Key(words: words)
        }

        /// Calls `body` with the key's 32 bytes.
        public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
            let bytes = words.littleEndianBytes
            return try bytes.withUnsafeBytes(body)
        }

        /// Constant-time comparison.
        public static func == (lhs: Key, rhs: Key) -> Bool { constantTimeEqual(lhs.words, rhs.words) }
    }

    /// Which of BLAKE3's three functions a hasher computes.
    public enum Mode: Sendable, Equatable {
        /// The plain hash.
        case hash
        /// The keyed hash under a 32-byte key.
        case keyedHash(Key)
        /// The second half of key derivation: hashing key material under the context key made
        /// from the context string (`Blake3.Hasher(deriveKeyContext:)` computes it).
        case deriveKeyMaterial(contextKey: Key)

        var keyWords: SIMD8<UInt32> {
            switch self {
            case .hash: Blake3Constants.iv
            case .keyedHash(let key): key.words
            case .deriveKeyMaterial(let key): key.words
            }
        }

        var flags: UInt32 {
            switch self {
            case .hash: 0
            case .keyedHash: Blake3Constants.keyedHash
            case .deriveKeyMaterial: Blake3Constants.deriveKeyMaterial
            }
        }

        /// The context key for `context`, for ``deriveKeyMaterial(contextKey:)``.
        public static func deriveKeyContextKey(_ context: String) -> Key {
            var hasher = Hasher(key: Blake3Constants.iv, flags: Blake3Constants.deriveKeyContext)
            hasher.update(context.utf8)
            return Key(words: hasher.finalOutput().chainingValueAsRoot())
        }
    }
}

/// Errors of MaimoBlake3.
public enum Blake3Error: Error, Equatable, Sendable, CustomStringConvertible {
    /// A key was not 32 bytes long; the associated value is the length given.
    case invalidKeyLength(Int)
    /// A hex string was not 64 hexadecimal digits; the associated value is the first bad offset.
    case invalidHex(offset: Int)
    /// A digest or chaining value was not 32 bytes long.
    case invalidDigestLength(Int)
    /// A hazmat input offset was not a multiple of the 1024-byte chunk length.
    case misalignedInputOffset(UInt64)
    /// A hazmat subtree was empty (away from offset 0) or longer than its offset allows.
    case invalidSubtreeLength(length: UInt64, inputOffset: UInt64)
    /// `setInputOffset` was called after input was added.
    case inputOffsetAfterInput

    public var description: String {
        switch self {
        case .invalidKeyLength(let n): "BLAKE3 key must be 32 bytes, got \(n)"
        case .invalidHex(let offset): "invalid hex digest at character \(offset): expected 64 lowercase or uppercase hex digits"
        case .invalidDigestLength(let n): "BLAKE3 digest must be 32 bytes, got \(n)"
        case .misalignedInputOffset(let offset): "input offset \(offset) is not a multiple of the 1024-byte chunk length"
        case .invalidSubtreeLength(let length, let offset):
            "a subtree of \(length) bytes cannot start at offset \(offset) (at most the largest power of two dividing the offset, and not empty)"
        case .inputOffsetAfterInput: "the input offset can only be set before any input is added"
        }
    }
}

/// Compares without branching on the contents, so timing reveals nothing about where they differ.
@inline(never)
func constantTimeEqual(_ a: SIMD8<UInt32>, _ b: SIMD8<UInt32>) -> Bool {
    let difference = a ^ b
    var accumulated: UInt32 = 0
    for i in 0..<8 { accumulated |= difference[i] }
    return accumulated == 0
}

extension SIMD8<UInt32> {
    /// From 32 bytes of any collection; contiguous ones (arrays, buffers) are read in place.
    init<Bytes: Collection>(littleEndianCollection bytes: Bytes) where Bytes.Element == UInt8 {
        if let words = bytes.withContiguousStorageIfAvailable({ SIMD8(littleEndianBuffer: UnsafeRawBufferPointer($0)) }) {
            self = words
        } else {
            self.init(littleEndianBytes: Array(bytes))
        }
    }

    /// From the first 32 bytes of `buffer`.
    init(littleEndianBuffer buffer: UnsafeRawBufferPointer) {
        self.init()
        for i in 0..<8 { self[i] = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
    }

    init(littleEndianBytes bytes: [UInt8]) {
        self.init()
        for i in 0..<8 {
            self[i] = UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8
                | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24
        }
    }

    var littleEndianBytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in 0..<8 {
            let w = self[i]
            bytes[4 * i] = UInt8(truncatingIfNeeded: w)
            bytes[4 * i + 1] = UInt8(truncatingIfNeeded: w >> 8)
            bytes[4 * i + 2] = UInt8(truncatingIfNeeded: w >> 16)
            bytes[4 * i + 3] = UInt8(truncatingIfNeeded: w >> 24)
        }
        return bytes
    }
}
