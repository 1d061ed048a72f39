import MaimoBlake3

/// Where an item is: the pack's root and the item's entry in it.
public struct ItemLocation: Sendable, Equatable {
    /// The pack that holds the item.
    public var pack: Blake3.Digest
    /// The item's entry in that pack's header.
    public var entry: ItemEntry

    /// A location with the given fields.
    public init(pack: Blake3.Digest, entry: ItemEntry) {
        self.pack = pack
        self.entry = entry
    }
}

/// A snapshot and the blob that holds it.
public struct SnapshotRecord: Sendable, Equatable {
    /// The snapshot blob's root.
    public var blob: Blake3.Digest
    /// The snapshot blob's length.
    public var blobLength: UInt64
    /// The snapshot.
    public var snapshot: Snapshot

    /// A record with the given fields.
    public init(blob: Blake3.Digest, blobLength: UInt64, snapshot: Snapshot) {
        self.blob = blob
        self.blobLength = blobLength
        self.snapshot = snapshot
    }
}

/// A blob the repository holds, with what kind it is.
public struct BlobRecord: Sendable, Equatable {
    /// The blob's Bao root.
    public var root: Blake3.Digest
    /// The blob's length.
    public var length: UInt64
    /// Pack, index or snapshot.
    public var kind: BlobKind
    /// Where its copies or shares are (nil: one plain copy at the primary provider).
    public var placement: Placement?

    /// A record with the given fields.
    public init(root: Blake3.Digest, length: UInt64, kind: BlobKind, placement: Placement? = nil) {
        self.root = root
        self.length = length
        self.kind = kind
        self.placement = placement
    }
}

/// The client's local cache of what the repository holds (Docs/Repository.md): which pack holds
/// each item, every blob, every snapshot, and the plaintext of trees already seen. It can be
/// rebuilt from the blobs alone (``Repository/recover(workers:progress:)``). Implementations are
/// thread-safe; the engine keeps it on disk (the catalogue), tests in memory.
public protocol RepositoryIndex: AnyObject, Sendable {
    /// Where the item with `id` is, if known.
    func location(of id: ItemID) throws(RepositoryError) -> ItemLocation?
    /// Records a blob and, for packs, where each of its items is (a later pack holding the same
    /// item takes its place: that is how a repack moves items).
    func add(blob: BlobRecord, entries: [ItemEntry]) throws(RepositoryError)
    /// Forgets a blob, and the locations of `entries` that still point into it.
    func remove(blob: BlobRecord, entries: [ItemEntry]) throws(RepositoryError)
    /// Every blob known.
    func blobs() throws(RepositoryError) -> [BlobRecord]
    /// The blob named `root`, if the index knows it.
    func blob(_ root: Blake3.Digest) throws(RepositoryError) -> BlobRecord?
    /// Every item's location (prune reads them all once).
    func locations() throws(RepositoryError) -> [ItemLocation]
    /// Every snapshot known, oldest first.
    func snapshots() throws(RepositoryError) -> [SnapshotRecord]
    /// Records a snapshot.
    func add(snapshot: SnapshotRecord) throws(RepositoryError)
    /// Removes a snapshot.
    func remove(snapshot: SnapshotRecord) throws(RepositoryError)
    /// A cached tree's plaintext, if any.
    func cachedTree(_ id: ItemID) throws(RepositoryError) -> [UInt8]?
    /// Caches a tree's plaintext.
    func cache(tree: [UInt8], id: ItemID) throws(RepositoryError)
}

/// A ``RepositoryIndex`` in memory.
public final class MemoryRepositoryIndex: RepositoryIndex, @unchecked Sendable {
    private struct State {
        var locations: [ItemID: ItemLocation] = [:]
        var blobs: [Blake3.Digest: BlobRecord] = [:]
        var snapshots: [SnapshotRecord] = []
        var trees: [ItemID: [UInt8]] = [:]
    }

    private let state = Locked(State())

    /// An empty index.
    public init() {}

    /// Where the item with `id` is, if known.
    public func location(of id: ItemID) throws(RepositoryError) -> ItemLocation? { state.withLock { $0.locations[id] } }

    public func add(blob: BlobRecord, entries: [ItemEntry]) throws(RepositoryError) {
        state.withLock { state in
            state.blobs[blob.root] = blob
            guard blob.kind == .pack else { return }
            for entry in entries { state.locations[entry.id] = ItemLocation(pack: blob.root, entry: entry) }
        }
    }

    public func remove(blob: BlobRecord, entries: [ItemEntry]) throws(RepositoryError) {
        state.withLock { state in
            state.blobs[blob.root] = nil
            for entry in entries where state.locations[entry.id]?.pack == blob.root { state.locations[entry.id] = nil }
        }
    }

    public func locations() throws(RepositoryError) -> [ItemLocation] { state.withLock { Array($0.locations.values) } }

    /// Removes a snapshot.
    public func remove(snapshot: SnapshotRecord) throws(RepositoryError) {
        state.withLock { $0.snapshots.removeAll { $0.blob == snapshot.blob } }
    }

    public func blob(_ root: Blake3.Digest) throws(RepositoryError) -> BlobRecord? { state.withLock { $0.blobs[root] } }

    /// Every blob known.
    public func blobs() throws(RepositoryError) -> [BlobRecord] {
        state.withLock { $0.blobs.values.sorted { $0.root.bytes.lexicographicallyPrecedes($1.root.bytes) } }
    }

    /// Every snapshot known, oldest first.
    public func snapshots() throws(RepositoryError) -> [SnapshotRecord] {
        state.withLock { $0.snapshots.sorted { $0.snapshot.time < $1.snapshot.time } }
    }

    /// Records a snapshot.
    public func add(snapshot: SnapshotRecord) throws(RepositoryError) {
        state.withLock { state in
            if !state.snapshots.contains(where: { $0.blob == snapshot.blob }) { state.snapshots.append(snapshot) }
        }
    }

    /// A cached tree's plaintext, if any.
    public func cachedTree(_ id: ItemID) throws(RepositoryError) -> [UInt8]? { state.withLock { $0.trees[id] } }

    /// Caches a tree's plaintext.
    public func cache(tree: [UInt8], id: ItemID) throws(RepositoryError) { state.withLock { $0.trees[id] = tree } }

    /// How many items are indexed.
    public var itemCount: Int { state.withLock { $0.locations.count } }
}
