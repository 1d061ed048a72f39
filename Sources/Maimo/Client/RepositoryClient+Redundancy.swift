import Foundation
import MaimoBlake3
import MaimoRepository
import MaimoWire

/// Redundancy across peers (Docs/Repository.md §12): repair, retiring a peer, and what each peer
/// holds and has proven.
extension RepositoryClient {
    /// What ``repair(to:samples:loss:workers:progress:)`` found and did.
    public struct RepairResult: Sendable {
        /// The proofs that found the bad shares (recorded in the catalogue).
        public var proofs: [Repository.BlobProof]
        /// What the repair did.
        public var report: Repository.RepairReport
    }

    /// Proves every share at every peer, then replaces each one that failed or was unreachable
    /// (and each missing one) from good ones, onto `target` or the next peer holding none of
    /// that blob. Rerun after an interruption, it finishes the work.
    public func repair(to target: String? = nil, samples: Int, loss: Double, workers: Int = 4,
                       progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws(MaimoError) -> RepairResult {
        if let target { guard try catalogue.peer(named: target) != nil else { throw .usage("no peer named \(target) (see `maimo peer add`)") } }
        let (_, proofs) = try verify(samples: samples, loss: loss, workers: workers)
        let repository = try repository(at: try repositoryPeer(), sessions: workers)
        let report = try mapped { () throws(RepositoryError) in try repository.repair(proofs: proofs, to: target, progress: progress) }
        return RepairResult(proofs: proofs, report: report)
    }

    /// Re-places every copy and share peer `name` holds onto the other peers, each proven at its
    /// new peer before the old one is deleted; when nothing is left there, forgets the peer.
    public func retire(peer name: String, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws(MaimoError) -> Repository.RepairReport {
        guard try catalogue.peer(named: name) != nil else { throw .usage("no peer named \(name)") }
        let peers = try catalogue.peers()
        guard peers.count > 1 else { throw .usage("\(name) is the only peer: add another (`maimo peer add`) to move its blobs to") }
        let first = try repositoryPeer()
        let primary = first.name == name ? peers.filter { $0.name != name }.sorted { $0.name < $1.name }[0] : first
        let repository = try repository(at: primary)
        let report = try mapped { () throws(RepositoryError) in try repository.repair(proofs: [], retiring: [name], progress: progress) }
        let left = try mapped { () throws(RepositoryError) in try repository.index.blobs() }
            .filter { blob in (blob.placement?.shares ?? [Share(provider: first.name, root: blob.root, length: blob.length, index: 0, nonce: nil)])
                .contains { $0.provider == name } }
        guard report.failures.isEmpty, left.isEmpty else {
            throw .integrity("\(left.count) blob(s) still have a share at \(name): "
                             + report.failures.prefix(3).map { "\($0.root.description.prefix(16)): \($0.error)" }.joined(separator: "; "))
        }
        try catalogue.setSetting("peer", primary.name)
        _ = try catalogue.removePeer(named: name)
        return report
    }

    /// One peer as `maimo status` shows it.
    public struct ProviderSummary: Sendable {
        /// The peer.
        public var peer: PeerRecord
        /// Copies and shares the catalogue places there.
        public var shares = 0
        /// Their bytes.
        public var bytes: UInt64 = 0
        /// Of them, by their latest proof: proven, failed, unreachable, never proven.
        public var ok = 0, failed = 0, unreachable = 0, unproven = 0
        /// The time of the newest proof there (seconds since 1970).
        public var lastProof: Double?
        /// What the peer said to `STAT` (when asked).
        public var usage: ProviderUsage?
        /// Why it could not be reached (when asked).
        public var error: String?
    }

    /// What each peer holds by the catalogue's placements and how its latest proofs went;
    /// with `reach`, each peer's own account of its usage too.
    public func providerSummaries(reach: Bool) throws(MaimoError) -> [ProviderSummary] {
        let peers = try catalogue.peers()
        let primary = try? repositoryPeer().name
        var byName: [String: ProviderSummary] = [:]
        for peer in peers { byName[peer.name] = ProviderSummary(peer: peer) }
        let blobs = try mapped { () throws(RepositoryError) in try index.blobs() }
        for blob in blobs {
            let shares = blob.placement?.shares ?? [Share(provider: primary ?? "", root: blob.root, length: blob.length, index: 0, nonce: nil)]
            for share in shares {
                guard var summary = byName[share.provider] else { continue }
                summary.shares += 1
                summary.bytes += share.length
                if let proof = try catalogue.latestProofs(root: share.root)[share.provider] {
                    switch proof.outcome {
                    case .ok: summary.ok += 1
                    case .failed: summary.failed += 1
                    case .unreachable: summary.unreachable += 1
                    }
                    summary.lastProof = max(summary.lastProof ?? 0, proof.time)
                } else {
                    summary.unproven += 1
                }
                byName[share.provider] = summary
            }
        }
        if reach {
            for status in try peerStatus() {
                byName[status.peer.name]?.usage = status.usage
                byName[status.peer.name]?.error = status.error
            }
        }
        return peers.compactMap { byName[$0.name] }
    }
}
