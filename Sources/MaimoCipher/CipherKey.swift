/// A 256-bit secret key. Its bytes live in one heap allocation, shared by copies of the key, that
/// is zeroed when the last copy goes away; they never appear in `description`, logs or errors.
public struct CipherKey: Sendable, CustomStringConvertible {
    private let storage: KeyStorage

    /// The key length in bytes.
    public static let length = 32

    /// A key from exactly 32 bytes.
    /// - Throws: ``CipherError/invalidKeyLength(_:)`` for any other length.
    public init<Bytes: Collection>(bytes: Bytes) throws(CipherError) where Bytes.Element == UInt8 {
        guard bytes.count == Self.length else { throw .invalidKeyLength(bytes.count) }
        storage = KeyStorage()
        storage.bytes.copyBytes(from: bytes)
    }

    /// A fresh key from the system's cryptographically secure generator.
    public init() {
        storage = KeyStorage()
        var generator = SystemRandomNumberGenerator()
        for i in stride(from: 0, to: Self.length, by: 8) {
            storage.bytes.storeBytes(of: generator.next() as UInt64, toByteOffset: i, as: UInt64.self)
        }
    }

    /// A key from eight little-endian words (HChaCha's subkey), without an array in between.
    init(words: SIMD8<UInt32>) {
        storage = KeyStorage()
        for i in 0..<8 { storage.bytes.storeBytes(of: words[i].littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
    }

    /// Calls `body` with the 32 key bytes; do not let them escape.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(storage.bytes))
    }

    /// The key as eight little-endian words.
    var words: SIMD8<UInt32> {
        var words = SIMD8<UInt32>()
        for i in 0..<8 {
            words[i] = UInt32(littleEndian: storage.bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))
        }
        return words
    }

    public var description: String { "CipherKey(256 bits, redacted)" }
}

/// The one allocation behind a key and its copies, zeroed before it is freed.
private final class KeyStorage: @unchecked Sendable {
    // Written once while the key is made, read-only afterwards: safe to share between threads.
    let bytes: UnsafeMutableRawBufferPointer

    init() { bytes = .allocate(byteCount: CipherKey.length, alignment: 16) }

    deinit {
        // memset_explicit is not in every libc; a loop through a pointer that is freed right
        // after is what Swift allows.
        for i in 0..<bytes.count { bytes[i] = 0 }
        bytes.deallocate()
    }
}

extension Array where Element == UInt8 {
    /// Overwrites every byte with zero (one memset, not a loop of checked stores), for buffers
    /// that held plaintext or key material.
    mutating func zeroize() {
        withUnsafeMutableBytes { bytes in
            if !bytes.isEmpty { bytes.initializeMemory(as: UInt8.self, repeating: 0) }
        }
    }
}
