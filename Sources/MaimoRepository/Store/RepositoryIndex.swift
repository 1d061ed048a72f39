import MaimoBlake3

/// Where an item is: the pack's root and the item's entry in it.
public struct ItemLocation: Sendable, Equatable {
    public var pack: Blake3.Digest
    public var entry: ItemEntry

    public init(pack: Blake3.Digest, entry: ItemEntry) {
        self.pack = pack
        self.entry = entry
    }
}

/// A snapshot and the blob that holds it.
public struct SnapshotRecord: Sendable, Equatable {
    public var blob: Blake3.Digest
    public var blobLength: UInt64
    public var snapshot: Snapshot

    public init(blob: Blake3.Digest, blobLength: UInt64, snapshot: Snapshot) {
        self.blob = blob
        self.blobLength = blobLength
        self.snapshot = snapshot
    }
}

/// A blob the repository holds, with what kind it is.
public struct BlobRecord: Sendable, Equatable {
    public var root: Blake3.Digest
    public var length: UInt64
    public var kind: BlobKind

    public init(root: Blake3.Digest, length: UInt64, kind: BlobKind) {
        self.root = root
        self.length = length
        self.kind = kind
    }
}

/// The client's local cache of what the repository holds (Docs/Repository.md): which pack holds
/// each item, every blob, every snapshot, and the plaintext of trees already seen. It can be
/// rebuilt from the blobs alone (``Repository/recover(workers:progress:)``). Implementations are
/// thread-safe; the engine keeps it on disk (the catalogue), tests in memory.
public protocol RepositoryIndex: AnyObject, Sendable {
    func location(of id: ItemID) throws(RepositoryError) -> ItemLocation?
    /// Records a blob and, for packs, where each of its items is (a later pack holding the same
    /// item takes its place: that is how a repack moves items).
    func add(blob: BlobRecord, entries: [ItemEntry]) throws(RepositoryError)
    /// Forgets a blob, and the locations of `entries` that still point into it.
    func remove(blob: BlobRecord, entries: [ItemEntry]) throws(RepositoryError)
    func blobs() throws(RepositoryError) -> [BlobRecord]
    /// The blob named `root`, if the index knows it.
    func blob(_ root: Blake3.Digest) throws(RepositoryError) -> BlobRecord?
    /// Every item's location (prune reads them all once).
    func locations() throws(RepositoryError) -> [ItemLocation]
    func snapshots() throws(RepositoryError) -> [SnapshotRecord]
    func add(snapshot: SnapshotRecord) throws(RepositoryError)
    func remove(snapshot: SnapshotRecord) throws(RepositoryError)
    func cachedTree(_ id: ItemID) throws(RepositoryError) -> [UInt8]?
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

    public init() {}

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

    public func remove(snapshot: SnapshotRecord) throws(RepositoryError) {
        state.withLock { $0.snapshots.removeAll { $0.blob == snapshot.blob } }
    }

    public func blob(_ root: Blake3.Digest) throws(RepositoryError) -> BlobRecord? { state.withLock { $0.blobs[root] } }

    public func blobs() throws(RepositoryError) -> [BlobRecord] {
        state.withLock { $0.blobs.values.sorted { $0.root.bytes.lexicographicallyPrecedes($1.root.bytes) } }
    }

    public func snapshots() throws(RepositoryError) -> [SnapshotRecord] {
        state.withLock { $0.snapshots.sorted { $0.snapshot.time < $1.snapshot.time } }
    }

    public func add(snapshot: SnapshotRecord) throws(RepositoryError) {
        state.withLock { state in
            if !state.snapshots.contains(where: { $0.blob == snapshot.blob }) { state.snapshots.append(snapshot) }
        }
    }

    public func cachedTree(_ id: ItemID) throws(RepositoryError) -> [UInt8]? { state.withLock { $0.trees[id] } }

    public func cache(tree: [UInt8], id: ItemID) throws(RepositoryError) { state.withLock { $0.trees[id] = tree } }

    /// How many items are indexed.
    public var itemCount: Int { state.withLock { $0.locations.count } }
}
