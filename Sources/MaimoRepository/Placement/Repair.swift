import Foundation
import MaimoBlake3
import MaimoCipher
import MaimoErasure

extension Repository {
    /// What ``repair(proofs:to:retiring:progress:)`` did.
    public struct RepairReport: Sendable {
        /// Blobs with a share to replace, and of them those repaired.
        public var blobsDamaged = 0, blobsRepaired = 0
        /// Copies and shares written anew, each proven at its new provider.
        public var sharesWritten = 0
        /// Bad shares deleted, and those left at providers that could not be reached (`prune`
        /// deletes them later as orphans).
        public var sharesDeleted = 0, sharesLeft = 0
        /// Verified bytes read to rebuild shares, and bytes written.
        public var bytesRead: UInt64 = 0, bytesWritten: UInt64 = 0
        /// Blobs that could not be repaired, and why (too few good shares, no provider to take one).
        public var failures: [(root: Blake3.Digest, error: RepositoryError)] = []
    }

    /// Replaces every copy or share that `proofs` did not prove (failed or unreachable), every
    /// one missing from its blob's placement, and every one held by a provider in `retiring`:
    /// each is rebuilt from good ones (a copy from one copy; a shard from its own holder when it
    /// still serves it verified, else from K others — K shards' worth moved per share, never the
    /// whole repository), sealed under a fresh nonce, written to `target` (or the first provider
    /// holding no share of that blob), and proven there; then the placement is updated in the
    /// index and only then are the bad shares deleted. Killed at any moment, nothing is lost: a
    /// blob's record changes only once its new share is proven, and a rerun repairs what is left
    /// (a share written but not recorded is an orphan for `prune`).
    public func repair(proofs: [BlobProof], to target: String? = nil, retiring: Set<String> = [],
                       progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws(RepositoryError) -> RepairReport {
        if let target {
            guard fleet.store(target) != nil else { throw .usage("no provider named \(target)") }
            guard !retiring.contains(target) else { throw .usage("\(target) is being retired; repair onto another provider") }
        }
        var bad = Set<Blake3.Digest>()
        for proof in proofs where proof.outcome != .ok { bad.insert(proof.share.root) }
        var report = RepairReport()
        let blobs = try index.blobs()
        var damaged: [(BlobRecord, Placement)] = []
        for blob in blobs {
            let placement = fleet.placement(of: blob.root, recorded: blob.placement)
            let goodIndices = Set(placement.shares.filter { !bad.contains($0.root) && !retiring.contains($0.provider) }.map(\.index))
            let complete = placement.redundancy.needed == 1
                ? placement.shares.filter { !bad.contains($0.root) && !retiring.contains($0.provider) }.count >= placement.redundancy.shareCount
                : goodIndices.count >= placement.redundancy.shareCount
            let extra = placement.shares.contains { bad.contains($0.root) || retiring.contains($0.provider) }
            if !complete || extra { damaged.append((blob, placement)) }
        }
        report.blobsDamaged = damaged.count
        for (i, (blob, placement)) in damaged.enumerated() {
            do throws(RepositoryError) {
                try repairBlob(blob, placement, bad: bad, target: target, retiring: retiring, report: &report)
                report.blobsRepaired += 1
            } catch {
                report.failures.append((blob.root, error))
            }
            progress(i + 1, damaged.count)
        }
        return report
    }

    private func repairBlob(_ blob: BlobRecord, _ placement: Placement, bad: Set<Blake3.Digest>, target: String?,
                            retiring: Set<String>, report: inout RepairReport) throws(RepositoryError) {
        let isBad = { (share: Share) in bad.contains(share.root) || retiring.contains(share.provider) }
        var good = placement.shares.filter { !isBad($0) }
        let redundancy = placement.redundancy
        // Copies are interchangeable: count them; shards by index.
        var wanted: [Int]
        if redundancy.needed == 1 {
            let used = Set(good.map(\.index))
            let free = (0..<max(redundancy.shareCount, placement.shares.count)).filter { !used.contains($0) }
            wanted = Array(free.prefix(max(0, redundancy.shareCount - good.count)))
        } else {
            let present = Set(good.map(\.index))
            wanted = (0..<redundancy.shareCount).filter { !present.contains($0) }
        }
        let shardLength: UInt64
        switch redundancy {
        case .copies: shardLength = blob.length
        case let .erasure(k, _): shardLength = (blob.length + UInt64(k) - 1) / UInt64(k)
        }
        for index in wanted {
            let body = try rebuildShare(index, of: blob, placement, good: good, bad: isBad, shardLength: shardLength, report: &report)
            let holders = Set(good.map(\.provider))
            let candidates: [BlobFleet.Provider]
            if let target {
                guard !holders.contains(target) else {
                    throw .usage("\(target) already holds a share of blob \(blob.root.description.prefix(16)); each provider holds one")
                }
                candidates = fleet.providers.filter { $0.name == target }
            } else {
                candidates = fleet.placementOrder(excluding: holders.union(retiring).union(placement.shares.filter(isBad).map(\.provider)))
            }
            guard !candidates.isEmpty else {
                throw .unreachable("no provider left to take share \(index) of blob \(blob.root.description.prefix(16)) (every other holds one, or is bad)")
            }
            var written: Share?
            var failures: [String] = []
            for provider in candidates where written == nil {
                do throws(RepositoryError) {
                    written = try fleet.putShare(body, index: index, of: blob.root, blobLength: blob.length, redundancy: redundancy, at: provider)
                } catch {
                    failures.append("\(provider.name): \(error)")
                }
            }
            guard let share = written else {
                throw .unreachable("share \(index) of blob \(blob.root.description.prefix(16)) could not be written: " + failures.joined(separator: "; "))
            }
            // Proven where it now is before anything old goes.
            let proof = prove(blob, share: share, samples: 16)
            guard proof.outcome == .ok else {
                try? fleet.store(share.provider)?.delete(root: share.root)
                throw .integrity("the new share \(index) of blob \(blob.root.description.prefix(16)) at \(share.provider) did not prove: \(proof.detail ?? "")")
            }
            good.append(share)
            report.sharesWritten += 1
            report.bytesWritten += share.length
        }
        // The record first, then the bad shares go.
        var record = blob
        record.placement = Placement(redundancy: redundancy, shares: good)
        try index.add(blob: record, entries: [])
        for share in placement.shares where isBad(share) {
            do throws(RepositoryError) {
                guard let store = fleet.store(share.provider) else { throw .unreachable("no provider \(share.provider)") }
                try store.delete(root: share.root)
                report.sharesDeleted += 1
            } catch {
                report.sharesLeft += 1
            }
        }
    }

    /// The body of copy or shard `index`: from a holder of it that still serves it verified
    /// (a retiring provider, say), else rebuilt from good ones.
    private func rebuildShare(_ index: Int, of blob: BlobRecord, _ placement: Placement, good: [Share], bad: (Share) -> Bool,
                              shardLength: UInt64, report: inout RepairReport) throws(RepositoryError) -> [UInt8] {
        switch placement.redundancy {
        case .copies:
            // Any copy that still serves verified bytes (a retiring one too).
            let body = try fleet.read(placement, offset: 0, count: Int(blob.length))
            report.bytesRead += blob.length
            return body
        case let .erasure(k, n):
            // Its own holder first: one shard's worth.
            for share in fleet.ranked(placement.shares.filter { $0.index == index && $0.nonce != nil }) {
                if let body = try? fleet.readShare(share, offset: 0, count: Int(shardLength)) {
                    report.bytesRead += shardLength
                    return body
                }
            }
            var pieces = [[UInt8]?](repeating: nil, count: n)
            var got = 0
            var failures: [(Share, RepositoryError)] = []
            for share in fleet.ranked(good.filter { $0.index != index && $0.index < n && $0.nonce != nil }) where got < k && pieces[share.index] == nil {
                do {
                    pieces[share.index] = try fleet.readShare(share, offset: 0, count: Int(shardLength))
                    got += 1
                    report.bytesRead += shardLength
                } catch {
                    failures.append((share, error))
                }
            }
            guard got >= k else {
                throw BlobFleet.combined(failures, what: "blob \(blob.root.description.prefix(16)): \(got) of the \(k) shares needed to rebuild share \(index)")
            }
            do { try ReedSolomon(dataShards: k, totalShards: n).reconstruct(&pieces) } catch {
                throw .integrity("rebuilding share \(index) of blob \(blob.root.description.prefix(16)): \(error)")
            }
            guard let body = pieces[index] else { throw .integrity("share \(index) was not rebuilt") }
            return body
        }
    }
}
