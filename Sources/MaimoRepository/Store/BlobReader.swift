import MaimoBao
import MaimoBlake3

/// Reads ranges of blobs from an untrusted ``BlobStore``, each verified against the blob's root
/// with Bao before anything is returned.
public struct BlobReader: Sendable {
    public let store: any BlobStore

    public init(store: any BlobStore) { self.store = store }

    /// Exactly `count` content bytes of the blob `root` from `offset`, verified; ranges over
    /// the store's slice limit are asked for in pieces.
    public func read(root: Blake3.Digest, offset: UInt64, count: Int) throws(RepositoryError) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var position = offset
        let end = offset + UInt64(count)
        let limit = type(of: store).maximumSlice
        while position < end {
            let piece = min(limit, end - position)
            let slice = try store.slice(root: root, start: position, count: piece)
            let bytes: [UInt8]
            do { bytes = try Bao.decodeSlice(slice, hash: root, start: position, count: piece) } catch {
                throw .integrity("blob \(root.description.prefix(16)) at bytes \(position)..<\(position + piece): \(error)")
            }
            guard bytes.count == Int(piece) else {
                throw .integrity("blob \(root.description.prefix(16)) ends before byte \(position + piece) (it is shorter than recorded)")
            }
            out += bytes
            position += piece
        }
        return out
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
        let dictionary = location.entry.dictionaryID == 0 ? nil : try dictionaries?.dictionary(id: location.entry.dictionaryID)
        return try ItemSealer.open(sealed[...], entry: location.entry, keys: keys, dictionary: dictionary)
    }
}

import MaimoZstd

/// Where zstd dictionaries come from when an item names one (the engine's catalogue).
public protocol DictionarySource: Sendable {
    func dictionary(id: UInt32) throws(RepositoryError) -> ZstdDictionary?
}
