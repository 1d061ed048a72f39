import MaimoBao
import MaimoBlake3

extension Repository {
    /// The outcome of one proof of storage of one blob.
    public struct BlobProof: Sendable, Equatable {
        /// What a proof found.
        public enum Outcome: String, Sendable, Codable {
            /// Every slice verified.
            case ok
            /// A slice failed to verify, or the provider broke off mid-proof.
            case failed
            /// The provider could not be reached before the proof began.
            case unreachable
        }
        /// The blob proven.
        public var blob: BlobRecord
        /// The copy or share proven, and its provider.
        public var share: Share
        /// What the proof found.
        public var outcome: Outcome
        /// Slices asked for, and how many failed verification (or were not served).
        public var samples: Int
        /// Slices that failed verification or were not served.
        public var failures: Int
        /// The chance that a loss of `loss` went unnoticed (0 when every slice was checked).
        public var missProbability: Double
        /// The fraction of the blob whose loss the proof rules out with ``missProbability``.
        public var loss: Double
        /// Slice bytes received.
        public var bytes: Int
        /// What went wrong, when something did.
        public var detail: String?
    }

    /// Content bytes per slice of a proof.
    public static let sliceLength: UInt64 = 4096

    /// The number of 4 KiB slices that catch a loss of `loss` with probability `confidence`:
    /// the smallest `n` with `(1 − loss)^n ≤ 1 − confidence`; nil unless both are in range.
    public static func samples(confidence: Double, loss: Double) -> Int? {
        guard confidence > 0 && confidence < 1 && loss > 0 && loss <= 1 else { return nil }
        if loss == 1 { return 1 }
        return Int((log(1 - confidence) / log(1 - loss)).rounded(.up))
    }

    /// Proves that the providers still hold every copy and share of every blob the index knows
    /// — packs, indexes and snapshots — with `samples` random 4 KiB slices each (CSPRNG offsets,
    /// every slice when the share has no more), each verified against that share's root alone.
    /// One proof per share, each naming its provider.
    public func verify(samples: Int, loss: Double = 0.01, workers: Int = 4) throws(RepositoryError) -> [BlobProof] {
        var pairs: [(BlobRecord, Share)] = []
        for blob in try index.blobs() {
            for share in fleet.placement(of: blob.root, recorded: blob.placement).shares { pairs.append((blob, share)) }
        }
        let work = pairs
        let counter = WorkCounter(count: work.count)
        let proofs = Locked([BlobProof?](repeating: nil, count: work.count))
        WorkerPool.run(width: min(max(1, workers), max(1, work.count))) { [self] _ in
            while let i = counter.take() {
                let proof = prove(work[i].0, share: work[i].1, samples: samples, loss: loss)
                proofs.withLock { $0[i] = proof }
            }
        }
        return proofs.current.compactMap { $0 }
    }

    /// One blob's proof. A store that answers some slices and then fails (drops the connection,
    /// stops answering) is counted as failing the rest, and one that took the request and then
    /// answered nothing (``RepositoryError/interrupted(_:)``) as failing all: a cheating provider
    /// cannot hide a loss behind a disconnect. Only a store that cannot be reached at all leaves
    /// the blob unproven.
    /// `share` is one of the blob's copies or shares (default: its first).
    public func prove(_ blob: BlobRecord, share: Share? = nil, samples: Int, loss: Double = 0.01) -> BlobProof {
        let share = share ?? fleet.placement(of: blob.root, recorded: blob.placement).shares.first
            ?? Share(provider: fleet.primary, root: blob.root, length: blob.length, index: 0, nonce: nil)
        let length = share.nonce == nil && share.length == 0 ? blob.length : share.length
        let starts = Self.sliceStarts(length: length, samples: samples)
        var proof = BlobProof(blob: blob, share: share, outcome: .ok, samples: starts.count, failures: 0, missProbability: 1, loss: loss,
                              bytes: 0, detail: nil)
        var answered = 0
        do throws(RepositoryError) {
            guard let store = fleet.store(share.provider) else { throw .unreachable("provider \(share.provider) is not in this repository's peers") }
            try store.slices(root: share.root, starts: starts, count: Self.sliceLength) { (start, slice) throws(RepositoryError) in
                answered += 1
                proof.bytes += slice.count
                if (try? Bao.decodeSlice(slice, hash: share.root, start: start, count: Self.sliceLength)) == nil { proof.failures += 1 }
            }
        } catch {
            if case .missing = error {
                proof.outcome = .failed
                proof.failures = starts.count
                proof.detail = "the store does not have the blob"
                return proof
            }
            if case .interrupted = error, answered == 0 {
                // Reached, then silent at the first slice: what a provider that lost the blob
                // would do to pass for unreachable. Counted against it.
                proof.outcome = .failed
                proof.failures = starts.count
                proof.detail = "the store took the proof and stopped answering before the first slice: \(error)"
                return proof
            }
            if answered == 0 {
                proof.outcome = .unreachable
                proof.detail = "\(error)"
                return proof
            }
            proof.failures += starts.count - answered
            proof.detail = "the store stopped answering after \(answered) of \(starts.count) slices: \(error)"
        }
        let covered = UInt64(starts.count) * Self.sliceLength >= length
        proof.missProbability = covered ? 0 : pow(1 - loss, Double(starts.count))
        if proof.failures > 0 {
            proof.outcome = .failed
            if proof.detail == nil { proof.detail = "\(proof.failures) of \(starts.count) slices failed verification" }
        }
        return proof
    }

