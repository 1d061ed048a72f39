import Foundation
import MaimoBlake3
import MaimoZstd

extension Repository {
    /// Forgets snapshots: their snapshot blobs are deleted at the store, then from the index.
    /// Their data stays until ``prune(maximumUnused:packSize:pad:orphanGrace:)``.
    @discardableResult
    public func forget(_ records: [SnapshotRecord]) throws(RepositoryError) -> Int {
        for record in records {
            let blob = try index.blob(record.blob) ?? BlobRecord(root: record.blob, length: record.blobLength, kind: .snapshot)
            try delete(blob)
            try index.remove(blob: blob, entries: [])
            try index.remove(snapshot: record)
        }
        return records.count
    }

    /// Forgets what a policy does not keep; returns what it forgot.
    public func forget(policy: ForgetPolicy) throws(RepositoryError) -> [SnapshotRecord] {
        let (_, drop) = try policy.apply(to: snapshots())
        try forget(drop)
        return drop
    }

    /// What ``prune(maximumUnused:packSize:pad:orphanGrace:)`` did.
    public struct PruneReport: Sendable {
        /// Copies or shares of deleted blobs left at providers that could not be reached (the
        /// next prune there deletes them as orphans), and providers that could not be listed.
        public var sharesLeft = 0, providersUnlisted = 0
        /// Packs with no live item, deleted.
        public var packsDeleted = 0
        /// Packs whose live items were copied into new packs, then deleted.
        public var packsRepacked = 0
        /// New packs written.
        public var packsWritten = 0
        /// Index blobs replaced by one new index.
        public var indexesReplaced = 0
        /// Items no snapshot uses, dropped.
        public var itemsRemoved = 0
        /// Blobs at the store that the index does not know but that open under this repository's
        /// keys (left by a store, prune or forget killed between an upload and its index entry),
        /// deleted.
        public var orphansDeleted = 0
        /// Orphans younger than the grace period (perhaps a store of another home of the same
        /// repository, still running), left for a later prune.
        public var orphansKept = 0
        /// Blobs at the store that do not open under this repository's keys: not ours to delete,
        /// left alone.
        public var foreignBlobs = 0
        /// Blob bytes deleted (a blob counted once, however many copies or shares it had).
        public var bytesFreed: UInt64 = 0
        /// Blob bytes uploaded for repacked items and the new index (counted as `bytesFreed`).
        public var bytesWritten: UInt64 = 0
    }

