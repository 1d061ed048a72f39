import MaimoBlake3
import MaimoCipher

/// Every key of a repository, derived from its 32-byte root secret with BLAKE3 `derive_key`
/// under distinct contexts (Docs/Repository.md §1). The secret and the data key are
/// `CipherKey`s, zeroed when released; the derived material passes through arrays that are
/// overwritten before they are freed.
public final class RepositoryKeys: Sendable {
    /// The root secret: what the recovery code writes down.
    public let secret: CipherKey
    /// XChaCha8-Blake3-SIV key for every item and blob header.
    public let dataKey: CipherKey
    /// XChaCha8 key of the key streams that make each keyed copy or share distinct (§12).
    public let shareKey: CipherKey
    /// The BLAKE3 key that names items.
    let chunkIDKey: Blake3.Key
    /// The chunker's secret gear table.
    public let gear: GearTable
    /// 8 bytes naming the secret (hex in the catalogue), not revealing it.
    public let keyID: [UInt8]
    /// The 32-byte Ed25519 seed of the client's identity (node ID, onion address).
    public var identitySeed: [UInt8] { derived("maimo 2026-12 identity v2") }

    /// The derivation context of the data key (for tools that open items by hand).
    public static let dataKeyContext = "maimo 2026-12 data key v2"

    /// Every key, derived from the 32-byte root secret.
    public init(secret: CipherKey) {
        self.secret = secret
        func derive(_ context: String) -> [UInt8] {
            secret.withUnsafeBytes { Blake3.deriveKey(context: context, material: $0) }
        }
        var data = derive(Self.dataKeyContext)
        // derive_key makes exactly 32 bytes: always a valid key.
        dataKey = try! CipherKey(bytes: data)
        var share = derive("maimo 2026-12 share key v2")
        shareKey = try! CipherKey(bytes: share)
        var chunk = derive("maimo 2026-12 chunk id v2")
        chunkIDKey = try! Blake3.Key(chunk)
        var gearSeed = derive("maimo 2026-12 gear table v2")
        gear = GearTable(seed: try! Blake3.Key(gearSeed))
        var idKey = derive("maimo 2026-12 key id v2")
        keyID = Array(Blake3.keyedHash(key: try! Blake3.Key(idKey), Array("maimo key id v2".utf8)).bytes.prefix(8))
        for i in 0..<32 { data[i] = 0; share[i] = 0; chunk[i] = 0; gearSeed[i] = 0; idKey[i] = 0 }
    }

    /// A fresh repository: a root secret from the system CSPRNG.
    public static func generate() -> RepositoryKeys { RepositoryKeys(secret: CipherKey()) }

    /// The keys a recovery code stands for.
    public convenience init(recoveryCode: String) throws(RepositoryError) {
        var bytes: [UInt8]
        do { bytes = try RecoveryCode.decode(recoveryCode) } catch { throw .recoveryCode(error) }
        defer { for i in bytes.indices { bytes[i] = 0 } }
        self.init(secret: try! CipherKey(bytes: bytes))
    }

    /// The recovery code of the secret (show it once; never log it).
    public var recoveryCode: String {
        secret.withUnsafeBytes { RecoveryCode.encode(Array($0)) }
    }

    /// The ID of an item's plaintext.
    public func itemID(_ plaintext: UnsafeRawBufferPointer) -> ItemID {
        ItemID(Blake3.keyedHash(key: chunkIDKey, plaintext))
    }

    /// The ID of an item with this plaintext.
    public func itemID(_ plaintext: [UInt8]) -> ItemID {
        plaintext.withUnsafeBytes { itemID($0) }
    }

    /// ``keyID`` in hex.
    public var keyIDHex: String { keyID.map { String($0, radix: 16).leftPadded(to: 2) }.joined() }

    private func derived(_ context: String) -> [UInt8] {
        secret.withUnsafeBytes { Blake3.deriveKey(context: context, material: $0) }
    }
}
