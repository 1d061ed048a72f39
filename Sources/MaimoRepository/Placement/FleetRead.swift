import Foundation
import MaimoBlake3
import MaimoErasure

extension BlobFleet {
    /// Exactly `count` bytes of the blob from `offset`, verified: from a copy (the fastest
    /// holder first, the next when one fails), or from the data shards, rebuilt from any K
    /// shares where a data shard's holder fails. Never returns a byte that did not verify
    /// against the root of the share it came from.
    public func read(_ placement: Placement, offset: UInt64, count: Int) throws(RepositoryError) -> [UInt8] {
        guard count > 0 else { return [] }
        switch placement.redundancy {
        case .copies:
            return try first(of: ranked(placement.shares), what: "no copy of the blob could be read") { (share) throws(RepositoryError) in
                try readShare(share, offset: offset, count: count)
            }
        case let .erasure(k, n):
            return try readShards(placement, data: k, total: n, offset: offset, count: count)
        }
    }

    /// The bytes `offset ..< offset + count` of one share's body, verified against its root and
    /// with its key stream removed.
    func readShare(_ share: Share, offset: UInt64, count: Int) throws(RepositoryError) -> [UInt8] {
        guard let store = store(share.provider) else {
            throw .unreachable("provider \(share.provider) is not in this repository's peers")
        }
        if share.nonce != nil, offset + UInt64(count) > share.bodyLength {
            throw .integrity("share \(share.index) at \(share.provider) ends at byte \(share.bodyLength), before \(offset + UInt64(count))")
        }
        let started = Date()
        do throws(RepositoryError) {
            var bytes = try BlobReader.range(from: store, root: share.root, offset: offset, count: count)
            // The provider's time (and the verification, the same for every holder), not the key stream's.
            noteRead(share.provider, seconds: Date().timeIntervalSince(started))
            if let nonce = share.nonce { try ShareStream.apply(&bytes, offset: offset, nonce: nonce, keys: keys) }
            return bytes
        } catch {
            noteFailure(share.provider)
            throw error
        }
    }

    /// The first share of `shares` that `body` reads, or one error naming every failure: an
    /// integrity failure wins (a holder served bad bytes), then a missing blob, then unreachable.
    func first<T>(of shares: [Share], what: String, _ body: (Share) throws(RepositoryError) -> T) throws(RepositoryError) -> T {
        var failures: [(Share, RepositoryError)] = []
        for share in shares {
            do { return try body(share) } catch { failures.append((share, error)) }
        }
        throw Self.combined(failures, what: what)
    }

    static func combined(_ failures: [(Share, RepositoryError)], what: String) -> RepositoryError {
        let text = what + ": " + (failures.isEmpty ? "no holder is known"
            : failures.map { "\($0.0.provider) (share \($0.0.index)): \($0.1)" }.joined(separator: "; "))
        if failures.contains(where: { if case .integrity = $0.1 { return true } else { return false } }) { return .integrity(text) }
        if failures.contains(where: { if case .missing = $0.1 { return true } else { return false } }) { return .missing(text) }
        if failures.contains(where: { if case .unreachable = $0.1 { return false } else { return true } }) { return .store(text) }
        return .unreachable(text)
    }

    /// A range of a K-of-N blob: shard by shard, each from its holder or rebuilt.
    func readShards(_ placement: Placement, data k: Int, total n: Int, offset: UInt64, count: Int) throws(RepositoryError) -> [UInt8] {
        // Every shard has the body length of ⌈blob length / K⌉; take the one most shares agree on.
        let lengths = Dictionary(grouping: placement.shares.filter { $0.nonce != nil }, by: \.bodyLength)
        guard let shardLength = lengths.max(by: { $0.value.count < $1.value.count })?.key, shardLength > 0 else {
            throw .integrity("a \(placement.redundancy) placement with no shares")
        }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var position = offset
        let end = offset + UInt64(count)
        while position < end {
            let shard = Int(position / shardLength)
            guard shard < k else { throw .integrity("bytes \(position)..<\(end) lie past the data shards of a \(placement.redundancy) blob") }
            let low = position % shardLength
            let high = min(shardLength, low + (end - position))
            out += try shardRange(placement, shard: shard, data: k, total: n, shardLength: shardLength, low: low, high: high)
            position += high - low
        }
        return out
    }

    /// Bytes `low ..< high` of data shard `shard`: from a holder of it, or from K others (when it
    /// fails, or is slower than K others).
    func shardRange(_ placement: Placement, shard: Int, data k: Int, total n: Int, shardLength: UInt64,
                    low: UInt64, high: UInt64) throws(RepositoryError) -> [UInt8] {
        let count = Int(high - low)
        let usable = placement.shares.filter { $0.nonce != nil && $0.bodyLength == shardLength && $0.index < n }
        var failures: [(Share, RepositoryError)] = []
        // The fastest K holders (one per shard index): when this shard's holder is among them it
        // is read as it is; when it is slower than K others, they are read and it is rebuilt.
        var fastest: [Int] = []
        for share in ranked(usable) where fastest.count < k && !fastest.contains(share.index) { fastest.append(share.index) }
        let holders = ranked(usable.filter { $0.index == shard })
        let direct = fastest.contains(shard) || fastest.count < k
        if direct {
            for share in holders {
                do { return try readShare(share, offset: low, count: count) } catch { failures.append((share, error)) }
            }
        }
        // Degraded: the same range of K other shards, then the code rebuilds this one.
        var pieces = [[UInt8]?](repeating: nil, count: n)
        var got = 0
        for share in ranked(usable.filter { $0.index != shard }) where got < k && pieces[share.index] == nil {
            do {
                pieces[share.index] = try readShare(share, offset: low, count: count)
                got += 1
            } catch {
                failures.append((share, error))
            }
        }
        guard got >= k else {
            // Too few others: its own (slower) holder after all.
            if !direct {
                for share in holders {
                    do { return try readShare(share, offset: low, count: count) } catch { failures.append((share, error)) }
                }
            }
            throw Self.combined(failures, what: "shard \(shard) of a \(placement.redundancy) blob: \(got) of the \(k) shares needed could be read")
        }
        do {
            try ReedSolomon(dataShards: k, totalShards: n).reconstructData(&pieces)
        } catch {
            throw .integrity("rebuilding shard \(shard) of a \(placement.redundancy) blob: \(error)")
        }
        guard let rebuilt = pieces[shard] else { throw .integrity("shard \(shard) was not rebuilt") }
        return rebuilt
    }
}
