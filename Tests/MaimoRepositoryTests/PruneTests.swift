import Foundation
import Testing
@testable import MaimoRepository
import MaimoBlake3
import MaimoCipher
import MaimoTestSupport

@Suite struct PruneTests {
    /// The policy as its definition reads, written the other way round: per rule, the distinct
    /// buckets newest first, the first N of them, the newest snapshot of each.
    static func model(_ times: [UInt64], _ policy: ForgetPolicy) -> Set<UInt64> {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let newest = times.sorted(by: >)
        func keep(_ count: Int, _ bucket: (Date) -> String) -> [UInt64] {
            var seen: [String] = [], kept: [UInt64] = []
            for time in newest {
                let name = bucket(Date(timeIntervalSince1970: Double(time) / 1000))
                if !seen.contains(name) { seen.append(name); kept.append(time) }
            }
            return Array(kept.prefix(count))
        }
        var result = Set(newest.prefix(policy.last))
        result.formUnion(keep(policy.daily) { "\(calendar.dateComponents([.year, .month, .day], from: $0))" })
        result.formUnion(keep(policy.weekly) { "\(calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: $0))" })
        result.formUnion(keep(policy.monthly) { "\(calendar.dateComponents([.year, .month], from: $0))" })
        return result
    }

    @Test func forgetPoliciesAgainstTheModel() throws {
        var generator = SeededGenerator.fromEnvironment("forgetPoliciesAgainstTheModel")
        let root = try Blake3.Digest(bytes: [UInt8](repeating: 0, count: 32))
        for round in 0..<200 {
            // Up to 60 snapshots over about a year, often several a day.
            let start: UInt64 = 1_700_000_000_000
            let times = Set((0..<Int.random(in: 1...60, using: &generator)).map { _ in
                start + UInt64.random(in: 0...(400 * 86_400_000), using: &generator)
            })
            let records = times.map { time in
                SnapshotRecord(blob: Blake3.hash(withUnsafeBytes(of: time) { Array($0) }), blobLength: 1,
                               snapshot: Snapshot(time: time, root: ItemID(root), chunker: .version2, files: 0, directories: 0, symlinks: 0,
                                                  bytes: 0, host: "h", paths: ["/p"]))
            }
            let policy = ForgetPolicy(last: Int.random(in: 0...3, using: &generator), daily: Int.random(in: 0...7, using: &generator),
                                      weekly: Int.random(in: 0...5, using: &generator), monthly: Int.random(in: 0...12, using: &generator))
            guard policy.keepsSomething else { continue }
            let (keep, forget) = try policy.apply(to: records)
            #expect(Set(keep.map(\.snapshot.time)) == Self.model(Array(times), policy), "round \(round), \(policy)")
            #expect(keep.count + forget.count == records.count)
        }
        #expect(throws: RepositoryError.self) { _ = try ForgetPolicy().apply(to: []) }
    }

    /// Blobs at the store the index does not know: this repository's are deleted once older than
    /// the grace period and kept before; a blob that does not open under its keys is never
    /// deleted; what the index knows stays and restores.
    @Test func pruneCollectsOrphansOnlyWhenOursAndOldEnough() throws {
        var seed = SeededGenerator.fromEnvironment("pruneCollectsOrphans")
        let scratch = RepositoryTests.Scratch()
        try scratch.write("t/a", randomBytes(300_000, using: &seed))
        let memory = MemoryBlobStore()
        let keys = RepositoryKeys.generate()
        let repository = Repository(keys: keys, store: memory, index: MemoryRepositoryIndex())
        _ = try repository.store([scratch.path + "/t"])
        let known = memory.count
        // The same repository's blobs that this index never heard of (as after a run killed
        // between an upload and its index entry), and one blob that is not ours at all.
        try scratch.write("u/b", randomBytes(200_000, using: &seed))
        let elsewhere = Repository(keys: keys, store: memory, index: MemoryRepositoryIndex())
        _ = try elsewhere.store([scratch.path + "/u"])
        let orphans = memory.count - known
        let foreign = randomBytes(5000, using: &seed)
        try memory.put(root: Blake3.hash(foreign), content: foreign)
        #expect(orphans >= 2)

        let young = try repository.prune()
        #expect(young.orphansDeleted == 0 && young.orphansKept == orphans && young.foreignBlobs == 1)
        #expect(memory.count == known + orphans + 1)

        let old = try repository.prune(orphanGrace: 0)
        #expect(old.orphansDeleted == orphans && old.foreignBlobs == 1, "\(old)")
        #expect(memory.count == known + 1, "only what the index knows and the foreign blob stay")
        #expect(memory.content(Blake3.hash(foreign)) == foreign)
        guard let (_, entry) = try repository.find(scratch.path + "/t") else { Issue.record("the tree is gone"); return }
        let target = scratch.path + "/restored"
        _ = try repository.restore(entry, to: target)
        #expect(FileManager.default.contents(atPath: target + "/a") == FileManager.default.contents(atPath: scratch.path + "/t/a"))
    }

