import Foundation
import Testing
@testable import MaimoRepository
import MaimoBlake3
import MaimoTestSupport

@Suite struct VerifyTests {
    @Test func proofsCoverEveryBlobAndNameTheDamagedOnes() throws {
        var seed = SeededGenerator.fromEnvironment("proofsCoverEveryBlob")
        let scratch = RepositoryTests.Scratch()
        try scratch.write("t/a/one", randomBytes(300_000, using: &seed))
        try scratch.write("t/b/two", randomBytes(300_000, using: &seed))
        let memory = MemoryBlobStore()
        let store = BudgetStore(memory, writesSpend: false)
        let repository = Repository(keys: RepositoryKeys.generate(), store: store, index: MemoryRepositoryIndex())
        var options = Repository.StoreOptions()
        options.packSize = 200_000
        let report = try repository.store([scratch.path + "/t"], options: options)
        let snapshot = report.snapshot.snapshot

        // Every blob (packs, the index, the snapshot) proven whole: small blobs get every slice.
        let proofs = try repository.verify(samples: 1000)
        #expect(proofs.count == memory.count && proofs.count == report.blobsUploaded)
        #expect(proofs.allSatisfy { $0.outcome == .ok && $0.missProbability == 0 && $0.bytes > 0 })
        #expect(Set(proofs.map(\.blob.kind)) == [.pack, .index, .snapshot])
        let a = try repository.confidence(of: scratch.path + "/t/a", in: snapshot, proofs: proofs)
        #expect(a.packs >= 2 && a.failedPacks == 0 && a.missProbability == 0)

        // One byte of the pack holding /t/a/one flipped: that pack fails, /t/a says so.
        let (_, one) = try #require(try repository.find(scratch.path + "/t/a/one"))
        guard case let .file(_, chunks) = one.content else { Issue.record("not a file"); return }
        let pack = try #require(try repository.index.location(of: chunks[0])).pack
        var damaged = try #require(memory.content(pack))
        damaged[damaged.count / 3] ^= 0x10
        memory.replace(pack, with: damaged)
        let after = try repository.verify(samples: 1000)
        #expect(after.filter { $0.outcome == .failed }.map(\.blob.root) == [pack])
        #expect(try repository.confidence(of: scratch.path + "/t/a/one", in: snapshot, proofs: after).failedPacks == 1)

        // Sampled proofs: fewer slices than the blob has, the miss probability as the plan says.
        let original = try #require(try repository.index.blobs().filter { $0.root != pack && $0.kind == .pack }.max { $0.length < $1.length })
        #expect(original.length > 20 * 4096)
        let sampled = repository.prove(original, samples: 5, loss: 0.1)
        #expect(sampled.outcome == .ok && sampled.samples == 5)
        #expect(abs(sampled.missProbability - pow(0.9, 5)) < 1e-12)

        // A store that answers two slices and then drops: failed, not unreachable.
        store.answers.withLock { $0 = 2 }
        let dropped = repository.prove(original, samples: 1000)
        #expect(dropped.outcome == .failed && dropped.failures == dropped.samples - 2)
        // One that answers nothing at all is unreachable; one that lost the blob has failed.
        store.answers.withLock { $0 = 0 }
        #expect(repository.prove(original, samples: 10).outcome == .unreachable)
        store.answers.withLock { $0 = .max }
        memory.replace(original.root, with: nil)
        let gone = repository.prove(original, samples: 10)
        #expect(gone.outcome == .failed && gone.failures == gone.samples)
    }

    @Test func thePlanMatchesTheFormula() {
        #expect(Repository.samples(confidence: 0.999999, loss: 0.01) == 1375)
        #expect(Repository.samples(confidence: 0.99, loss: 0.5) == 7)
        #expect(Repository.samples(confidence: 0.5, loss: 1) == 1)
        let n = Repository.samples(confidence: 0.9999, loss: 0.001)!
        #expect(pow(0.999, Double(n)) <= 0.0001 && pow(0.999, Double(n - 1)) > 0.0001)
        #expect(Repository.samples(confidence: 0.9, loss: 0) == nil)
        #expect(Repository.samples(confidence: 1, loss: 0.01) == nil)
        #expect(Repository.sliceStarts(length: 10_000, samples: 100) == [0, 4096, 8192])
        let starts = Repository.sliceStarts(length: 1 << 30, samples: 200)
        #expect(Set(starts).count == 200 && starts.allSatisfy { $0 % 4096 == 0 && $0 < 1 << 30 })
    }
}
