import Foundation
import MaimoBlake3
import MaimoIndex
import MaimoRepository

/// The repository's local cache (a `RepositoryIndex`) in the catalogue's MaimoIndex file, so
/// that the chunk index lives on disk, not in RAM (Docs/Repository.md; Docs/Engine.md, catalogue
/// tables). Rows are the format's own binary layouts:
///
/// | table | key | value |
/// |---|---|---|
/// | `items` | item ID (32) | pack root (32) ‖ the 56-byte entry |
/// | `blobs` | root (32) | u8 kind ‖ u64 length ‖ the placement record, when the blob has one (Docs/Repository.md §12) |
/// | `snapshots` | u64 time (big-endian) ‖ root (32) | u64 blob length ‖ the snapshot payload |
/// | `trees` | tree ID (32) | the tree payload |
///
/// Trees met during a store are kept in memory and written with the next pack's rows (one
/// commit per pack, not per directory); losing them costs only a fetch later.
public final class CatalogueIndex: RepositoryIndex, @unchecked Sendable {
    static let tables = ["items", "blobs", "snapshots", "trees"]
    let catalogue: Catalogue
    private let pending = NSLock()
    private var pendingTrees: [ItemID: [UInt8]] = [:]

    /// The repository index kept in `catalogue`.
    public init(catalogue: Catalogue) { self.catalogue = catalogue }

    func mapped<T>(_ body: () throws(MaimoError) -> T) throws(RepositoryError) -> T {
        do { return try body() } catch { throw .store("the catalogue: \(error)") }
    }

    /// Where the item with `id` is stored, if the index knows it.
    public func location(of id: ItemID) throws(RepositoryError) -> ItemLocation? {
        guard let row = try mapped({ () throws(MaimoError) in try catalogue.read { try $0.get("items", id.bytes) } }) else { return nil }
        guard row.count == 32 + ItemEntry.encodedLength else { throw .integrity("the catalogue row for item \(id.short) is damaged (\(row.count) bytes)") }
        do {
            return ItemLocation(pack: try Blake3.Digest(bytes: row.prefix(32)), entry: try ItemEntry(encoded: Array(row.dropFirst(32))))
        } catch {
            throw .integrity("the catalogue's row for item \(id.short) is damaged: \(error)")
        }
    }

    public func add(blob: BlobRecord, entries: [ItemEntry]) throws(RepositoryError) {
        pending.lock()
        let trees = pendingTrees
        pendingTrees = [:]
        pending.unlock()
        try mapped { () throws(MaimoError) in
            try catalogue.write { transaction in
                var row = [blob.kind.rawValue]
                withUnsafeBytes(of: blob.length.littleEndian) { row += $0 }
                if let placement = blob.placement { row += placement.encode() }
                try transaction.put("blobs", blob.root.bytes, row)
                if blob.kind == .pack {
                    for entry in entries { try transaction.put("items", entry.id.bytes, blob.root.bytes + entry.encoded) }
                }
                for (id, bytes) in trees { try transaction.put("trees", id.bytes, bytes) }
            }
        }
    }

    public func remove(blob: BlobRecord, entries: [ItemEntry]) throws(RepositoryError) {
        try mapped { () throws(MaimoError) in
            try catalogue.write { transaction in
                _ = try transaction.delete("blobs", blob.root.bytes)
                for entry in entries {
                    if let row = try transaction.get("items", entry.id.bytes), Array(row.prefix(32)) == blob.root.bytes {
                        _ = try transaction.delete("items", entry.id.bytes)
                    }
                }
            }
        }
    }

    public func locations() throws(RepositoryError) -> [ItemLocation] {
        let rows = try mapped { () throws(MaimoError) in
            try catalogue.read { transaction in
                var cursor = try transaction.cursor("items")
                var rows: [[UInt8]] = []
                try cursor.scan(prefix: []) { _, value in rows.append(value); return true }
                return rows
            }
        }
        var result: [ItemLocation] = []
        result.reserveCapacity(rows.count)
        for row in rows {
            guard row.count == 32 + ItemEntry.encodedLength, let pack = try? Blake3.Digest(bytes: row.prefix(32)) else {
                throw .integrity("an item row of the catalogue is damaged")
            }
            result.append(ItemLocation(pack: pack, entry: try ItemEntry(encoded: Array(row.dropFirst(32)))))
        }
        return result
    }

