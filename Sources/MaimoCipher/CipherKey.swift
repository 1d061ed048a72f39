#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 256-bit secret key. Its bytes live in one heap allocation that is zeroed when the last
/// reference goes away; they never appear in `description`, logs or errors.
public final class CipherKey: @unchecked Sendable, CustomStringConvertible {
    // Written once in init, read-only afterwards: safe to share between threads.
    private let storage: UnsafeMutableRawBufferPointer

    /// The key length in bytes.
    public static let length = 32

    /// A key from exactly 32 bytes.
    /// - Throws: ``CipherError/invalidKeyLength(_:)`` for any other length.
    public init<Bytes: Collection>(bytes: Bytes) throws(CipherError) where Bytes.Element == UInt8 {
        guard bytes.count == Self.length else { throw .invalidKeyLength(bytes.count) }
        storage = .allocate(byteCount: Self.length, alignment: 16)
        storage.copyBytes(from: bytes)
    }

    /// A fresh key from the system's cryptographically secure generator.
    public init() {
        storage = .allocate(byteCount: Self.length, alignment: 16)
        var generator = SystemRandomNumberGenerator()
        for i in stride(from: 0, to: Self.length, by: 8) {
            storage.storeBytes(of: generator.next() as UInt64, toByteOffset: i, as: UInt64.self)
        }
    }

    deinit {
        // memset_explicit is not in every libc; a volatile-free loop through an opaque pointer
        // that is freed right after is what Swift allows.
        for i in 0..<storage.count { storage[i] = 0 }
        storage.deallocate()
    }

    /// Calls `body` with the 32 key bytes; do not let them escape.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(storage))
    }

    /// The key as eight little-endian words.
    var words: SIMD8<UInt32> {
        var words = SIMD8<UInt32>()
        for i in 0..<8 { words[i] = UInt32(littleEndian: storage.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        return words
    }

    public var description: String { "CipherKey(256 bits, redacted)" }
}

/// Errors of MaimoCipher.
public enum CipherError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A key was not 32 bytes; the associated value is the length given.
    case invalidKeyLength(Int)
    /// A nonce had the wrong length for the construction.
    case invalidNonceLength(expected: Int, got: Int)
    /// The keystream would pass the end of the block counter (2^32 blocks in the IETF layout).
    case counterOverflow
    /// The tag did not match: wrong key, wrong nonce or associated data, or tampered ciphertext.
    /// Nothing was decrypted.
    case authenticationFailed

    public var description: String {
        switch self {
        case .invalidKeyLength(let n): "a key must be 32 bytes, got \(n)"
        case .invalidNonceLength(let expected, let got): "the nonce must be \(expected) bytes, got \(got)"
        case .counterOverflow: "the block counter would overflow"
        case .authenticationFailed: "authentication failed: wrong key or corrupted data"
        }
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

/// Random bytes from the system's cryptographically secure generator, eight per draw (one
/// `getrandom` call per eight bytes rather than per byte).
public enum SecureRandom {
    public static func bytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(count + 8)
        while bytes.count < count { withUnsafeBytes(of: generator.next() as UInt64) { bytes += $0 } }
        return Array(bytes.prefix(count))
    }
}