    /// Distinct 4 KiB-aligned offsets drawn with the system CSPRNG, or every one when there are
    /// no more than `samples`.
    static func sliceStarts(length: UInt64, samples: Int) -> [UInt64] {
        let count = max(1, (length + sliceLength - 1) / sliceLength)
        if UInt64(max(0, samples)) >= count { return (0..<count).map { $0 * sliceLength } }
        var generator = SystemRandomNumberGenerator()
        var chosen = Set<UInt64>()
        while chosen.count < samples { chosen.insert(UInt64.random(in: 0..<count, using: &generator)) }
        return chosen.map { $0 * sliceLength }.shuffled(using: &generator)
    }

    /// What the latest proofs say of one path in a snapshot: the packs its items live in (its
    /// chunks, and the trees on the way to it), which of them have too few proven copies or
    /// shares, how many more providers may fail before one of them is lost, and the chance that
    /// a loss went unnoticed in the shares proven (at most the sum over them).
    public struct PathConfidence: Sendable, Equatable {
        /// The path.
        public var path: String
        /// Packs holding its items.
        public var packs: Int
        /// Of them, packs with fewer proven shares than they need and a failed one: perhaps lost.
        public var failedPacks: Int
        /// Of them, packs with fewer proven shares than they need, none failed (unreachable, or
        /// never tried).
        public var unprovenPacks: Int
        /// Of them, packs readable from their proven shares but with a share failed or unproven.
        public var degradedPacks: Int
        /// How many more providers may fail before a pack of the path is lost: the least, over
        /// its packs, of proven shares less those needed (negative: not provably readable now).
        public var spare: Int
        /// The chance that a loss went unnoticed in any of them.
        public var missProbability: Double
    }

    /// What the latest `proofs` say of `path` in `snapshot`.
    /// - Throws: ``RepositoryError`` when the path is not in the snapshot or a tree cannot be read.
    public func confidence(of path: String, in snapshot: Snapshot, proofs: [BlobProof]) throws(RepositoryError) -> PathConfidence {
        var packs = Set<Blake3.Digest>()
        // The trees on the way down.
        var tree = snapshot.root
        if let location = try index.location(of: tree) { packs.insert(location.pack) }
        for component in path.split(separator: "/").map({ Array($0.utf8) }) {
            guard let entry = try self.tree(tree).entry(named: component) else { break }
            switch entry.content {
            case let .directory(id):
                tree = id
                if let location = try index.location(of: id) { packs.insert(location.pack) }
            case let .file(_, chunks):
                for id in chunks { if let location = try index.location(of: id) { packs.insert(location.pack) } }
            case .symlink:
                break
            }
        }
        if let entry = try entry(path, in: snapshot) { try collectPacks(entry, into: &packs) }
        var byShare: [Blake3.Digest: BlobProof] = [:]
        for proof in proofs { byShare[proof.share.root] = proof }
        var result = PathConfidence(path: path, packs: packs.count, failedPacks: 0, unprovenPacks: 0, degradedPacks: 0,
                                    spare: Int.max, missProbability: 0)
        for pack in packs {
            let record = try index.blob(pack)
            let placement = fleet.placement(of: pack, recorded: record?.placement)
            var good = Set<Int>(), failed = false, unproven = false
            for share in placement.shares {
                guard let proof = byShare[share.root] else { unproven = true; continue }
                switch proof.outcome {
                case .ok:
                    good.insert(share.index)
                    result.missProbability = min(1, result.missProbability + proof.missProbability)
                case .failed: failed = true
                case .unreachable: unproven = true
                }
            }
            let needed = placement.redundancy.needed
            // Copies are interchangeable: any one is enough.
            let proven = placement.redundancy.needed == 1 ? placement.shares.filter { byShare[$0.root]?.outcome == .ok }.count : good.count
            result.spare = min(result.spare, proven - needed)
            if proven < needed {
                if failed { result.failedPacks += 1 } else { result.unprovenPacks += 1 }
                result.missProbability = 1
            } else if failed || unproven || placement.shares.count < placement.redundancy.shareCount {
                result.degradedPacks += 1
            }
        }
        if result.spare == Int.max { result.spare = 0 }
        return result
    }

    private func collectPacks(_ entry: Tree.Entry, into packs: inout Set<Blake3.Digest>) throws(RepositoryError) {
        switch entry.content {
        case let .file(_, chunks):
            for id in chunks { if let location = try index.location(of: id) { packs.insert(location.pack) } }
        case let .directory(id):
            if let location = try index.location(of: id) { packs.insert(location.pack) }
            for child in try tree(id).entries { try collectPacks(child, into: &packs) }
        case .symlink:
            break
        }
    }
}

import Foundation
