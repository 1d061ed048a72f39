import MaimoBlake3
import MaimoTor

/// Node IDs as text: the v3 onion address of the Ed25519 public key.
public enum NodeID {
    /// `id` as its onion address (hex when it is not an Ed25519 key).
    public static func text(_ id: [UInt8]) -> String {
        (try? OnionAddress(publicKeyBytes: id))?.description ?? hexString(id)
    }

    /// Parses an onion address (with or without `.onion`) into the 32-byte node ID.
    public static func parse(_ text: String) throws(MaimoError) -> [UInt8] {
        do { return try OnionAddress(text).publicKey } catch { throw .usage("\(text) is not a node ID (a v3 onion address): \(error)") }
    }
}