    @Test func forgetAndPruneFreeSpaceAndKeepEveryKeptSnapshot() throws {
        var seed = SeededGenerator.fromEnvironment("forgetAndPrune")
        let scratch = RepositoryTests.Scratch()
        try scratch.write("t/keep", randomBytes(400_000, using: &seed))
        try scratch.write("t/goes", randomBytes(600_000, using: &seed))
        let memory = MemoryBlobStore()
        let store = BudgetStore(memory)
        // The secret comes from the seeded generator too: it keys the chunker, so the chunks, the
        // packs and the number of operations a prune needs replay with the seed.
        let keys = RepositoryKeys(secret: try CipherKey(bytes: randomBytes(32, using: &seed)))
        var repository = Repository(keys: keys, store: store, index: MemoryRepositoryIndex())
        var options = Repository.StoreOptions()
        options.packSize = 128 << 10
        let first = try repository.store([scratch.path + "/t"], options: options)
        try FileManager.default.removeItem(atPath: scratch.path + "/t/goes")
        try scratch.write("t/new", randomBytes(200_000, using: &seed))
        _ = try repository.store([scratch.path + "/t"], options: options)
        let heldBefore = memory.bytesHeld

        // Forget the first snapshot, then prune with every possible interruption: after each,
        // a client recovering from the store alone restores the kept snapshot, and the next
        // prune finishes.
        #expect(try repository.forget([first.snapshot]) == 1)
        let kept = try #require(try repository.snapshots().last)
        var interruptions = 0
        var budget = 0
        while true {
            store.answers.withLock { $0 = budget }
            do {
                _ = try repository.prune(maximumUnused: 0.1, packSize: 128 << 10, pad: false)
                break
            } catch {
                interruptions += 1
            }
            store.answers.withLock { $0 = .max }
            // The local index may be ahead of or behind the store: rebuild it from the blobs.
            repository = Repository(keys: keys, store: store, index: MemoryRepositoryIndex())
            let recovery = try repository.recover()
            #expect(recovery.unreadable.isEmpty, "after \(budget) operations")
            let (_, entry) = try #require(try repository.find(scratch.path + "/t"), "after \(budget) operations")
            let target = scratch.path + "/out-\(budget)"
            let restored = try repository.restore(entry, to: target)
            #expect(restored.failures.isEmpty && restored.files == 2, "after \(budget) operations")
            #expect(FileManager.default.contents(atPath: target + "/keep") == FileManager.default.contents(atPath: scratch.path + "/t/keep"))
            try? FileManager.default.removeItem(atPath: target)
            budget += 1
        }
        store.answers.withLock { $0 = .max }
        // Deleting the forgotten file's packs (one or two chunks of 600 KB), writing the new index
        // and deleting the old: at least three operations, each of which was interrupted once.
        #expect(interruptions >= 3, "a prune of \(interruptions) operations")
        // Done: only what the kept snapshot needs is left, it restores, and a second prune has nothing to do.
        #expect(memory.bytesHeld < heldBefore - 400_000, "held \(memory.bytesHeld) of \(heldBefore)")
        let (_, entry) = try #require(try repository.find(scratch.path + "/t"))
        #expect(try repository.restore(entry, to: scratch.path + "/final").files == 2)
        #expect(FileManager.default.contents(atPath: scratch.path + "/final/new") == FileManager.default.contents(atPath: scratch.path + "/t/new"))
        let again = try repository.prune(maximumUnused: 0.1, packSize: 128 << 10, pad: false)
        #expect(again.packsDeleted == 0 && again.packsRepacked == 0)
        #expect(try repository.snapshots().map(\.blob) == [kept.blob])
    }
}
