import Foundation
import MaimoBlake3

extension Repository {
    /// What ``recover(workers:progress:)`` found.
    public struct RecoverReport: Sendable {
        /// Blobs listed, and of them packs, indexes and snapshots read.
        public var blobs = 0, packs = 0, indexes = 0, snapshots = 0
        /// Items indexed.
        public var items = 0
        /// Blobs whose header does not open under this repository's keys (another client's, or
        /// damaged), named by root.
        public var unreadable: [(root: Blake3.Digest, error: RepositoryError)] = []
        /// Packs an index names that the store does not list: lost at the provider.
        public var missingPacks: [Blake3.Digest] = []
        /// The zstd dictionaries found in the repository (their bytes), for the local catalogue.
        public var dictionaries: [[UInt8]] = []
        /// Wall-clock seconds.
        public var seconds = 0.0
    }

    /// Rebuilds the local index from the blob store alone: lists every blob, opens each one's
    /// header (a verified read of its end), loads every index and snapshot item, and indexes every
    /// pack by its own header. Afterwards ``find(_:)`` and ``restore(_:to:workers:sync:)`` work as
    /// they did on the machine that stored them.
    public func recover(workers: Int = 8, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws(RepositoryError) -> RecoverReport {
        let started = Date()
        let listed = try store.list()
        let counter = WorkCounter(count: listed.count)
        let report = Locked(RecoverReport())
        let referenced = Locked(Set<Blake3.Digest>())
        let done = Locked(0)
        WorkerPool.run(width: min(max(1, workers), max(1, listed.count))) { [self] _ in
            while let i = counter.take() {
                let (root, length) = listed[i]
                do throws(RepositoryError) {
                    let header = try reader.header(root: root, length: length, keys: keys)
                    try index.add(blob: BlobRecord(root: root, length: length, kind: header.kind), entries: header.entries)
                    switch header.kind {
                    case .pack:
                        var found: [[UInt8]] = []
                        for entry in header.entries where entry.type == .dictionary {
                            found.append(try reader.item(ItemLocation(pack: root, entry: entry), keys: keys, dictionaries: nil))
                        }
                        report.withLock { $0.packs += 1; $0.items += header.entries.count; $0.dictionaries += found }
                    case .index:
                        for entry in header.entries where entry.type == .index {
                            let payload = try reader.item(ItemLocation(pack: root, entry: entry), keys: keys, dictionaries: nil)
                            let packIndex = try PackIndex.decode(payload)
                            referenced.withLock { $0.formUnion(packIndex.packs.map(\.root)) }
                        }
                        report.withLock { $0.indexes += 1 }
                    case .snapshot:
                        for entry in header.entries where entry.type == .snapshot {
                            let payload = try reader.item(ItemLocation(pack: root, entry: entry), keys: keys, dictionaries: nil)
                            try index.add(snapshot: SnapshotRecord(blob: root, blobLength: length, snapshot: try Snapshot.decode(payload)))
                        }
                        report.withLock { $0.snapshots += 1 }
                    }
                } catch {
                    report.withLock { $0.unreadable.append((root, error)) }
                }
                progress(done.withLock { $0 += 1; return $0 }, listed.count)
            }
        }
        var result = report.current
        result.blobs = listed.count
        let present = Set(listed.map(\.root))
        result.missingPacks = referenced.current.subtracting(present).sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        result.seconds = Date().timeIntervalSince(started)
        return result
    }
}
