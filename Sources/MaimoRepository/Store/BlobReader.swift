import MaimoBao
import MaimoBlake3

/// Reads ranges of blobs from untrusted providers: each range is verified with Bao against the
/// root of the copy or share it came from before anything is returned (``BlobFleet``).
public struct BlobReader: Sendable {
    /// The providers.
    public let fleet: BlobFleet
    /// Where placements are recorded (nil: every blob is a plain copy at the primary provider).
    let index: (any RepositoryIndex)?

    /// A reader of `fleet`, placing blobs by `index`'s records.
    public init(fleet: BlobFleet, index: (any RepositoryIndex)?) {
        self.fleet = fleet
        self.index = index
    }

    /// Exactly `count` content bytes of the blob `root` from `offset`, verified.
    public func read(root: Blake3.Digest, offset: UInt64, count: Int) throws(RepositoryError) -> [UInt8] {
        let recorded = try index?.blob(root)?.placement
        return try fleet.read(fleet.placement(of: root, recorded: recorded), offset: offset, count: count)
    }

    /// Exactly `count` content bytes of the blob `root` at one store from `offset`, verified;
    /// ranges over the store's slice limit are asked for in pieces.
    static func range(from store: any BlobStore, root: Blake3.Digest, offset: UInt64, count: Int) throws(RepositoryError) -> [UInt8] {
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
        let guess = min(length, Self.tailGuess)
        let tail = try read(root: root, offset: length - guess, count: Int(guess))
        return try Self.header(length: length, tail: tail, keys: keys) { (offset, count) throws(RepositoryError) in
            try read(root: root, offset: offset, count: count)
        }
    }

    /// Bytes read from a blob's end in one request, enough for most headers.
    static let tailGuess: UInt64 = 64 << 10

    /// The header of a blob of `length` bytes whose last `tail.count` bytes are `tail` (the
    /// header's bytes read again by `reread(offset, count)` when it is longer).
    static func header(length: UInt64, tail first: [UInt8], keys: RepositoryKeys,
                       reread: (UInt64, Int) throws(RepositoryError) -> [UInt8]) throws(RepositoryError) -> BlobHeader {
        let guess = UInt64(first.count)
        var tail = first
        let boxLength = try BlobHeader.headerBoxLength(trailer: tail.suffix(BlobHeader.trailerLength), blobLength: length)
        let needed = UInt64(boxLength + BlobHeader.trailerLength)
        if needed > guess {
            tail = try reread(length - needed, Int(needed))
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
