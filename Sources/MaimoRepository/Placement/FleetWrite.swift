import MaimoBlake3
import MaimoCipher
import MaimoErasure

extension BlobFleet {
    /// Writes a blob by `redundancy` (default: the fleet's): its copies or shares, each to its own
    /// provider, at once. A provider that fails gives its share to the next unused one; when too
    /// few providers take one, the shares already written are deleted and the put fails.
    /// Returns the placement, every share acknowledged by its provider as held.
    public func put(root: Blake3.Digest, content: [UInt8], redundancy: Redundancy? = nil) throws(RepositoryError) -> Placement {
        let redundancy = redundancy ?? self.redundancy
        let count = redundancy.shareCount
        guard providers.count >= count else {
            throw .usage("redundancy \(redundancy) needs \(count) providers; the repository has \(providers.count) (see `maimo peer add`)")
        }
        if case .copies(1) = redundancy, let first = providers.first {
            // The plain single copy: exactly the blob, as before redundancy.
            let placement = Placement.plain(root: root, length: UInt64(content.count), provider: first.name)
            try first.store.put(root: root, content: content)
            return placement
        }
        let shards: [[UInt8]]?
        if case let .erasure(k, n) = redundancy {
            do { shards = try ReedSolomon(dataShards: k, totalShards: n).shards(of: content) } catch {
                throw .usage("redundancy \(redundancy): \(error)")
            }
        } else {
            shards = nil
        }
        let order = placementOrder()
        let spare = Locked(Array(order.dropFirst(count)))
        let placed = Locked([Share?](repeating: nil, count: count))
        let failures = Locked<[String]>([])
        let created = Self.now()
        WorkerPool.run(width: count) { [self] index in
            // The share's bytes: copy 0 is the blob itself; other copies and every shard are keyed.
            let plain = shards == nil && index == 0
            let body = shards?[index] ?? content
            let bytes: [UInt8], nonce: [UInt8]?
            if plain {
                (bytes, nonce) = (body, nil)
            } else {
                do throws(RepositoryError) {
                    (bytes, nonce) = try sealShare(body, index: index, of: root, blobLength: UInt64(content.count), redundancy: redundancy,
                                                   created: created)
                } catch {
                    failures.withLock { $0.append("share \(index): \(error)") }
                    return
                }
            }
            let shareRoot = plain ? root : Blake3.hash(bytes)
            var provider: Provider? = order[index]
            while let target = provider {
                do throws(RepositoryError) {
                    try target.store.put(root: shareRoot, content: bytes)
                    placed.withLock {
                        $0[index] = Share(provider: target.name, root: shareRoot, length: UInt64(bytes.count), index: index, nonce: nonce)
                    }
                    return
                } catch {
                    noteFailure(target.name)
                    failures.withLock { $0.append("\(target.name): \(error)") }
                    provider = spare.withLock { $0.isEmpty ? nil : $0.removeFirst() }
                }
            }
        }
        let shares = placed.current
        guard shares.allSatisfy({ $0 != nil }) else {
            let written = shares.compactMap { $0 }
            _ = try? delete(Placement(redundancy: redundancy, shares: written))
            throw .unreachable("blob \(root.description.prefix(16)) with redundancy \(redundancy): \(written.count) of \(count) shares "
                               + "placed; " + failures.current.joined(separator: "; "))
        }
        return Placement(redundancy: redundancy, shares: shares.compactMap { $0 })
    }

    /// A keyed copy or share: `body` under its own key stream (a fresh nonce), then its trailer.
    func sealShare(_ body: [UInt8], index: Int, of root: Blake3.Digest, blobLength: UInt64, redundancy: Redundancy,
                   created: UInt64) throws(RepositoryError) -> (bytes: [UInt8], nonce: [UInt8]) {
        let nonce = SecureRandom.bytes(ShareTrailer.nonceLength)
        var bytes = body
        try ShareStream.apply(&bytes, offset: 0, nonce: nonce, keys: keys)
        bytes += try ShareTrailer(blob: root, blobLength: blobLength, redundancy: redundancy, index: index, created: created,
                                  nonce: nonce).seal(keys: keys)
        return (bytes, nonce)
    }

    /// Seals `body` as keyed share `index` of the blob `root` and writes it to `provider`.
    func putShare(_ body: [UInt8], index: Int, of root: Blake3.Digest, blobLength: UInt64, redundancy: Redundancy,
                  at provider: Provider) throws(RepositoryError) -> Share {
        let (bytes, nonce) = try sealShare(body, index: index, of: root, blobLength: blobLength, redundancy: redundancy, created: Self.now())
        let shareRoot = Blake3.hash(bytes)
        do { try provider.store.put(root: shareRoot, content: bytes) } catch {
            noteFailure(provider.name)
            throw error
        }
        return Share(provider: provider.name, root: shareRoot, length: UInt64(bytes.count), index: index, nonce: nonce)
    }
}
