import BenchReport
import CompareSupport
import Foundation
import Maimo
import MaimoProvider
import MaimoRepository

/// Redundancy across providers (Docs/Repository.md §12): a tree of incompressible files stored
/// and retrieved with 2-of-3 and 4-of-6 over loopback providers in this process (on tmpfs),
/// against one plain copy through the same engine; the bytes at each provider against the input;
/// the repair of one lost provider (bytes read against the bytes it held, ≈ K× for shards); and
/// the proof cost per provider per GiB it holds at 99.9999% confidence for a 1% loss. No backup
/// tool a user would otherwise pick places erasure-coded shares, so the reference is one copy.
enum RedundancySuite: Suite {
    static let name = "redundancy"
    static let summary = "Store, retrieve, repair and proofs with 2-of-3 and 4-of-6 over loopback providers"

    /// One provider in this process.
    struct Served {
        let store: ProviderStore
        let server: ProviderServer
        let blobs: ProviderBlobStore
        func stop() {
            blobs.close()
            server.stop()
            store.close()
        }
    }

    static func run(_ bench: Bench) throws -> [Figure] {
        let total = bench.quick ? 96 << 20 : 1 << 30
        let base = FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm/maimo-bench-redundancy-\(getpid())" : bench.directory + "/redundancy"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let tree = base + "/tree"
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        for i in 0..<16 {
            let bytes = (0..<(total / 16 / 8)).map { _ in generator.next() as UInt64 }
            try bytes.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: tree + "/file-\(i)")) }
        }
        let input = Double(total)
        let note = "\(total >> 20) MiB of random files, providers in this process on loopback, tmpfs"
        var figures: [Figure] = []
        var single: (store: [Double], restore: [Double]) = ([], [])
        for redundancy in [Redundancy.single, .erasure(data: 2, total: 3), .erasure(data: 4, total: 6)] {
            var store: [Double] = [], restore: [Double] = [], overhead: [Double] = [], perProvider: [Double] = []
            var repairRatio: [Double] = [], proofBytes: [Double] = [], proofSeconds: [Double] = []
            for round in 0..<max(1, bench.repetitions - 2) {
                // N providers and a spare for the repair.
                let keys = RepositoryKeys.generate()
                let client = NodeIdentity(repositoryKeys: keys)
                var served: [Served] = []
                defer { for s in served { s.stop() }; try? FileManager.default.removeItem(atPath: base + "/providers") }
                for i in 0...redundancy.shareCount {
                    let providerStore = try ProviderStore(directory: base + "/providers/\(round)-\(i)")
                    let identity = NodeIdentity()
                    let server = ProviderServer(store: providerStore, identity: identity)
                    let port = try server.start(host: "127.0.0.1", port: 0)
                    try ProviderStore.allow(client: client.nodeID, quota: nil, inDirectory: providerStore.directory)
                    served.append(Served(store: providerStore, server: server,
                                         blobs: ProviderBlobStore(address: PeerAddress(host: "127.0.0.1", port: port), provider: identity.nodeID, identity: client)))
                }
                let providers = served.enumerated().map { BlobFleet.Provider(name: "p\($0.offset)", store: $0.element.blobs) }
                let repository = Repository(keys: keys, providers: providers, redundancy: redundancy, index: MemoryRepositoryIndex())
                var options = Repository.StoreOptions()
                options.uploads = 2
                store.append(input / (try timed { _ = try repository.store([tree], options: options) }) / 1e6)
                let blobs = try repository.index.blobs()
                var held: [String: UInt64] = [:]
                for blob in blobs {
                    for share in blob.placement?.shares ?? [] { held[share.provider, default: 0] += share.length }
                }
                let blobBytes = Double(blobs.reduce(UInt64(0)) { $0 + $1.length })
                overhead.append(Double(held.values.reduce(0, +)) / blobBytes)
                perProvider.append(Double(held.values.max() ?? 0) / input)
                guard let (_, entry) = try repository.find(tree) else { throw RepositoryError.usage("the tree is not in the repository") }
                let target = base + "/restore"
                restore.append(input / (try timed { _ = try repository.restore(entry, to: target, workers: 4) }) / 1e6)
                try? FileManager.default.removeItem(atPath: target)
                // Proofs: per provider, the bytes and time of 1375 slices a share per GiB held.
                let samples = Repository.samples(confidence: 0.999999, loss: 0.01) ?? 1375
                var proofs: [Repository.BlobProof] = []
                let seconds = try timed { proofs = try repository.verify(samples: samples, loss: 0.01, workers: 4) }
                let gib = Double(held["p0"] ?? 1) / Double(1 << 30)
                proofBytes.append(Double(proofs.filter { $0.share.provider == "p0" }.reduce(0) { $0 + $1.bytes }) / gib)
                proofSeconds.append(seconds / Double(redundancy.shareCount) / gib)
                // Repair: p0 loses everything; rebuilt onto the spare.
                guard redundancy.shareCount > 1 else { continue }
                for (root, _) in try served[0].blobs.list() { try served[0].blobs.delete(root: root) }
                let lost = try repository.verify(samples: 4)
                let report = try repository.repair(proofs: lost, to: "p\(redundancy.shareCount)")
                guard report.failures.isEmpty else { throw report.failures[0].error }
                repairRatio.append(Double(report.bytesRead) / Double(held["p0"] ?? 1))
            }
            let label = redundancy == .single ? "one copy" : "\(redundancy)"
            if redundancy == .single {
                single = (store, restore)
                continue
            }
            figures += [
                Figure(module: "Maimo", name: "store with \(label)", unit: "MB/s", ours: Sample(store), reference: "one copy, same engine",
                       theirs: Sample(single.store), note: note),
                Figure(module: "Maimo", name: "retrieve with \(label)", unit: "MB/s", ours: Sample(restore), reference: "one copy, same engine",
                       theirs: Sample(single.restore)),
                Figure(module: "Maimo", name: "\(label): bytes at the providers per byte of blobs", unit: "ratio", higherIsBetter: false,
                       ours: Sample(overhead), reference: "N/K", theirs: Sample([redundancy.overhead])),
                Figure(module: "Maimo", name: "\(label): bytes at one provider per byte stored", unit: "ratio", higherIsBetter: false,
                       ours: Sample(perProvider), note: "padding and headers included"),
                Figure(module: "Maimo", name: "\(label): repair, bytes read per byte the lost provider held", unit: "ratio", higherIsBetter: false,
                       ours: Sample(repairRatio), reference: "K (the classical cost)", theirs: Sample([Double(redundancy.needed)])),
                Figure(module: "Maimo", name: "\(label): proof bytes per provider per GiB held (99.9999% for 1% loss)", unit: "bytes",
                       higherIsBetter: false, ours: Sample(proofBytes)),
                Figure(module: "Maimo", name: "\(label): proof seconds per provider per GiB held", unit: "s", higherIsBetter: false,
                       ours: Sample(proofSeconds)),
            ]
        }
        figures.forEach(report)
        return figures
    }
}
