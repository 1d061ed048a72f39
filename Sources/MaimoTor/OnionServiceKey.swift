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
        let bytes = Self.fileMagic + [0, 0, 0, 1] + Array(signingKey.rawRepresentation)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else { throw .io(operation: "writing \(path)", errno: errno) }
    }

    /// Reads a key file written by ``write(to:)``.
    public init(contentsOf path: String) throws(TorError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .io(operation: "reading \(path)", errno: errno) }
        let bytes = [UInt8](data)
        guard bytes.count == 44, Array(bytes[0..<8]) == Self.fileMagic else {
            throw .invalidKey(reason: "\(path) is not a Maimo onion key file")
        }
        guard bytes[8..<12] == [0, 0, 0, 1] else { throw .invalidKey(reason: "\(path): unknown key file version") }
        try self.init(seed: Array(bytes[12...]))
    }
}
