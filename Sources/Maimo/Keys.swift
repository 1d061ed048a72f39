import MaimoBlake3
import MaimoCipher

/// The client's keys (Docs/Engine.md, "Roles and identities"): one master key, from which each
/// stored revision's encryption key is derived with BLAKE3 `derive_key`, and a short key ID that
/// names the master key in the catalogue without revealing it.
public struct MasterKeyring: Sendable {
    public let master: CipherKey

    public init(master: CipherKey) { self.master = master }

    /// The first 8 bytes of BLAKE3-keyed(master; "maimo key id v1").
    public var keyID: [UInt8] {
        master.withUnsafeBytes { raw in
            // A 32-byte key always makes a BLAKE3 key.
            let key = try! Blake3.Key(Array(raw))
            return Array(Blake3.keyedHash(key: key, Array("maimo key id v1".utf8)).bytes.prefix(8))
        }
    }

    /// The encryption key of the revision with this ID (16 bytes as made by ``newRevisionID()``;
    /// any length derives a key, so a damaged catalogue row cannot crash anything — it only
    /// yields a key that fails to open the ciphertext).
    public func revisionKey(_ revisionID: [UInt8]) -> CipherKey {
        let material = master.withUnsafeBytes { Array($0) } + revisionID
        // derive_key gives exactly 32 bytes, a valid key.
        return try! CipherKey(bytes: Blake3.deriveKey(context: "maimo 2026-11 revision key v1", material: material))
    }

    /// A new random revision ID (system CSPRNG).
    public static func newRevisionID() -> [UInt8] {
        SecureRandom.bytes(16)
    }
}

/// How many random slices a proof of storage needs (Docs/Engine.md, "Proof of storage"): a
/// provider that lost a fraction `loss` of a blob escapes one slice with probability
/// `1 − loss`, and `n` independent slices with `(1 − loss)^n`.
public enum ProofPlan {
    /// The smallest `n` with `(1 − loss)^n ≤ 1 − confidence`; nil unless confidence is in (0, 1)
    /// and loss in (0, 1].
    public static func samples(confidence: Double, loss: Double) -> Int? {
        guard confidence > 0 && confidence < 1 && loss > 0 && loss <= 1 else { return nil }
        if loss == 1 { return 1 }
        return Int((log(1 - confidence) / log(1 - loss)).rounded(.up))
    }

    /// The probability that `samples` slices all miss a loss of `loss`.
    public static func missProbability(samples: Int, loss: Double) -> Double {
        pow(1 - loss, Double(samples))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