    /// Removes a snapshot from the index.
    public func remove(snapshot: SnapshotRecord) throws(RepositoryError) {
        try mapped { () throws(MaimoError) in
            try catalogue.write { transaction in _ = try transaction.delete("snapshots", Self.snapshotKey(snapshot)) }
        }
    }

    static func snapshotKey(_ snapshot: SnapshotRecord) -> [UInt8] {
        var key: [UInt8] = []
        withUnsafeBytes(of: snapshot.snapshot.time.bigEndian) { key += $0 }
        return key + snapshot.blob.bytes
    }

    /// Every blob the index records.
    public func blobs() throws(RepositoryError) -> [BlobRecord] {
        try mapped { () throws(MaimoError) in
            try catalogue.read { transaction in
                var cursor = try transaction.cursor("blobs")
                var records: [BlobRecord] = []
                try cursor.scan(prefix: []) { key, value in
                    if let root = try? Blake3.Digest(bytes: key), let record = Self.blobRecord(root, value) { records.append(record) }
                    return true
                }
                return records
            }
        }
    }

    public func blob(_ root: Blake3.Digest) throws(RepositoryError) -> BlobRecord? {
        try mapped { () throws(MaimoError) in
            try catalogue.read { transaction in try transaction.get("blobs", root.bytes).flatMap { Self.blobRecord(root, $0) } }
        }
    }

    /// A `blobs` row: u8 kind, u64 length, the placement record if any.
    static func blobRecord(_ root: Blake3.Digest, _ value: [UInt8]) -> BlobRecord? {
        guard value.count >= 9, let kind = BlobKind(rawValue: value[0]) else { return nil }
        let length = value[1..<9].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        var placement: Placement?
        if value.count > 9 {
            guard let decoded = try? Placement.decode(Array(value[9...])) else { return nil }
            placement = decoded
        }
        return BlobRecord(root: root, length: length, kind: kind, placement: placement)
    }

    /// Every snapshot the index records, oldest first.
    public func snapshots() throws(RepositoryError) -> [SnapshotRecord] {
        let rows = try mapped { () throws(MaimoError) in
            try catalogue.read { transaction in
                var cursor = try transaction.cursor("snapshots")
                var rows: [([UInt8], [UInt8])] = []
                try cursor.scan(prefix: []) { key, value in rows.append((key, value)); return true }
                return rows
            }
        }
        var records: [SnapshotRecord] = []
        for (key, value) in rows {
            guard key.count == 40, value.count > 8, let root = try? Blake3.Digest(bytes: key.suffix(32)) else {
                throw .integrity("a snapshot row of the catalogue is damaged")
            }
            let length = value.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            records.append(SnapshotRecord(blob: root, blobLength: length, snapshot: try Snapshot.decode(Array(value.dropFirst(8)))))
        }
        return records
    }

    /// Records a snapshot.
    public func add(snapshot: SnapshotRecord) throws(RepositoryError) {
        pending.lock()
        let trees = pendingTrees
        pendingTrees = [:]
        pending.unlock()
        let key = Self.snapshotKey(snapshot)
        var value: [UInt8] = []
        withUnsafeBytes(of: snapshot.blobLength.littleEndian) { value += $0 }
        value += snapshot.snapshot.encode()
        try mapped { () throws(MaimoError) in
            try catalogue.write { transaction in
                try transaction.put("snapshots", key, value)
                for (id, bytes) in trees { try transaction.put("trees", id.bytes, bytes) }
            }
        }
    }

    /// The plaintext of a tree cached locally, if any.
    public func cachedTree(_ id: ItemID) throws(RepositoryError) -> [UInt8]? {
        pending.lock()
        let waiting = pendingTrees[id]
        pending.unlock()
        if let waiting { return waiting }
        return try mapped { () throws(MaimoError) in try catalogue.read { try $0.get("trees", id.bytes) } }
    }

    /// Caches a tree's plaintext under its ID.
    public func cache(tree: [UInt8], id: ItemID) throws(RepositoryError) {
        pending.lock()
        pendingTrees[id] = tree
        pending.unlock()
    }
}
