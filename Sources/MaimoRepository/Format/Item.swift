import MaimoCipher
import MaimoZstd

/// What an item holds (Docs/Repository.md §3).
public enum ItemType: UInt8, Sendable, Codable {
    /// A chunk of a file.
    case data = 1
    /// A directory's listing.
    case tree = 2
    /// A pack index.
    case index = 3
    /// A snapshot.
    case snapshot = 4
    /// A zstd dictionary data chunks were compressed with: stored in the repository so that a
    /// recovered client can decompress them.
    case dictionary = 5
}

/// One item's place in a blob: the 56-byte header entry of Docs/Repository.md §4.
public struct ItemEntry: Sendable, Equatable, Hashable {
    /// What the item holds.
    public var type: ItemType
    /// 0 stored as it is, 1 zstd.
    public var compression: UInt8
    /// The zstd dictionary's ID, 0 for none.
    public var dictionaryID: UInt32
    /// The item's ID (keyed hash of its plaintext).
    public var id: ItemID
    /// Where the sealed item starts in its blob, and its sealed length (tag + ciphertext).
    public var offset: UInt64
    /// The sealed length: tag and ciphertext.
    public var storedLength: UInt32
    /// The plaintext's length, before compression.
    public var plaintextLength: UInt32

    /// An entry's encoded length in a blob header.
    public static let encodedLength = 56

    /// The 56-byte layout of Docs/Repository.md §4 (what a local cache keeps too).
    public var encoded: [UInt8] {
        var writer = ByteWriter(capacity: Self.encodedLength)
        encode(into: &writer)
        return writer.bytes
    }

    /// An entry from its 56-byte layout.
    public init(encoded: [UInt8]) throws(RepositoryError) {
        guard encoded.count == Self.encodedLength else {
            throw .malformed(what: "item entry", offset: 0, reason: "\(encoded.count) bytes instead of \(Self.encodedLength)")
        }
        var reader = ByteReader(encoded, what: "item entry")
        self = try Self.decode(from: &reader)
    }

    /// An entry with the given fields.
    public init(type: ItemType, compression: UInt8, dictionaryID: UInt32, id: ItemID, offset: UInt64, storedLength: UInt32,
                plaintextLength: UInt32) {
        self.type = type
        self.compression = compression
        self.dictionaryID = dictionaryID
        self.id = id
        self.offset = offset
        self.storedLength = storedLength
        self.plaintextLength = plaintextLength
    }

    func encode(into writer: inout ByteWriter) {
        writer.u8(type.rawValue)
        writer.u8(compression)
        writer.u16(0)
        writer.u32(dictionaryID)
        writer.id(id)
        writer.u64(offset)
        writer.u32(storedLength)
        writer.u32(plaintextLength)
    }

    /// The next entry, which must lie within the first `limit` bytes of its blob.
    static func decode(from reader: inout ByteReader, within limit: UInt64) throws(RepositoryError) -> ItemEntry {
        let entry = try decode(from: &reader)
        guard entry.offset <= limit, UInt64(entry.storedLength) <= limit - entry.offset else {
            throw reader.fail("item \(entry.id.short) lies outside its blob")
        }
        return entry
    }

    static func decode(from reader: inout ByteReader) throws(RepositoryError) -> ItemEntry {
        let rawType = try reader.u8()
        guard let type = ItemType(rawValue: rawType) else { throw reader.fail("unknown item type \(rawType)") }
        let compression = try reader.u8()
        guard compression <= 1 else { throw reader.fail("unknown compression \(compression)") }
        guard try reader.u16() == 0 else { throw reader.fail("reserved bits set") }
        let dictionaryID = try reader.u32()
        let id = try reader.id()
        let offset = try reader.u64()
        let stored = try reader.u32()
        let plain = try reader.u32()
        guard stored >= 32 else { throw reader.fail("an item shorter than its tag") }
        return ItemEntry(type: type, compression: compression, dictionaryID: dictionaryID, id: id, offset: offset,
                         storedLength: stored, plaintextLength: plain)
    }
}

/// Sealing and opening items: compress (unless it does not help), then XChaCha8-Blake3-SIV under
/// the data key with the ID's first 24 bytes as nonce and the entry's fields as associated data.
public enum ItemSealer {
    /// An item's plaintext may not pass this (a chunk is at most 4 MiB; a tree of a huge
    /// directory is larger, and its tree item is refused beyond this).
    public static let maximumPlaintext = 256 << 20

