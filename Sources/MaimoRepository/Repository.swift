import Foundation
import MaimoBlake3
import MaimoZstd

/// A repository (Docs/Repository.md): its keys, the blob store that holds it, and the local
/// index that caches what is there. `store`, `restore` and `recover` are the three jobs; each is
/// synchronous and runs its own workers.
public final class Repository: @unchecked Sendable {
    public let keys: RepositoryKeys
    public let store: any BlobStore
    public let index: any RepositoryIndex
    public let dictionaries: (any DictionarySource)?
    let reader: BlobReader

    public init(keys: RepositoryKeys, store: any BlobStore, index: any RepositoryIndex, dictionaries: (any DictionarySource)? = nil) {
        self.keys = keys
        self.store = store
        self.index = index
        self.dictionaries = dictionaries
        reader = BlobReader(store: store)
    }

    /// The plaintext of an item the index knows.
    public func item(_ id: ItemID) throws(RepositoryError) -> [UInt8] {
        guard let location = try index.location(of: id) else { throw .integrity("item \(id.short) is in no known pack") }
        return try reader.item(location, keys: keys, dictionaries: dictionaries)
    }

    /// A tree, from the local cache or fetched (and then cached).
    public func tree(_ id: ItemID) throws(RepositoryError) -> Tree {
        if let cached = try index.cachedTree(id) { return try Tree.decode(cached) }
        guard let location = try index.location(of: id) else { throw .integrity("tree \(id.short) is in no known pack") }
        guard location.entry.type == .tree else { throw .integrity("item \(id.short) is not a tree") }
        let bytes = try reader.item(location, keys: keys, dictionaries: dictionaries)
        let tree = try Tree.decode(bytes)
        try index.cache(tree: bytes, id: id)
        return tree
    }

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
