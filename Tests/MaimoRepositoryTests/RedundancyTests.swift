import Foundation
import Testing
@testable import MaimoRepository
import MaimoBlake3
import MaimoTestSupport

/// A provider in memory that can be stopped (every request unreachable) or wiped.
final class SwitchStore: BlobStore, @unchecked Sendable {
    let inner = MemoryBlobStore()
    let down = Locked(false)

    func check() throws(RepositoryError) { if down.current { throw .unreachable("connection refused") } }
    func put(root: Blake3.Digest, content: [UInt8]) throws(RepositoryError) { try check(); try inner.put(root: root, content: content) }
    func slice(root: Blake3.Digest, start: UInt64, count: UInt64) throws(RepositoryError) -> [UInt8] {
        try check()
        return try inner.slice(root: root, start: start, count: count)
    }
    func list() throws(RepositoryError) -> [(root: Blake3.Digest, length: UInt64)] { try check(); return try inner.list() }
    func delete(root: Blake3.Digest) throws(RepositoryError) { try check(); try inner.delete(root: root) }

    func wipe() { for (root, _) in (try? inner.list()) ?? [] { inner.replace(root, with: nil) } }
    var roots: Set<Blake3.Digest> { Set(((try? inner.list()) ?? []).map(\.root)) }
}

/// A provider in memory that answers each slice after `delay` seconds and counts them.
final class SlowStore: BlobStore, @unchecked Sendable {
    let inner = MemoryBlobStore()
    let delay: Double
    let served = Locked(0)
    /// Every slice served, in order, by the stores sharing it: which store (`name`) served it.
    let journal: Locked<[String]>
    let name: String

    init(delay: Double, name: String = "", journal: Locked<[String]> = Locked([])) {
        self.delay = delay
        self.name = name
        self.journal = journal
    }
    func put(root: Blake3.Digest, content: [UInt8]) throws(RepositoryError) { try inner.put(root: root, content: content) }
    func slice(root: Blake3.Digest, start: UInt64, count: UInt64) throws(RepositoryError) -> [UInt8] {
        served.withLock { $0 += 1 }
        journal.withLock { $0.append(name) }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        return try inner.slice(root: root, start: start, count: count)
    }
    func list() throws(RepositoryError) -> [(root: Blake3.Digest, length: UInt64)] { try inner.list() }
    func delete(root: Blake3.Digest) throws(RepositoryError) { try inner.delete(root: root) }
}

/// Whether `name`'s entries in `journal` form one run: it served one range (its slices back to
/// back) and was never asked again once another store had answered after it.
func servedOnce(_ name: String, in journal: [String]) -> Bool {
    guard let first = journal.firstIndex(of: name), let last = journal.lastIndex(of: name) else { return false }
    return journal[first...last].allSatisfy { $0 == name }
}

/// Copies and Reed–Solomon shares across providers (Docs/Repository.md §12): distinct bytes at
/// each, reads that survive lost and lying providers, proofs per share, repair and recovery.
@Suite struct RedundancyTests {
    let helpers = RepositoryTests()

    func fleet(_ count: Int) -> [SwitchStore] { (0..<count).map { _ in SwitchStore() } }

    func repository(_ stores: [SwitchStore], _ redundancy: Redundancy, keys: RepositoryKeys,
                    index: any RepositoryIndex = MemoryRepositoryIndex()) -> Repository {
        Repository(keys: keys, providers: stores.enumerated().map { BlobFleet.Provider(name: "p\($0.offset + 1)", store: $0.element) },
                   redundancy: redundancy, index: index)
    }

    func restore(_ repository: Repository, _ tree: String, into scratch: RepositoryTests.Scratch, as name: String) throws {
        let (_, entry) = try #require(try repository.find(tree))
        _ = try repository.restore(entry, to: scratch.path + "/" + name, workers: 3)
        try helpers.expectSameTree(tree, scratch.path + "/" + name)
    }

    @Test func redundancyIsParsedAndNamed() throws {
        #expect(try Redundancy(parsing: "copies:2") == .copies(2))
        #expect(try Redundancy(parsing: "2-of-3") == .erasure(data: 2, total: 3))
        #expect(try Redundancy(parsing: "17-OF-20") == .erasure(data: 17, total: 20))
        #expect(try Redundancy(parsing: "1-of-1") == .single)
        #expect(Redundancy.erasure(data: 4, total: 6).description == "4-of-6")
        #expect(Redundancy.erasure(data: 4, total: 6).overhead == 1.5)
        for bad in ["0-of-3", "3-of-2", "copies:0", "copies:", "2of3", "2-of-256", "two-of-three", ""] {
            #expect(throws: RepositoryError.self, "\(bad)") { try Redundancy(parsing: bad) }
        }
    }

