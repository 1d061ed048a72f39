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

        /// Calls `body` with the key's 32 bytes, in a copy on the stack that is zeroed afterwards.
        public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
            var littleEndian = words.littleEndianWords
            defer { wipe(&littleEndian) }
            return try Swift.withUnsafeBytes(of: &littleEndian, body)
        }

        /// Constant-time comparison.
        public static func == (lhs: Key, rhs: Key) -> Bool { constantTimeEqual(lhs.words, rhs.words) }
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

/// Overwrites key words with zeros through a pointer, in a function the optimiser keeps.
@inline(never)
func wipe(_ words: inout SIMD8<UInt32>) {
    Swift.withUnsafeMutableBytes(of: &words) { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) }
}

extension SIMD8<UInt32> {
    /// The words as stored in little-endian byte order (a no-op on little-endian machines).
    var littleEndianWords: SIMD8<UInt32> {
        var words = self
        for i in 0..<8 { words[i] = words[i].littleEndian }
        return words
    }

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
