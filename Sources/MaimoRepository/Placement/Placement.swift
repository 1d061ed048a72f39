import MaimoBlake3

/// One copy or share of a blob at one provider, as the client records it.
public struct Share: Sendable, Equatable, Hashable {
    /// The provider holding it (the peer's name in the engine).
    public var provider: String
    /// Its Bao root: what the provider is asked to prove.
    public var root: Blake3.Digest
    /// Its length at the provider.
    public var length: UInt64
    /// Which copy or shard it is (shards 0..<K carry the data, K..<N parity).
    public var index: Int
    /// The nonce of its key stream (nil: the blob's own bytes, the plain first copy).
    public var nonce: [UInt8]?

    /// A share with the given fields.
    public init(provider: String, root: Blake3.Digest, length: UInt64, index: Int, nonce: [UInt8]?) {
        self.provider = provider
        self.root = root
        self.length = length
        self.index = index
        self.nonce = nonce
    }

    /// The bytes of the copy or shard itself (a keyed share ends with its trailer).
    public var bodyLength: UInt64 { nonce == nil ? length : length - UInt64(ShareTrailer.length) }
}

/// Where a blob is: its redundancy and every copy or share the client knows of (after a repair,
/// possibly more than N until the bad ones are deleted).
public struct Placement: Sendable, Equatable {
    /// Copies or K-of-N shares.
    public var redundancy: Redundancy
    /// The copies or shares.
    public var shares: [Share]

    /// A placement with the given fields.
    public init(redundancy: Redundancy, shares: [Share]) {
        self.redundancy = redundancy
        self.shares = shares
    }

    /// One plain copy of the blob `root` at `provider`: the placement of a blob stored before
    /// redundancy, or with the default.
    public static func plain(root: Blake3.Digest, length: UInt64, provider: String) -> Placement {
        Placement(redundancy: .single, shares: [Share(provider: provider, root: root, length: length, index: 0, nonce: nil)])
    }

    /// The providers holding a share.
    public var providers: Set<String> { Set(shares.map(\.provider)) }

    static let version: UInt8 = 1

    /// The catalogue's encoding: u8 version 1, u8 scheme (1 copies, 2 shares), u8 K, u8 N,
    /// u16 share count, then per share: u8 provider length, provider, root (32), u64 length,
    /// u8 index, u8 keyed, nonce (24, when keyed).
    public func encode() -> [UInt8] {
        var writer = ByteWriter()
        writer.u8(Self.version)
        redundancy.write(into: &writer)
        writer.u16(UInt16(shares.count))
        for share in shares {
            let name = Array(share.provider.utf8.prefix(255))
            writer.u8(UInt8(name.count))
            writer.raw(name)
            writer.raw(share.root.bytes)
            writer.u64(share.length)
            writer.u8(UInt8(share.index))
            writer.u8(share.nonce == nil ? 0 : 1)
            if let nonce = share.nonce { writer.raw(nonce) }
        }
        return writer.bytes
    }

    /// Decodes ``encode()``'s bytes.
    public static func decode(_ bytes: [UInt8]) throws(RepositoryError) -> Placement {
        var reader = ByteReader(bytes, what: "placement record")
        guard try reader.u8() == version else { throw reader.fail("unknown version") }
        let redundancy = try Redundancy.read(from: &reader)
        let count = Int(try reader.u16())
        var shares: [Share] = []
        for _ in 0..<count {
            let name = Array(try reader.take(Int(try reader.u8())))
            guard let provider = String(validating: name, as: UTF8.self) else { throw reader.fail("a provider name that is not UTF-8") }
            let rootBytes = try reader.take(32)
            let root = try! Blake3.Digest(bytes: rootBytes)  // exactly 32 bytes
            let length = try reader.u64()
            let index = Int(try reader.u8())
            let keyed = try reader.u8()
            guard keyed <= 1 else { throw reader.fail("a keyed flag of \(keyed)") }
            let nonce = keyed == 1 ? Array(try reader.take(ShareTrailer.nonceLength)) : nil
            guard index < redundancy.shareCount else { throw reader.fail("share \(index) of \(redundancy)") }
            shares.append(Share(provider: provider, root: root, length: length, index: index, nonce: nonce))
        }
        try reader.end()
        return Placement(redundancy: redundancy, shares: shares)
    }
}
