extension Blake3 {
    /// A 32-byte BLAKE3 output: a hash, keyed hash, or Bao root.
    ///
    /// Equality is constant-time. `description` is lowercase hex, as `b3sum` prints it. It is a
    /// `Sequence` of its 32 bytes (`Array(digest)`, `for byte in digest`), and
    /// ``withUnsafeBytes(_:)`` lends them without allocating.
    public struct Digest: Sendable, Hashable, CustomStringConvertible, LosslessStringConvertible, Sequence {
        var words: SIMD8<UInt32>

        init(words: SIMD8<UInt32>) { self.words = words }

        /// A digest from exactly 32 bytes.
        public init<Bytes: Collection>(bytes: Bytes) throws(Blake3Error) where Bytes.Element == UInt8 {
            guard bytes.count == 32 else { throw .invalidDigestLength(bytes.count) }
            words = SIMD8(littleEndianCollection: bytes)
        }

        /// A digest from 64 hex digits (either case).
        public init(hex: some StringProtocol) throws(Blake3Error) {
            let utf8 = Array(hex.utf8)
            guard utf8.count == 64 else { throw .invalidHex(offset: Swift.min(utf8.count, 64)) }
            var bytes = [UInt8](repeating: 0, count: 32)
            for i in 0..<64 {
                guard let nibble = hexValue(utf8[i]) else { throw .invalidHex(offset: i) }
                bytes[i / 2] |= i % 2 == 0 ? nibble << 4 : nibble
            }
            words = SIMD8(littleEndianBytes: bytes)
        }

        /// LosslessStringConvertible: nil unless `description` is 64 hex digits.
        public init?(_ description: String) {
            guard let digest = try? Digest(hex: description) else { return nil }
            self = digest
        }

        /// The 32 bytes.
        public var bytes: [UInt8] { words.littleEndianBytes }

        /// Calls `body` with the 32 bytes, without allocating.
        public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
            var littleEndian = words.littleEndianWords
            return try Swift.withUnsafeBytes(of: &littleEndian, body)
        }

        /// The bytes in order, without allocating.
        public struct Iterator: IteratorProtocol {
            let words: SIMD8<UInt32>
            var index = 0

            public mutating func next() -> UInt8? {
                guard index < 32 else { return nil }
                defer { index += 1 }
                return UInt8(truncatingIfNeeded: words[index >> 2] >> (UInt32(index & 3) * 8))
            }
        }

        /// An iterator over the 32 bytes.
        public func makeIterator() -> Iterator { Iterator(words: words) }

        /// Always 32.
        public var underestimatedCount: Int { 32 }

        /// Lowercase hex.
        public var description: String { hexString(bytes) }

        /// Constant-time comparison.
        public static func == (lhs: Digest, rhs: Digest) -> Bool { constantTimeEqual(lhs.words, rhs.words) }

        /// Hashes the words into a `Hasher` (for sets and dictionaries keyed by digest).
        public func hash(into hasher: inout Hasher) { hasher.combine(words) }
    }
}

func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// Lowercase hex of `bytes` (for the package's own modules; importers use a digest's
/// `description`).
package func hexString<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.underestimatedCount * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}