    static func associatedData(type: ItemType, compression: UInt8, dictionaryID: UInt32, id: ItemID) -> [UInt8] {
        var writer = ByteWriter(capacity: 54)
        writer.raw("maimo item v2".utf8)
        writer.u8(type.rawValue)
        writer.u8(compression)
        writer.u32(dictionaryID)
        writer.id(id)
        return writer.bytes
    }

    /// The sealed bytes of `plaintext` (whose ID the caller computed) and its entry (offset 0).
    public static func seal(_ plaintext: [UInt8], id: ItemID, type: ItemType, keys: RepositoryKeys,
                            compressor: ZstdCompressor?, dictionaryID: UInt32 = 0) throws(RepositoryError) -> (bytes: [UInt8], entry: ItemEntry) {
        guard plaintext.count <= maximumPlaintext else { throw .usage("an item of \(plaintext.count) bytes is over the \(maximumPlaintext >> 20) MiB limit") }
        var body = plaintext
        var compression: UInt8 = 0
        var dictionary: UInt32 = 0
        if let compressor, !plaintext.isEmpty {
            let frame = compressor.compressFrame(plaintext)
            if frame.count < plaintext.count {
                body = frame
                compression = 1
                dictionary = dictionaryID
            }
        }
        let ad = associatedData(type: type, compression: compression, dictionaryID: dictionary, id: id)
        let tag: [UInt8]
        do {
            tag = try body.withUnsafeMutableBytes { buffer throws(CipherError) in
                try XChaCha8Blake3SIV.sealInPlace(buffer, key: keys.dataKey, nonce: XChaCha8Blake3SIV.Nonce(id.bytes.prefix(24)), associatedData: ad)
            }
        } catch {
            throw .integrity("sealing an item: \(error)")
        }
        let entry = ItemEntry(type: type, compression: compression, dictionaryID: dictionary, id: id, offset: 0,
                              storedLength: UInt32(32 + body.count), plaintextLength: UInt32(plaintext.count))
        return (tag + body, entry)
    }

    /// The plaintext of a sealed item, only if it authenticates under `keys` for exactly this
    /// entry and its plaintext hashes to the entry's ID. `dictionary` must be the one the entry
    /// names (the caller looks it up).
    public static func open(_ sealed: ArraySlice<UInt8>, entry: ItemEntry, keys: RepositoryKeys,
                            dictionary: ZstdDictionary?) throws(RepositoryError) -> [UInt8] {
        guard sealed.count == Int(entry.storedLength) else {
            throw .integrity("item \(entry.id.short): \(sealed.count) bytes instead of \(entry.storedLength)")
        }
        let ad = associatedData(type: entry.type, compression: entry.compression, dictionaryID: entry.dictionaryID, id: entry.id)
        let box = XChaCha8Blake3SIV.SealedBox(tag: Array(sealed.prefix(32)), ciphertext: Array(sealed.dropFirst(32)))
        var body: [UInt8]
        do {
            body = try XChaCha8Blake3SIV.open(box, key: keys.dataKey, nonce: XChaCha8Blake3SIV.Nonce(entry.id.bytes.prefix(24)), associatedData: ad)
        } catch {
            throw .integrity("item \(entry.id.short) does not authenticate (damaged, moved, or not this repository's)")
        }
        if entry.compression == 1 {
            if entry.dictionaryID != 0 {
                guard let dictionary, dictionary.id == entry.dictionaryID else {
                    throw .usage("item \(entry.id.short) needs zstd dictionary \(entry.dictionaryID), which is not in the catalogue")
                }
            }
            do {
                body = try Zstd.decompress(body, dictionary: entry.dictionaryID == 0 ? nil : dictionary,
                                           maxOutputSize: Int(entry.plaintextLength))
            } catch {
                throw .integrity("item \(entry.id.short): its zstd frame does not decode: \(error)")
            }
        }
        guard body.count == Int(entry.plaintextLength) else {
            throw .integrity("item \(entry.id.short): \(body.count) plaintext bytes instead of \(entry.plaintextLength)")
        }
        guard keys.itemID(body) == entry.id else { throw .integrity("item \(entry.id.short): the plaintext does not hash to its ID") }
        return body
    }
}