    /// Frees the space of items no kept snapshot reaches: packs with no live item are deleted,
    /// packs whose dead share passes `maximumUnused` (0.1: 10%) have their live items copied into
    /// new packs first. Then one index blob naming every pack replaces the old ones. The order
    /// (new packs, new index, then deletions) means an interruption at any moment loses nothing
    /// a kept snapshot references; the next prune finishes the work.
    ///
    /// First it collects orphans: blobs the store lists that the index does not know. A run killed
    /// between an upload and its index entry leaves them (nothing acknowledged references one: a
    /// snapshot is acknowledged only once indexed). Each must open under this repository's keys
    /// before it is deleted; one that does not is counted and left alone, and so is one sealed
    /// less than `orphanGrace` seconds ago (its header's time), which may belong to a store still
    /// running elsewhere.
    public func prune(maximumUnused: Double = 0.1, packSize: Int = 16 << 20, pad: Bool = true,
                      orphanGrace: Double = 3600) throws(RepositoryError) -> PruneReport {
        var report = PruneReport()
        try collectOrphans(&report, grace: orphanGrace)
        // 1. What the kept snapshots reach: their trees and chunks.
        var live = Set<ItemID>()
        for record in try snapshots() { try mark(record.snapshot.root, live: &live) }
        // Dictionaries stay while any data item was compressed with one: they are small.
        for location in try index.locations() where location.entry.type == .dictionary { live.insert(location.entry.id) }
        // 2. Which packs hold what.
        var byPack: [Blake3.Digest: [ItemEntry]] = [:]
        for location in try index.locations() { byPack[location.pack, default: []].append(location.entry) }
        let blobs = try index.blobs()
        var deletions: [(BlobRecord, [ItemEntry])] = []
        var repack = BlobBuilder(kind: .pack, pad: pad)
        var written: [PackRecord] = []
        func flush() throws(RepositoryError) {
            guard !repack.isEmpty else { return }
            let record = try PackUploader.upload(repack, keys: keys, fleet: fleet, index: index)
            written.append(record)
            report.bytesWritten += record.length
            repack = BlobBuilder(kind: .pack, pad: pad)
        }
        for blob in blobs where blob.kind == .pack {
            let entries = byPack[blob.root] ?? []
            let liveEntries = entries.filter { live.contains($0.id) }
            let liveBytes = liveEntries.reduce(UInt64(0)) { $0 + UInt64($1.storedLength) }
            if liveEntries.isEmpty {
                deletions.append((blob, entries))
                report.packsDeleted += 1
                report.itemsRemoved += entries.count
                continue
            }
            // The dead share of the items' bytes (headers and padding are not "unused": a
            // repacked pack has them too).
            let allBytes = entries.reduce(UInt64(0)) { $0 + UInt64($1.storedLength) }
            let unused = 1 - Double(liveBytes) / Double(max(1, allBytes))
            guard unused > maximumUnused else { continue }
            // Copy the live items (verified on the way) into new packs; the sealed bytes move as they are.
            for entry in liveEntries {
                let sealed = try reader.read(root: blob.root, offset: entry.offset, count: Int(entry.storedLength))
                _ = try BlobReader.open(sealed[...], entry: entry, keys: keys, dictionaries: dictionaries)
                repack.append(sealed, entry: entry)
                if repack.count >= packSize { try flush() }
            }
            try flush()
            deletions.append((blob, entries))
            report.packsRepacked += 1
            report.itemsRemoved += entries.count - liveEntries.count
        }
        try flush()
        report.packsWritten = written.count
        guard !deletions.isEmpty || !written.isEmpty else { return report }
        // 3. One index for every pack that stays, then the old indexes and packs go.
        let deleted = Set(deletions.map(\.0.root))
        var current: [Blake3.Digest: [ItemEntry]] = [:]
        for location in try index.locations() { current[location.pack, default: []].append(location.entry) }
        var remaining: [PackRecord] = []
        for blob in try index.blobs() where blob.kind == .pack && !deleted.contains(blob.root) {
            remaining.append(PackRecord(root: blob.root, length: blob.length, entries: current[blob.root] ?? []))
        }
        let oldIndexes = blobs.filter { $0.kind == .index }
        let newIndex = try writeSingle(PackIndex(packs: remaining).encode(), type: .index, kind: .index, pad: pad).record
        report.bytesWritten += newIndex.length
        for (blob, entries) in deletions {
            report.sharesLeft += try delete(blob)
            try index.remove(blob: blob, entries: entries)
            report.bytesFreed += blob.length
        }
        for blob in oldIndexes {
            report.sharesLeft += try delete(blob)
            try index.remove(blob: blob, entries: [])
            report.bytesFreed += blob.length
            report.indexesReplaced += 1
        }
        return report
    }

    /// Deletes every copy or share of a blob; returns how many were left at providers that
    /// could not be reached (orphans for a later prune).
    @discardableResult
    func delete(_ blob: BlobRecord) throws(RepositoryError) -> Int {
        try fleet.delete(fleet.placement(of: blob.root, recorded: blob.placement))
    }

    /// Deletes the blobs each provider holds that no placement the index knows names and that
    /// are this repository's (a share trailer or blob header opens under its keys) and older
    /// than `grace` seconds.
    func collectOrphans(_ report: inout PruneReport, grace: Double) throws(RepositoryError) {
        var known = Set<Blake3.Digest>()
        for blob in try index.blobs() {
            known.insert(blob.root)
            for share in blob.placement?.shares ?? [] { known.insert(share.root) }
        }
        let now = Date().timeIntervalSince1970
        for provider in fleet.providers {
            let listed: [(root: Blake3.Digest, length: UInt64)]
            do { listed = try provider.store.list() } catch {
                // With several providers, one down does not stop a prune; alone, it does.
                if fleet.providers.count == 1 { throw error }
                report.providersUnlisted += 1
                continue
            }
            for (root, length) in listed where !known.contains(root) {
                let created: UInt64
                switch classify(root: root, length: length, at: provider.store) {
                case let .share(trailer): created = trailer.created
                case let .plain(header): created = header.created
                case .unreadable:
                    // Missing meanwhile, damaged, or not ours: never deleted on a guess.
                    report.foreignBlobs += 1
                    continue
                }
                guard now - Double(created) / 1000 >= grace else {
                    report.orphansKept += 1
                    continue
                }
                try provider.store.delete(root: root)
                report.orphansDeleted += 1
                report.bytesFreed += length
            }
        }
    }

    /// Adds a tree, everything under it and its chunks to `live`.
    func mark(_ id: ItemID, live: inout Set<ItemID>) throws(RepositoryError) {
        guard live.insert(id).inserted else { return }
        for entry in try tree(id).entries {
            switch entry.content {
            case let .file(_, chunks): live.formUnion(chunks)
            case let .directory(sub): try mark(sub, live: &live)
            case .symlink: break
            }
        }
    }
}
