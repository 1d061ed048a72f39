import Crypto
import Foundation

/// A v3 onion address (rend-spec-v3 §6): the base32 of an Ed25519 public key, a two-byte
/// checksum (the first bytes of SHA3-256(".onion checksum" | key | version)) and the version 3,
/// 56 characters, written with or without the `.onion` suffix.
public struct OnionAddress: Hashable, Sendable, CustomStringConvertible {
    /// The service's Ed25519 public key.
    public let publicKey: [UInt8]

    /// Parses and validates an address (`xxx.onion` or bare, any letter case).
    /// - Throws: ``TorError/invalidOnionAddress(_:reason:)`` saying which rule failed.
    public init(_ text: String) throws(TorError) {
        var label = text.lowercased()
        if label.hasSuffix(".onion") { label.removeLast(6) }
        // A subdomain (`www.xxx.onion`) addresses the same service.
        if let dot = label.lastIndex(of: ".") { label = String(label[label.index(after: dot)...]) }
        guard label.count == 56 else {
            throw .invalidOnionAddress(text, reason: "a v3 address has 56 characters, this one \(label.count)")
        }
        guard let bytes = Base32.decode(label), bytes.count == 35 else {
            throw .invalidOnionAddress(text, reason: "not base32 (letters a-z and digits 2-7)")
        }
        guard bytes[34] == 3 else { throw .invalidOnionAddress(text, reason: "version \(bytes[34]), not 3") }
        let key = Array(bytes[0..<32])
        guard Self.checksum(key) == [bytes[32], bytes[33]] else {
            throw .invalidOnionAddress(text, reason: "checksum mismatch (a mistyped character?)")
        }
        publicKey = key
    }

    /// The address of the service with this Ed25519 public key.
    public init(publicKey: Curve25519.Signing.PublicKey) {
        self.publicKey = Array(publicKey.rawRepresentation)
    }

    /// The address of the service with these 32 public-key bytes.
    public init(publicKeyBytes: [UInt8]) throws(TorError) {
        guard publicKeyBytes.count == 32 else { throw .invalidKey(reason: "an Ed25519 public key has 32 bytes, not \(publicKeyBytes.count)") }
        publicKey = publicKeyBytes
    }

    static func checksum(_ key: [UInt8]) -> [UInt8] {
        var hasher = SHA3_256()
        hasher.update(data: Array(".onion checksum".utf8))
        hasher.update(data: key)
        hasher.update(data: [3])
        return Array(hasher.finalize().prefix(2))
    }

    /// The 56 base32 characters, without `.onion` (what `ADD_ONION` replies as `ServiceID`).
    public var serviceID: String { Base32.encode(publicKey + Self.checksum(publicKey) + [3]) }

    /// `serviceID.onion`.
    public var description: String { serviceID + ".onion" }
}

/// RFC 4648 base32, lowercase, no padding: the alphabet of onion addresses.
enum Base32 {
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        var buffer = 0, bits = 0
        for byte in bytes {
            buffer = buffer << 8 | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nil for characters outside the alphabet or non-zero trailing bits.
    static func decode(_ text: String) -> [UInt8]? {
        var out = [UInt8]()
        var buffer = 0, bits = 0
        for character in text.utf8 {
            let value: Int
            switch character {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = Int(character - UInt8(ascii: "a"))
            case UInt8(ascii: "2")...UInt8(ascii: "7"): value = Int(character - UInt8(ascii: "2")) + 26
            default: return nil
            }
            buffer = (buffer << 5 | value) & 0xFFFF
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        if bits > 0 && buffer & ((1 << bits) - 1) != 0 { return nil }
        return out
    }
}
