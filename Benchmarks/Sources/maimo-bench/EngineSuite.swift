import BenchReport
import CompareSupport
import Foundation
import Maimo
import MaimoProvider
import MaimoRepository

/// The engine on repository v2 against restic, the backup tool a user would otherwise pick: a
/// real tree of the system (`/usr/include`, plus the Swift runtime libraries in the full run)
/// stored, stored again unchanged, and restored, with a provider in this process on loopback TCP
/// and restic backing up to a local repository, on tmpfs (`/dev/shm`) so that the software and
/// not the disk is measured. Each repetition starts both from empty repositories.
enum EngineSuite: Suite {
    static let name = "engine"
    static let summary = "Maimo's store, re-store and restore against restic on a system tree"

    static func run(_ bench: Bench) throws -> [Figure] {
        guard let restic = which("restic") else {
            print("  restic not found (apt-get install restic): no engine comparison")
            return []
        }
        var sources = ["/usr/include"]
        if !bench.quick {
            let libraries = URL(fileURLWithPath: which("swift") ?? "/usr/bin/swift").resolvingSymlinksInPath()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lib/swift/linux").path
            if FileManager.default.fileExists(atPath: libraries) { sources.append(libraries) }
        }
        let base = FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm/maimo-bench-engine-\(getpid())" : bench.directory + "/engine"
        defer { try? FileManager.default.removeItem(atPath: base) }
        let tree = base + "/tree"
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        for source in sources { _ = try shell("/bin/cp", ["-a", source, tree + "/"]) }
        let plaintext = Double(directoryBytes(tree))
        let version = bench.version("restic", ["version"]).split(separator: " ").prefix(2).joined(separator: " ")
        let environment = ["RESTIC_PASSWORD": "benchmark", "RESTIC_CACHE_DIR": base + "/restic-cache"]
        let note = "\(sources.joined(separator: " + ")), \(String(format: "%.0f", plaintext / 1e6)) MB, tmpfs"

        var store: [Double] = [], again: [Double] = [], restore: [Double] = [], size: [Double] = []
        var resticStore: [Double] = [], resticAgain: [Double] = [], resticRestore: [Double] = [], resticSize: [Double] = []
        for round in 0..<max(2, bench.repetitions - 1) {
            // Maimo: a provider on loopback, a fresh repository.
            let providerStore = try ProviderStore(directory: base + "/provider-\(round)")
            let identity = NodeIdentity()
            let server = ProviderServer(store: providerStore, identity: identity)
            let port = try server.start(host: "127.0.0.1", port: 0)
            let keys = RepositoryKeys.generate()
            let client = NodeIdentity(repositoryKeys: keys)
            try ProviderStore.allow(client: client.nodeID, quota: nil, inDirectory: providerStore.directory)
            let blobs = ProviderBlobStore(address: PeerAddress(host: "127.0.0.1", port: port), provider: identity.nodeID, identity: client)
            let repository = Repository(keys: keys, store: blobs, index: MemoryRepositoryIndex())
            store.append(plaintext / (try timed { _ = try repository.store([tree]) }) / 1e6)
            size.append(Double(directoryBytes(providerStore.directory)))
            again.append(try timed { _ = try repository.store([tree]) })
            guard let (_, entry) = try repository.find(tree) else { throw RepositoryError.usage("the tree is not in the repository") }
            let target = base + "/maimo-restore"
            restore.append(plaintext / (try timed { _ = try repository.restore(entry, to: target, workers: 4) }) / 1e6)
            try? FileManager.default.removeItem(atPath: target)
            blobs.close()
            server.stop()
            providerStore.close()
            try? FileManager.default.removeItem(atPath: base + "/provider-\(round)")

            // restic: a fresh local repository.
            let resticRepository = base + "/restic-\(round)", resticTarget = base + "/restic-restore"
            guard try shell(restic, ["init", "--repo", resticRepository], environment: environment) == 0 else { continue }
            resticStore.append(plaintext / (try timed { _ = try shell(restic, ["backup", "--repo", resticRepository, tree], environment: environment) }) / 1e6)
            resticSize.append(Double(directoryBytes(resticRepository)))
            resticAgain.append(try timed { _ = try shell(restic, ["backup", "--repo", resticRepository, tree], environment: environment) })
            resticRestore.append(plaintext / (try timed {
                _ = try shell(restic, ["restore", "latest", "--repo", resticRepository, "--target", resticTarget], environment: environment)
            }) / 1e6)
            try? FileManager.default.removeItem(atPath: resticTarget)
            try? FileManager.default.removeItem(atPath: resticRepository)
        }
        func sample(_ values: [Double]) -> Sample? { values.isEmpty ? nil : Sample(values) }
        let figures = [
            Figure(module: "Maimo", name: "store a tree", unit: "MB/s", ours: Sample(store), reference: "\(version) backup",
                   theirs: sample(resticStore), note: note),
            Figure(module: "Maimo", name: "store it again unchanged", unit: "s", higherIsBetter: false, ours: Sample(again),
                   reference: "\(version) backup", theirs: sample(resticAgain)),
            Figure(module: "Maimo", name: "restore the tree", unit: "MB/s", ours: Sample(restore), reference: "\(version) restore",
                   theirs: sample(resticRestore)),
            Figure(module: "Maimo", name: "bytes at the provider", unit: "bytes", higherIsBetter: false, ours: Sample(size),
                   reference: "\(version) repository", theirs: sample(resticSize)),
        ]
        figures.forEach(report)
        return figures
    }
}
