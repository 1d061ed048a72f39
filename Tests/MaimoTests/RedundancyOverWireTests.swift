import Foundation
import Maimo
import MaimoBlake3
import MaimoRepository
import MaimoTestSupport
import Testing

/// The redundancy issue's scenario over loopback, through the engine's client: four providers,
/// 2-of-3; one stopped, then repaired onto the fourth; a second wiped (Docs/Repository.md §12).
@Suite("redundancy across providers over loopback")
struct RedundancyOverWireTests {
    @Test func twoOfThreeOnFourProvidersSurvivesAStopAndAWipe() throws {
        var seed = SeededGenerator.fromEnvironment("twoOfThreeOnFourProvidersSurvivesAStopAndAWipe")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-redundancy-\(UUID().uuidString)").path
        let home = try MaimoHome.create(at: root + "/home")
        let client = RepositoryClient(home: home)
        var providers: [TestProvider] = []
        defer {
            client.close()
            for provider in providers { provider.shutdown() }
            home.close()
            try? FileManager.default.removeItem(atPath: root)
        }
        for i in 1...4 {
            let provider = try TestProvider(directory: root + "/p\(i)")
            try provider.allow(home.identity)
            try client.addPeer(name: "p\(i)", nodeID: provider.identity.nodeID, address: provider.address.description)
            providers.append(provider)
        }
        #expect(throws: MaimoError.self) { try client.setRedundancy(try Redundancy(parsing: "2-of-5")) }
        try client.setRedundancy(try Redundancy(parsing: "2-of-3"))
        let tree = root + "/tree"
        var files: [String: [UInt8]] = [:]
        for (i, size) in [0, 1, 70_000, 1_500_000, 3_000_001].enumerated() {
            files["f\(i)"] = randomBytes(size, using: &seed)
        }
        try FileManager.default.createDirectory(atPath: tree + "/sub", withIntermediateDirectories: true)
        for (name, bytes) in files { _ = FileManager.default.createFile(atPath: tree + "/sub/" + name, contents: Data(bytes)) }
        var options = RepositoryClient.StoreOptions()
        options.packSize = 1 << 20
        let stored = try client.store([tree], options: options)
        #expect(stored.redundancy == .erasure(data: 2, total: 3))

        func expectRetrieved(_ name: String) throws {
            let report = try client.retrieve(tree, to: root + "/" + name)
            #expect(report.failures.isEmpty, "\(report.failures)")
            for (file, bytes) in files {
                #expect(FileManager.default.contents(atPath: root + "/\(name)/sub/\(file)") == Data(bytes), "\(name)/\(file)")
            }
        }

        // One provider stopped: verify names it (exit 2's case), retrieve still works.
        providers[0].shutdown()
        let (_, proofs) = try client.verify(samples: 8, loss: 0.01)
        let blobs = try client.index.blobs().count
        #expect(proofs.count == 3 * blobs)
        #expect(proofs.filter { $0.share.provider == "p1" }.allSatisfy { $0.outcome == .unreachable }, "\(proofs.filter { $0.share.provider == "p1" }.map { "\($0.outcome) \($0.detail ?? "")" })")
        #expect(proofs.filter { $0.share.provider != "p1" }.allSatisfy { $0.outcome == .ok })
        let confidence = try #require(try client.confidence(of: tree, proofs: proofs))
        #expect(confidence.spare == 0 && confidence.degradedPacks > 0)
        try expectRetrieved("degraded")
        // No root is shared between providers.
        var seen = Set<Blake3.Digest>()
        for proof in proofs { #expect(seen.insert(proof.share.root).inserted) }

        // Repair onto the fourth; every share proven again.
        let repair = try client.repair(to: "p4", samples: 8, loss: 0.01)
        #expect(repair.report.failures.isEmpty, "\(repair.report.failures)")
        #expect(repair.report.sharesWritten == blobs)
        let (_, after) = try client.verify(samples: 8, loss: 0.01)
        #expect(after.count == 3 * blobs && after.allSatisfy { $0.outcome == .ok })
        #expect(Set(after.map(\.share.provider)) == ["p2", "p3", "p4"])
        let summaries = try client.providerSummaries(reach: false)
        #expect(summaries.first { $0.peer.name == "p4" }?.shares == blobs)
        #expect(summaries.first { $0.peer.name == "p4" }?.ok == blobs)

        // A second provider wiped: still everything comes back.
        let session = try providers[1].connect(home.identity)
        for (blob, _) in try session.list() { _ = try session.delete(root: blob) }
        session.close()
        try expectRetrieved("after-wipe")
    }
}
