import MaimoBao
import MaimoBlake3

/// Reads ranges of blobs from an untrusted ``BlobStore``, each verified against the blob's root
/// with Bao before anything is returned.
public struct BlobReader: Sendable {
    /// The untrusted store.
    public let store: any BlobStore

    /// A reader of `store`.
    public init(store: any BlobStore) { self.store = store }

    /// Exactly `count` content bytes of the blob `root` from `offset`, verified; ranges over
    /// the store's slice limit are asked for in pieces.
    public func read(root: Blake3.Digest, offset: UInt64, count: Int) throws(RepositoryError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        let end = offset + UInt64(count)
        let limit = type(of: store).maximumSlice
        // Whole pieces are asked for together (a provider keeps several in flight), the rest alone.
        let whole = UInt64(count) / limit
        let starts = (0..<whole).map { offset + $0 * limit }
        if !starts.isEmpty {
            try store.slices(root: root, starts: starts, count: limit) { (start, slice) throws(RepositoryError) in
                out += try Self.verified(slice, root: root, start: start, count: limit)
            }
        }
        let tail = offset + whole * limit
        if tail < end {
            out += try Self.verified(try store.slice(root: root, start: tail, count: end - tail), root: root, start: tail, count: end - tail)
        }
        return out
    }

    /// The content bytes a slice proves, exactly `count` of them.
    static func verified(_ slice: [UInt8], root: Blake3.Digest, start: UInt64, count: UInt64) throws(RepositoryError) -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try Bao.decodeSlice(slice, hash: root, start: start, count: count) } catch {
            throw .integrity("blob \(root.description.prefix(16)) at bytes \(start)..<\(start + count): \(error)")
        }
        guard bytes.count == Int(count) else {
            throw .integrity("blob \(root.description.prefix(16)) ends before byte \(start + count) (it is shorter than recorded)")
        }
        return bytes
    }

    /// The header of a blob of `length` bytes (its trailer and header box, from its end).
    public func header(root: Blake3.Digest, length: UInt64, keys: RepositoryKeys) throws(RepositoryError) -> BlobHeader {
        guard length >= UInt64(BlobHeader.trailerLength) else { throw .integrity("blob \(root.description.prefix(16)) is too short to be a blob") }
        // Most headers fit in the last 64 KiB; a larger one is read again whole.
        let guess = min(length, 64 << 10)
        var tail = try read(root: root, offset: length - guess, count: Int(guess))
        let boxLength = try BlobHeader.headerBoxLength(trailer: tail.suffix(BlobHeader.trailerLength), blobLength: length)
        let needed = UInt64(boxLength + BlobHeader.trailerLength)
        if needed > guess {
            tail = try read(root: root, offset: length - needed, count: Int(needed))
        }
        return try BlobHeader.open(tail: tail[...], blobLength: length, keys: keys)
    }

    /// An item's plaintext, verified by Bao against the pack root, then by the item's tag and ID.
    public func item(_ location: ItemLocation, keys: RepositoryKeys, dictionaries: DictionarySource?) throws(RepositoryError) -> [UInt8] {
        let sealed = try read(root: location.pack, offset: location.entry.offset, count: Int(location.entry.storedLength))
        return try Self.open(sealed[...], entry: location.entry, keys: keys, dictionaries: dictionaries)
    }

    /// A sealed item's plaintext, with the dictionary its entry names (checked by its tag and ID).
    static func open(_ sealed: ArraySlice<UInt8>, entry: ItemEntry, keys: RepositoryKeys,
                     dictionaries: DictionarySource?) throws(RepositoryError) -> [UInt8] {
        let dictionary = entry.dictionaryID == 0 ? nil : try dictionaries?.dictionary(id: entry.dictionaryID)
        return try ItemSealer.open(sealed, entry: entry, keys: keys, dictionary: dictionary)
    }
}

import MaimoZstd

/// Where zstd dictionaries come from when an item names one (the engine's catalogue).
public protocol DictionarySource: Sendable {
    /// The dictionary with this ID, or nil when none is known.
    func dictionary(id: UInt32) throws(RepositoryError) -> ZstdDictionary?
}
