import MaimoBlake3
import MaimoTor

/// A node's ID: the 32-byte Ed25519 public key of its identity, shown (and parsed, and stored in
/// the catalogue) as the v3 onion address it makes, so a provider's ID is also where Tor finds it.
public struct NodeID: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The 32 bytes of the Ed25519 public key.
    public let bytes: [UInt8]

    /// A node ID from a 32-byte public key.
    /// - Throws: ``MaimoError/usage(_:)`` for any other length.
    public init(_ bytes: [UInt8]) throws(MaimoError) {
        guard bytes.count == 32 else { throw .usage("a node ID is 32 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    /// 32 bytes the caller knows are a public key (a handshake's, an identity's).
    package init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Parses an onion address, with or without `.onion` (its checksum and version checked).
    /// - Throws: ``MaimoError/usage(_:)`` naming the text when it is not one.
    public init(_ text: String) throws(MaimoError) {
        do { bytes = try OnionAddress(text).publicKey } catch { throw .usage("\(text) is not a node ID (a v3 onion address): \(error)") }
    }

    /// The v3 onion address (hex when the bytes are not an Ed25519 point).
    public var description: String { (try? OnionAddress(publicKeyBytes: bytes))?.description ?? hexString(bytes) }

    /// Reads the onion address the catalogue stores.
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    /// Writes the onion address.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