    @Test func placementRecordsRoundTrip() throws {
        let root = Blake3.hash([1, 2, 3])
        let placement = Placement(redundancy: .erasure(data: 2, total: 3), shares: [
            Share(provider: "alice", root: root, length: 1000, index: 0, nonce: [UInt8](repeating: 7, count: 24)),
            Share(provider: "bob é", root: Blake3.hash([4]), length: 1000, index: 2, nonce: [UInt8](repeating: 9, count: 24)),
        ])
        #expect(try Placement.decode(placement.encode()) == placement)
        let plain = Placement.plain(root: root, length: 5, provider: "x")
        #expect(try Placement.decode(plain.encode()) == plain)
        var damaged = placement.encode()
        damaged[0] = 9
        #expect(throws: RepositoryError.self) { try Placement.decode(damaged) }
        #expect(throws: RepositoryError.self) { try Placement.decode(Array(placement.encode().dropLast())) }
    }

    /// The scenario with four providers and 2-of-3: stop one, verify names it, retrieve
    /// works; repair onto the fourth; all proven; wipe a second; retrieve still works.
    @Test func twoOfThreeSurvivesALostProviderAndIsRepairedOntoTheFourth() throws {
        var seed = SeededGenerator.fromEnvironment("twoOfThreeSurvivesALostProviderAndIsRepairedOntoTheFourth")
        let scratch = RepositoryTests.Scratch()
        let tree = try helpers.makeTree(scratch, seed: &seed)
        let stores = fleet(4)
        let keys = RepositoryKeys.generate()
        let repository = repository(stores, .erasure(data: 2, total: 3), keys: keys)
        let stored = try repository.store([tree], options: helpers.options())
        let blobs = try repository.index.blobs()
        // Three providers hold one share of every blob, the fourth none; no root is shared.
        for store in stores.prefix(3) { #expect(store.inner.count == blobs.count) }
        #expect(stores[3].inner.count == 0)
        let rootSets = stores.map(\.roots)
        for i in 0..<4 { for j in (i + 1)..<4 { #expect(rootSets[i].isDisjoint(with: rootSets[j])) } }
        // Bytes at each provider: about half the blobs' bytes (a shard and a 120-byte trailer).
        let logical = blobs.reduce(UInt64(0)) { $0 + $1.length }
        for store in stores.prefix(3) {
            let expected = blobs.reduce(UInt64(0)) { $0 + ($1.length + 1) / 2 + UInt64(ShareTrailer.length) }
            #expect(store.inner.bytesHeld == expected)
        }
        #expect(Double(stores.prefix(3).reduce(0) { $0 + $1.inner.bytesHeld }) / Double(logical) < 1.5 * 1.02)
        // The report counts what went to the providers (all three shares), not the blobs' bytes.
        #expect(stored.bytesUploaded == stores.prefix(3).reduce(0) { $0 + $1.inner.bytesHeld })

        stores[0].down.withLock { $0 = true }
        let proofs = try repository.verify(samples: 8)
        #expect(proofs.count == 3 * blobs.count)
        #expect(proofs.filter { $0.share.provider == "p1" }.allSatisfy { $0.outcome == .unreachable })
        #expect(proofs.filter { $0.share.provider != "p1" }.allSatisfy { $0.outcome == .ok })
        let snapshot = try #require(try repository.snapshots().last).snapshot
        let confidence = try repository.confidence(of: tree, in: snapshot, proofs: proofs)
        #expect(confidence.spare == 0 && confidence.failedPacks == 0 && confidence.unprovenPacks == 0 && confidence.degradedPacks > 0)
        try restore(repository, tree, into: scratch, as: "degraded")

        let repair = try repository.repair(proofs: proofs, to: "p4")
        #expect(repair.failures.isEmpty, "\(repair.failures)")
        #expect(repair.blobsRepaired == blobs.count && repair.sharesWritten == blobs.count)
        #expect(repair.sharesLeft == blobs.count)  // p1 is down: its old shares wait for prune
        #expect(stores[3].inner.count == blobs.count)
        let after = try repository.verify(samples: 8)
        #expect(after.count == 3 * blobs.count && after.allSatisfy { $0.outcome == .ok })
        #expect(Set(after.map(\.share.provider)) == ["p2", "p3", "p4"])
        // Repair moved shards, not blobs: about one shard read per share written (its own
        // holder was down, so two shards each).
        #expect(repair.bytesRead <= 2 * blobs.reduce(UInt64(0)) { $0 + ($1.length + 1) / 2 })

        stores[1].wipe()
        try restore(repository, tree, into: scratch, as: "after-wipe")
        // A fresh index recovers every placement from the providers alone.
        let recovered = self.repository(stores, .erasure(data: 2, total: 3), keys: keys)
        let report = try recovered.recover()
        #expect(report.unlisted.map(\.provider) == ["p1"])
        #expect(report.blobs == blobs.count)
        try restore(recovered, tree, into: scratch, as: "recovered")
    }

    /// Copies: the first is the blob itself, the others keyed; a provider serving another's
    /// share, or an old share after a repair, is caught and the read goes elsewhere.
    @Test func copiesAreDistinctAndALyingProviderIsCaught() throws {
        var seed = SeededGenerator.fromEnvironment("copiesAreDistinctAndALyingProviderIsCaught")
        let scratch = RepositoryTests.Scratch()
        let tree = try helpers.makeTree(scratch, seed: &seed)
        let stores = fleet(3)
        let repository = repository(stores, .copies(2), keys: RepositoryKeys.generate())
        _ = try repository.store([tree], options: helpers.options())
        let blobs = try repository.index.blobs()
        #expect(stores[0].roots == Set(blobs.map(\.root)))  // the plain first copy
        #expect(stores[1].roots.isDisjoint(with: stores[0].roots) && stores[1].inner.count == blobs.count)
        #expect(stores[2].inner.count == 0)
        // p2 serves p1's bytes for every share it holds.
        let placements = blobs.compactMap(\.placement)
        for placement in placements {
            let first = try #require(placement.shares.first { $0.provider == "p1" })
            let second = try #require(placement.shares.first { $0.provider == "p2" })
            #expect(first.nonce == nil && second.nonce != nil && first.root != second.root)
            stores[1].inner.replace(second.root, with: stores[0].inner.content(first.root))
        }
        let proofs = try repository.verify(samples: 4)
        #expect(proofs.filter { $0.share.provider == "p2" }.allSatisfy { $0.outcome == .failed })
        #expect(proofs.filter { $0.share.provider == "p1" }.allSatisfy { $0.outcome == .ok })
        // Reads fall back when p1 is gone and p2 lies: here nothing is left, so the read fails
        // with an integrity error rather than returning p2's bytes.
        stores[0].down.withLock { $0 = true }
        let (_, entry) = try #require(try repository.find(tree))
        let failed = try repository.restore(entry, to: scratch.path + "/nothing", workers: 2)
        #expect(!failed.failures.isEmpty)
        #expect(failed.failures.allSatisfy { if case .integrity = $0.error { return true } else { return false } }, "\(failed.failures)")
        // Nothing unverified was written: no file of the tree holds p2's bytes.
        for (path, _) in failed.failures { #expect(!FileManager.default.fileExists(atPath: path) || path.hasSuffix("empty-file")) }
        stores[0].down.withLock { $0 = false }
        // Repair onto p3; then p3 serving the old share it replaced is caught too.
        let repair = try repository.repair(proofs: proofs)
        #expect(repair.failures.isEmpty && repair.sharesWritten == blobs.count && repair.sharesDeleted == blobs.count)
        #expect(stores[1].inner.count == 0 && stores[2].inner.count == blobs.count)
        #expect(try repository.verify(samples: 4).allSatisfy { $0.outcome == .ok })
        for blob in try repository.index.blobs() {
            let new = try #require(blob.placement?.shares.first { $0.provider == "p3" })
            stores[2].inner.replace(new.root, with: stores[0].inner.content(blob.root).map { Array($0.reversed()) })
        }
        #expect(try repository.verify(samples: 4).filter { $0.share.provider == "p3" }.allSatisfy { $0.outcome == .failed })
        stores[0].down.withLock { $0 = false }
        try restore(repository, tree, into: scratch, as: "restored")
    }

    /// Reads go to the holder that has answered fastest: a slow first provider serves the first
    /// read or so, the fast second one the rest.
    @Test func readsPreferTheFastestHolder() throws {
        var seed = SeededGenerator.fromEnvironment("readsPreferTheFastestHolder")
        let scratch = RepositoryTests.Scratch()
        let tree = try helpers.makeTree(scratch, seed: &seed)
        let journal = Locked<[String]>([])
        let slow = SlowStore(delay: 0.1, name: "slow", journal: journal), fast = SlowStore(delay: 0, name: "fast", journal: journal)
        let keys = RepositoryKeys.generate()
        let index = MemoryRepositoryIndex()
        _ = try Repository(keys: keys, providers: [.init(name: "slow", store: slow), .init(name: "fast", store: fast)],
                           redundancy: .copies(2), index: index).store([tree], options: helpers.options())
        // A new process: nothing known of either yet.
        let repository = Repository(keys: keys, providers: [.init(name: "slow", store: slow), .init(name: "fast", store: fast)],
                                    redundancy: .copies(2), index: index)
        journal.withLock { $0 = [] }
        let (_, entry) = try #require(try repository.find(tree))
        _ = try repository.restore(entry, to: scratch.path + "/restored", workers: 1)
        try helpers.expectSameTree(tree, scratch.path + "/restored")
        // Both are tried first in the order given (the slow one is first): once the slow one has
        // answered one range, every later read goes to the fast one. Slice counts alone would
        // depend on how many slices that first range took.
        let copies = journal.current
        #expect(copies.first == "slow" && servedOnce("slow", in: copies) && copies.filter { $0 == "fast" }.count >= 2, "\(copies)")

        // 2-of-3 with the first data shard's holder slow: once it is known slow, its shard is
        // rebuilt from the two fast holders (the parity holder s2 serves only for rebuilds).
        let shareJournal = Locked<[String]>([])
        let stores = (0..<3).map { SlowStore(delay: $0 == 0 ? 0.1 : 0, name: "s\($0)", journal: shareJournal) }
        let shardIndex = MemoryRepositoryIndex()
        let providers = stores.map { BlobFleet.Provider(name: $0.name, store: $0) }
        _ = try Repository(keys: keys, providers: providers, redundancy: .erasure(data: 2, total: 3), index: shardIndex)
            .store([tree], options: helpers.options())
        shareJournal.withLock { $0 = [] }
        let sharded = Repository(keys: keys, providers: providers, redundancy: .erasure(data: 2, total: 3), index: shardIndex)
        let (_, shardedEntry) = try #require(try sharded.find(tree))
        _ = try sharded.restore(shardedEntry, to: scratch.path + "/sharded", workers: 1)
        try helpers.expectSameTree(tree, scratch.path + "/sharded")
        let shares = shareJournal.current
        #expect(servedOnce("s0", in: shares) && shares.contains("s2"), "\(shares)")
    }

    /// Repair interrupted at random moments (the target failing after a random budget of writes
    /// and reads, as if the process were killed there): rerun until every share is proven; the
    /// tree restores and prune leaves nothing unnamed at the target.
    @Test func repairInterruptedAnywhereFinishesOnRerun() throws {
        var seed = SeededGenerator.fromEnvironment("repairInterruptedAnywhereFinishesOnRerun")
        let scratch = RepositoryTests.Scratch()
        let tree = try helpers.makeTree(scratch, seed: &seed)
        let memories = (0..<4).map { _ in MemoryBlobStore() }
        let budget = BudgetStore(memories[3])
        let stores: [any BlobStore] = [memories[0], memories[1], memories[2], budget]
        let keys = RepositoryKeys.generate()
        let repository = Repository(keys: keys, providers: stores.enumerated().map { BlobFleet.Provider(name: "p\($0.offset + 1)", store: $0.element) },
                                    redundancy: .erasure(data: 2, total: 3), index: MemoryRepositoryIndex())
        _ = try repository.store([tree], options: helpers.options(packSize: 256 << 10))
        for (root, _) in try memories[0].list() { memories[0].replace(root, with: nil) }
        var rounds = 0
        while true {
            budget.answers.withLock { $0 = Int.max }
            let proofs = try repository.verify(samples: 4)
            let blobCount = try repository.index.blobs().count
            if proofs.allSatisfy({ $0.outcome == .ok }) && proofs.count == 3 * blobCount { break }
            budget.answers.withLock { $0 = Int.random(in: 0...60, using: &seed) }
            _ = try repository.repair(proofs: proofs, to: "p4")
            rounds += 1
            #expect(rounds < 60)
            if rounds >= 60 { break }
        }
        budget.answers.withLock { $0 = Int.max }
        #expect(rounds > 1)
        try restore(repository, tree, into: scratch, as: "restored")
        // What interrupted runs left at p4 and nothing names is an orphan for prune.
        let named = Set(try repository.index.blobs().flatMap { $0.placement?.shares.map(\.root) ?? [] })
        _ = try repository.prune(orphanGrace: 0)
        #expect(Set(try memories[3].list().map(\.root)) == Set(named.filter { root in (try? memories[3].list())?.contains { $0.root == root } == true }))
        let blobCount = try repository.index.blobs().count
        #expect(memories[3].count == blobCount)
    }
}
