import Foundation
import MaimoBlake3

/// The providers a repository's blobs are placed on, and the rule that places them
/// (Docs/Repository.md §12). A blob is written as copies or Reed–Solomon shares, each to its
/// own provider, each under its own root; it is read back from whichever holders answer with
/// verified bytes, and deleted everywhere. With one provider and ``Redundancy/single`` this is
/// the plain repository of §4: one copy, the blob's own bytes.
///
/// Nothing a provider returns is trusted: every range is verified against the root of the share
/// it was asked for, so a provider that serves another provider's share, an old share, or
/// damaged bytes fails that read, which then goes to the next holder.
public final class BlobFleet: @unchecked Sendable {
    /// A named blob store.
    public struct Provider: Sendable {
        /// Its name in placements (the engine's peer name).
        public let name: String
        /// Where its blobs are.
        public let store: any BlobStore
        /// A provider with the given fields.
        public init(name: String, store: any BlobStore) {
            self.name = name
            self.store = store
        }
    }

    /// The providers, in order of preference for new shares (the first holds a single copy).
    public let providers: [Provider]
    /// How new blobs are placed.
    public let redundancy: Redundancy
    let keys: RepositoryKeys
    private let byName: [String: any BlobStore]
    private let health = Locked<[String: Health]>([:])
    /// Placements found by `recover` before the index has them.
    let learned = Locked<[Blake3.Digest: Placement]>([:])

    /// How a provider has done in this process: failures, and the mean time of its reads. Per
    /// read, not per byte: a round trip dominates a range's time (over Tor and in memory alike),
    /// and per byte a slow holder's one large read would rank it before a fast holder's small
    /// ones.
    struct Health {
        var failures = 0
        var reads = 0
        var seconds = 0.0
        var secondsPerRead: Double { reads == 0 ? 0 : seconds / Double(reads) }
    }

    /// With one provider given as "the" store, placements naming any provider are read there
    /// (an index written by the engine, read through one store).
    private let onlyStore: (any BlobStore)?

    /// A fleet over `providers` placing new blobs by `redundancy`. With `onlyStore`, a single
    /// provider that answers for every provider name in a placement.
    public init(providers: [Provider], redundancy: Redundancy = .single, keys: RepositoryKeys, onlyStore: Bool = false) {
        self.providers = providers
        self.redundancy = redundancy
        self.keys = keys
        self.onlyStore = onlyStore && providers.count == 1 ? providers[0].store : nil
        var byName: [String: any BlobStore] = [:]
        for provider in providers where byName[provider.name] == nil { byName[provider.name] = provider.store }
        self.byName = byName
    }

    /// The provider that holds single copies (the first).
    public var primary: String { providers.first?.name ?? "" }

    /// The store of the provider named `name`, if the fleet has it.
    public func store(_ name: String) -> (any BlobStore)? { byName[name] ?? onlyStore }

    func noteRead(_ provider: String, seconds: Double) {
        health.withLock {
            $0[provider, default: Health()].reads += 1
            $0[provider, default: Health()].seconds += seconds
        }
    }

    func noteFailure(_ provider: String) {
        health.withLock { $0[provider, default: Health()].failures += 1 }
    }

    /// Shares in the order to try them: providers that have not failed in this process first,
    /// the faster (by the mean time of their reads so far; one not yet read counts as fastest,
    /// so each gets tried) before the slower.
    func ranked(_ shares: [Share]) -> [Share] {
        let known = health.current
        return shares.enumerated().sorted { a, b in
            let x = known[a.element.provider] ?? Health(), y = known[b.element.provider] ?? Health()
            if (x.failures > 0) != (y.failures > 0) { return x.failures == 0 }
            if x.secondsPerRead != y.secondsPerRead { return x.secondsPerRead < y.secondsPerRead }
            return a.offset < b.offset
        }.map(\.element)
    }

    /// Providers in the order new shares go to: those that have not failed in this process first.
    func placementOrder(excluding: Set<String> = []) -> [Provider] {
        let known = health.current
        let usable = providers.filter { !excluding.contains($0.name) }
        return usable.filter { (known[$0.name]?.failures ?? 0) == 0 } + usable.filter { (known[$0.name]?.failures ?? 0) > 0 }
    }

    /// The placement to read `root` by: the index's record, one `recover` found, or (a blob
    /// recorded before placements) one plain copy at the primary provider.
    func placement(of root: Blake3.Digest, recorded: Placement?) -> Placement {
        if let recorded { return recorded }
        if let found = learned.withLock({ $0[root] }) { return found }
        return .plain(root: root, length: 0, provider: primary)
    }

    /// Deletes every share of a placement (an absent one is not an error). A share at a
    /// provider that cannot be reached is left, and counted, when another share was deleted
    /// (`prune` deletes it later as an orphan); any other failure, or none deleted, throws.
    @discardableResult
    public func delete(_ placement: Placement) throws(RepositoryError) -> Int {
        var failure: RepositoryError?
        var deleted = 0, left = 0
        for share in placement.shares {
            do throws(RepositoryError) {
                guard let store = store(share.provider) else { throw .unreachable("provider \(share.provider) is not in this repository's peers") }
                try store.delete(root: share.root)
                deleted += 1
            } catch {
                if case .unreachable = error { left += 1 } else if failure == nil { failure = error }
                if failure == nil, case .interrupted = error { failure = error }
            }
        }
        if let failure { throw failure }
        if deleted == 0 && left > 0 {
            throw .unreachable("no holder of blob \(placement.shares.first?.root.description.prefix(16) ?? "") could be reached to delete it")
        }
        return left
    }

    static func now() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}
