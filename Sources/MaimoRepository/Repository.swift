import Foundation
import MaimoBlake3
import MaimoZstd

/// A repository (Docs/Repository.md): its keys, the blob store that holds it, and the local
/// index that caches what is there. `store`, `restore` and `recover` are the three jobs; each is
/// synchronous and runs its own workers.
public final class Repository: @unchecked Sendable {
    /// Every key, from the root secret.
    public let keys: RepositoryKeys
    /// The providers the blobs are placed on, and how (one provider, one plain copy: §4).
    public let fleet: BlobFleet
    /// The local cache of where items are.
    public let index: any RepositoryIndex
    /// Where zstd dictionaries named by items come from.
    public let dictionaries: (any DictionarySource)?
    let reader: BlobReader

    /// A repository at one provider, `store`, with `index` as its cache: every blob is read
    /// there, whichever provider its placement names.
    public convenience init(keys: RepositoryKeys, store: any BlobStore, index: any RepositoryIndex, dictionaries: (any DictionarySource)? = nil) {
        self.init(fleet: BlobFleet(providers: [BlobFleet.Provider(name: "", store: store)], keys: keys, onlyStore: true),
                  index: index, dictionaries: dictionaries)
    }

    /// A repository on `providers` (in order of preference: the first holds single copies),
    /// placing new blobs by `redundancy`, with `index` as its cache.
    public convenience init(keys: RepositoryKeys, providers: [BlobFleet.Provider], redundancy: Redundancy = .single,
                index: any RepositoryIndex, dictionaries: (any DictionarySource)? = nil) {
        self.init(fleet: BlobFleet(providers: providers, redundancy: redundancy, keys: keys), index: index, dictionaries: dictionaries)
    }

    /// A repository on `fleet`, with `index` as its cache.
    public init(fleet: BlobFleet, index: any RepositoryIndex, dictionaries: (any DictionarySource)? = nil) {
        keys = fleet.keys
        self.fleet = fleet
        self.index = index
        self.dictionaries = dictionaries
        reader = BlobReader(fleet: fleet, index: index)
    }

    /// The plaintext of an item the index knows.
    public func item(_ id: ItemID) throws(RepositoryError) -> [UInt8] {
        guard let location = try index.location(of: id) else { throw .integrity("item \(id.short) is in no known pack") }
        return try reader.item(location, keys: keys, dictionaries: dictionaries)
    }

    /// A tree, from the local cache or fetched (and then cached, with its neighbours: see
    /// `prefetchTrees(before:)`).
    public func tree(_ id: ItemID) throws(RepositoryError) -> Tree {
        if let cached = try index.cachedTree(id) { return try Tree.decode(cached) }
        guard let location = try index.location(of: id) else { throw .integrity("tree \(id.short) is in no known pack") }
        guard location.entry.type == .tree else { throw .integrity("item \(id.short) is not a tree") }
        if (try? prefetchTrees(before: location)) != nil, let cached = try index.cachedTree(id) { return try Tree.decode(cached) }
        let bytes = try reader.item(location, keys: keys, dictionaries: dictionaries)
        let tree = try Tree.decode(bytes)
        try index.cache(tree: bytes, id: id)
        return tree
    }

    /// Reads the trees that precede the one at `location` in its pack (up to 4 MiB of them, it
    /// included) as one verified range, opens and caches each. Trees are written bottom up, so a
    /// walk from a root finds its subtrees there: after `recover`, when nothing is cached, a
    /// restore, `ls` or the next store's comparison then pays a round trip or two per pack of
    /// trees instead of one per directory (0.17 s each over Tor). The pack's header says where
    /// its trees are; it is authenticated, and every tree opened is checked by its tag and ID.
    func prefetchTrees(before location: ItemLocation) throws(RepositoryError) {
        guard let blob = try index.blob(location.pack) else { return }
        let header = try reader.header(root: location.pack, length: blob.length, keys: keys)
        let end = location.entry.offset + UInt64(location.entry.storedLength)
        let start = end > Self.treePrefetch ? end - Self.treePrefetch : 0
        let wanted = header.entries.filter { $0.type == .tree && $0.offset >= start && $0.offset + UInt64($0.storedLength) <= end }
        guard let first = wanted.map(\.offset).min(), wanted.contains(where: { $0.id == location.entry.id }) else { return }
        let bytes = try reader.read(root: location.pack, offset: first, count: Int(end - first))
        for entry in wanted where try index.cachedTree(entry.id) == nil {
            let from = Int(entry.offset - first)
            let plaintext = try BlobReader.open(bytes[from..<(from + Int(entry.storedLength))], entry: entry, keys: keys, dictionaries: dictionaries)
            try index.cache(tree: plaintext, id: entry.id)
        }
    }

    static let treePrefetch: UInt64 = 4 << 20

    /// Snapshots, oldest first.
    public func snapshots() throws(RepositoryError) -> [SnapshotRecord] { try index.snapshots() }

    /// The newest snapshot holding `path` (absolute), and its entry for that path.
    public func find(_ path: String) throws(RepositoryError) -> (SnapshotRecord, Tree.Entry)? {
        for record in try snapshots().reversed() {
            if let entry = try entry(path, in: record.snapshot) { return (record, entry) }
        }
        return nil
    }

    /// The entry for an absolute path in a snapshot (the root directory for "/").
    public func entry(_ path: String, in snapshot: Snapshot) throws(RepositoryError) -> Tree.Entry? {
        var tree = try self.tree(snapshot.root)
        let components = path.split(separator: "/").map { Array($0.utf8) }
        guard !components.isEmpty else {
            return Tree.Entry(name: [], mode: 0o755, uid: 0, gid: 0, mtime: 0, ctime: 0, inode: 0, device: 0, content: .directory(snapshot.root))
        }
        for (i, component) in components.enumerated() {
            guard let entry = tree.entry(named: component) else { return nil }
            if i == components.count - 1 { return entry }
            guard case let .directory(id) = entry.content else { return nil }
            tree = try self.tree(id)
        }
        return nil
    }

    static func now() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}
