import MaimoBlake3

/// A pack as an index blob lists it: its root, its blob length and its entries.
public struct PackRecord: Sendable, Equatable {
    /// The pack's Bao root.
    public var root: Blake3.Digest
    /// The pack's length in bytes.
    public var length: UInt64
    /// The items in it.
    public var entries: [ItemEntry]

    /// A record with the given fields.
    public init(root: Blake3.Digest, length: UInt64, entries: [ItemEntry]) {
        self.root = root
        self.length = length
        self.entries = entries
    }
}

/// The payload of an index blob (Docs/Repository.md §7).
public struct PackIndex: Sendable, Equatable {
    /// The packs listed.
    public var packs: [PackRecord]

    /// An index of `packs`.
    public init(packs: [PackRecord]) { self.packs = packs }

    static let magic: [UInt8] = Array("MAIMOIX".utf8) + [2]

    /// The index's plaintext bytes (Docs/Repository.md §7).
    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 12 + packs.reduce(0) { $0 + 44 + $1.entries.count * ItemEntry.encodedLength })
        writer.raw(Self.magic)
        writer.u32(UInt32(packs.count))
        for pack in packs {
            writer.raw(pack.root.bytes)
            writer.u64(pack.length)
            writer.u32(UInt32(pack.entries.count))
            for entry in pack.entries { entry.encode(into: &writer) }
        }
        return writer.bytes
    }

    /// An index from its plaintext.
    /// - Throws: ``RepositoryError`` naming what is malformed and where.
    public static func decode(_ bytes: [UInt8]) throws(RepositoryError) -> PackIndex {
        var reader = ByteReader(bytes, what: "index")
        try reader.magic(magic)
        let count = try reader.count(minimum: 44)
        var packs: [PackRecord] = []
        for _ in 0..<count {
            let root = try reader.id()
            let length = try reader.u64()
            let entryCount = try reader.count(minimum: ItemEntry.encodedLength)
            var entries: [ItemEntry] = []
            entries.reserveCapacity(entryCount)
            for _ in 0..<entryCount { entries.append(try ItemEntry.decode(from: &reader, within: length)) }
            // 32 bytes always make a digest.
            packs.append(PackRecord(root: try! Blake3.Digest(bytes: root.bytes), length: length, entries: entries))
        }
        try reader.end()
        return PackIndex(packs: packs)
    }
}
