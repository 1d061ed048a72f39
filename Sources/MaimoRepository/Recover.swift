import Foundation
import MaimoBlake3

extension Repository {
    /// What ``recover(workers:progress:)`` found.
    public struct RecoverReport: Sendable {
        /// Blobs found (each counted once however many copies or shares it has), and of them
        /// packs, indexes and snapshots read.
        public var blobs = 0, packs = 0, indexes = 0, snapshots = 0
        /// Copies and shares found at the providers.
        public var shares = 0
        /// Providers that could not be listed, and why.
        public var unlisted: [(provider: String, error: RepositoryError)] = []
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

    /// Rebuilds the local index from the providers alone: lists every blob at every provider and
    /// reads each one's end (verified): a keyed copy or share names its blob in its trailer, a
    /// plain blob has its header there. Then, for each blob, its header (through any copy, or
    /// rebuilt from shares), every index and snapshot item, and every pack by its own header.
    /// Afterwards ``find(_:)`` and ``restore(_:to:workers:sync:)`` work as they did on the
    /// machine that stored them, with every share placed where it was found.
    public func recover(workers: Int = 8, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws(RepositoryError) -> RecoverReport {
        let started = Date()
        let report = Locked(RecoverReport())
        // 1. Every blob at every provider, classified by its end.
        var found: [(provider: BlobFleet.Provider, root: Blake3.Digest, length: UInt64)] = []
        for provider in fleet.providers {
            do {
                for (root, length) in try provider.store.list() { found.append((provider, root, length)) }
            } catch {
                // Another provider may hold copies or shares of everything it held.
                report.withLock { $0.unlisted.append((provider.name, error)) }
            }
        }
        guard found.count > 0 || report.current.unlisted.count < fleet.providers.count else {
            throw report.current.unlisted.first?.error ?? .unreachable("no provider")
        }
        let listed = found
        let scanned = Locked([ScannedBlob?](repeating: nil, count: listed.count))
        let counter = WorkCounter(count: listed.count)
        let done = Locked(0)
        let total = listed.count * 2
        WorkerPool.run(width: min(max(1, workers), max(1, listed.count))) { [self] _ in
            while let i = counter.take() {
                let found = classify(root: listed[i].root, length: listed[i].length, at: listed[i].provider.store)
                scanned.withLock { $0[i] = found }
                progress(done.withLock { $0 += 1; return $0 }, total)
            }
        }
        // 2. Placements: each blob's copies and shares, wherever they were found.
        var blobs: [Blake3.Digest: (length: UInt64, placement: Placement, header: BlobHeader?)] = [:]
        for (i, entry) in listed.enumerated() {
            switch scanned.current[i] {
            case let .share(trailer):
                let share = Share(provider: entry.provider.name, root: entry.root, length: entry.length, index: trailer.index, nonce: trailer.nonce)
                var blob = blobs[trailer.blob] ?? (trailer.blobLength, Placement(redundancy: trailer.redundancy, shares: []), nil)
                // Plain copies say nothing of the redundancy; a trailer does.
                if blob.placement.shares.allSatisfy({ $0.nonce == nil }) { blob.placement.redundancy = trailer.redundancy }
                guard trailer.redundancy == blob.placement.redundancy, trailer.blobLength == blob.length else {
                    report.withLock { $0.unreadable.append((entry.root, .integrity("share \(trailer.index) at \(entry.provider.name) disagrees with the other shares of blob \(trailer.blob.description.prefix(16))"))) }
                    continue
                }
                blob.placement.shares.append(share)
                blobs[trailer.blob] = blob
                report.withLock { $0.shares += 1 }
            case let .plain(header):
                let share = Share(provider: entry.provider.name, root: entry.root, length: entry.length, index: 0, nonce: nil)
                var blob = blobs[entry.root] ?? (entry.length, Placement(redundancy: .single, shares: []), header)
                blob.header = header
                blob.placement.shares.append(share)
                blobs[entry.root] = blob
                report.withLock { $0.shares += 1 }
            case let .unreadable(error):
                report.withLock { $0.unreadable.append((entry.root, error)) }
            case nil:
                break
            }
        }
        for (root, blob) in blobs { fleet.learned.withLock { $0[root] = blob.placement } }
        let placed = blobs
        // 3. Each blob's header and what it holds.
        let roots = Array(blobs.keys)
        let referenced = Locked(Set<Blake3.Digest>())
        let next = WorkCounter(count: roots.count)
        WorkerPool.run(width: min(max(1, workers), max(1, roots.count))) { [self] _ in
            while let i = next.take() {
                let root = roots[i]
                guard let (length, placement, known) = placed[root] else { continue }
                do throws(RepositoryError) {
                    let header: BlobHeader
                    if let known { header = known } else { header = try reader.header(root: root, length: length, keys: keys) }
                    try index.add(blob: BlobRecord(root: root, length: length, kind: header.kind, placement: placement), entries: header.entries)
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
                progress(done.withLock { $0 += 1; return $0 } + (listed.count - roots.count), total)
            }
        }
        fleet.learned.withLock { $0 = [:] }
        var result = report.current
        result.blobs = roots.count
        result.missingPacks = referenced.current.subtracting(Set(roots)).sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        result.seconds = Date().timeIntervalSince(started)
        return result
    }
}
