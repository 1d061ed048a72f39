import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An onion service's identity: an Ed25519 signing key, its ``OnionAddress``, and the forms Tor
/// takes it in. Never printed: `description` shows the address only.
public struct OnionServiceKey: Sendable, CustomStringConvertible {
    /// The Ed25519 signing key; its public half is the onion address.
    public let signingKey: Curve25519.Signing.PrivateKey

    /// A new key from the system's CSPRNG.
    public init() { signingKey = Curve25519.Signing.PrivateKey() }

    /// A key from an existing Ed25519 signing key.
    public init(signingKey: Curve25519.Signing.PrivateKey) { self.signingKey = signingKey }

    /// A key from its 32-byte seed.
    public init(seed: [UInt8]) throws(TorError) {
        guard seed.count == 32 else { throw .invalidKey(reason: "an Ed25519 seed has 32 bytes, not \(seed.count)") }
        do { signingKey = try Curve25519.Signing.PrivateKey(rawRepresentation: seed) } catch {
            throw .invalidKey(reason: "not an Ed25519 seed")
        }
    }

    /// The service's v3 onion address.
    public var address: OnionAddress { OnionAddress(publicKey: signingKey.publicKey) }

    public var description: String { "onion service key for \(address)" }

    /// The expanded secret key Tor stores and `ADD_ONION ED25519-V3:` takes (rend-spec-v3
    /// appendix, "Expanded secret key"): SHA-512 of the seed, the first half clamped as Ed25519
    /// scalars are.
    public var expandedSecretKey: [UInt8] {
        var expanded = Array(SHA512.hash(data: signingKey.rawRepresentation))
        expanded[0] &= 248
        expanded[31] &= 63
        expanded[31] |= 64
        return expanded
    }

    /// The key argument of `ADD_ONION`: `ED25519-V3:` and the base64 of the expanded key.
    public var addOnionKeyBlob: String { "ED25519-V3:" + Data(expandedSecretKey).base64EncodedString() }

    /// Magic and version of Maimo's key file: 8 bytes, then the 32-byte seed.
    static let fileMagic = Array("MAIMOONI".utf8)

    /// Writes the key to a new file with mode 0600; refuses to overwrite.
    public func write(to path: String) throws(TorError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io(operation: "creating \(path)", errno: errno) }
        defer { close(descriptor) }
        var bytes = Self.fileMagic + [0, 0, 0, 1] + Array(signingKey.rawRepresentation)
        defer { bytes.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else { throw .io(operation: "writing \(path)", errno: errno) }
    }

    /// Reads a key file written by ``write(to:)``, refusing one that its group or others may
    /// read or write (as ssh refuses such private keys): `chmod 600` it, or make a new one.
    public init(contentsOf path: String) throws(TorError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(operation: "opening \(path)", errno: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .io(operation: "reading \(path)", errno: errno) }
        guard status.st_mode & 0o077 == 0 else {
            throw .invalidKey(reason: "\(path) may be read or written by its group or others (mode "
                + String(status.st_mode & 0o777, radix: 8) + "); only its owner may: chmod 600 it")
        }
        // One byte more than a key file has, so that a longer file is seen; zeroed after use.
        var bytes = [UInt8](repeating: 0, count: 45)
        defer { bytes.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        var count = 0
        while count < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .io(operation: "reading \(path)", errno: errno) }
            if n == 0 { break }
            count += n
        }
        guard count == 44, Array(bytes[0..<8]) == Self.fileMagic else {
            throw .invalidKey(reason: "\(path) is not a Maimo onion key file")
        }
        guard bytes[8..<12] == [0, 0, 0, 1] else { throw .invalidKey(reason: "\(path): unknown key file version") }
        var seed = Array(bytes[12..<44])
        defer { seed.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        try self.init(seed: seed)
    }
}
