import BenchReport
import CompareSupport
import Foundation
import Maimo
import MaimoProvider
import MaimoRepository

/// The engine on repository v2 against restic, the backup tool a user would otherwise pick: a
/// real tree of the system (`/usr/include`, plus the Swift runtime libraries in the full run)
/// stored, stored again unchanged, stored as an incremental revision, and restored, with a provider in this process on loopback TCP
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

        var store: [Double] = [], again: [Double] = [], incremental: [Double] = [], added: [Double] = []
        var restore: [Double] = [], size: [Double] = []
        var resticStore: [Double] = [], resticAgain: [Double] = [], resticIncremental: [Double] = [], resticAdded: [Double] = []
        var resticRestore: [Double] = [], resticSize: [Double] = []
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
            defer {
                blobs.close()
                server.stop()
                providerStore.close()
                try? FileManager.default.removeItem(atPath: base + "/provider-\(round)")
            }
            let repository = Repository(keys: keys, store: blobs, index: MemoryRepositoryIndex())
            store.append(plaintext / (try timed { _ = try repository.store([tree]) }) / 1e6)
            size.append(Double(directoryBytes(providerStore.directory)))
            again.append(try timed { _ = try repository.store([tree]) })

            // restic: a fresh local repository.
            let resticRepository = base + "/restic-\(round)", resticTarget = base + "/restic-restore"
            defer { try? FileManager.default.removeItem(atPath: resticRepository) }
            let resticWorks = try shell(restic, ["init", "--repo", resticRepository], environment: environment) == 0
            if resticWorks {
                resticStore.append(plaintext / (try timed { _ = try shell(restic, ["backup", "--repo", resticRepository, tree], environment: environment) }) / 1e6)
                resticSize.append(Double(directoryBytes(resticRepository)))
                resticAgain.append(try timed { _ = try shell(restic, ["backup", "--repo", resticRepository, tree], environment: environment) })
            }

            // An incremental revision: 1% of the files with a line appended, 4 KiB changed in
            // the middle of the largest; the time and the bytes it adds, both tools.
            try modify(tree)
            let before = Double(directoryBytes(providerStore.directory))
            incremental.append(try timed { _ = try repository.store([tree]) })
            added.append(Double(directoryBytes(providerStore.directory)) - before)
            if resticWorks {
                let resticBefore = Double(directoryBytes(resticRepository))
                resticIncremental.append(try timed { _ = try shell(restic, ["backup", "--repo", resticRepository, tree], environment: environment) })
                resticAdded.append(Double(directoryBytes(resticRepository)) - resticBefore)
            }

            guard let (_, entry) = try repository.find(tree) else { throw RepositoryError.usage("the tree is not in the repository") }
            let target = base + "/maimo-restore"
            restore.append(plaintext / (try timed { _ = try repository.restore(entry, to: target, workers: 4) }) / 1e6)
            try? FileManager.default.removeItem(atPath: target)
            if resticWorks {
                resticRestore.append(plaintext / (try timed {
                    _ = try shell(restic, ["restore", "latest", "--repo", resticRepository, "--target", resticTarget], environment: environment)
                }) / 1e6)
                try? FileManager.default.removeItem(atPath: resticTarget)
            }
        }
        func sample(_ values: [Double]) -> Sample? { values.isEmpty ? nil : Sample(values) }
        let figures = [
            Figure(module: "Maimo", name: "store a tree", unit: "MB/s", ours: Sample(store), reference: "\(version) backup",
                   theirs: sample(resticStore), note: note),
            Figure(module: "Maimo", name: "store it again unchanged", unit: "s", higherIsBetter: false, ours: Sample(again),
                   reference: "\(version) backup", theirs: sample(resticAgain)),
            Figure(module: "Maimo", name: "store an incremental revision", unit: "s", higherIsBetter: false, ours: Sample(incremental),
                   reference: "\(version) backup", theirs: sample(resticIncremental), note: "1% of the files appended to, 4 KiB changed in the largest"),
            Figure(module: "Maimo", name: "bytes an incremental revision adds", unit: "bytes", higherIsBetter: false, ours: Sample(added),
                   reference: "\(version) repository", theirs: sample(resticAdded)),
            Figure(module: "Maimo", name: "restore the tree", unit: "MB/s", ours: Sample(restore), reference: "\(version) restore",
                   theirs: sample(resticRestore)),
            Figure(module: "Maimo", name: "bytes at the provider", unit: "bytes", higherIsBetter: false, ours: Sample(size),
                   reference: "\(version) repository", theirs: sample(resticSize)),
        ]
        figures.forEach(report)
        return figures
    }

    /// Appends a line to every hundredth regular file of `path` and changes 4 KiB in the middle of
    /// the largest.
    static func modify(_ path: String) throws {
        var files: [(String, UInt64)] = []
        let manager = FileManager.default
        for relative in try manager.subpathsOfDirectory(atPath: path).sorted() {
            let full = path + "/" + relative
            if let attributes = try? manager.attributesOfItem(atPath: full), attributes[.type] as? FileAttributeType == .typeRegular {
                files.append((full, (attributes[.size] as? NSNumber)?.uint64Value ?? 0))
            }
        }
        for (i, file) in files.enumerated() where i % 100 == 0 {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file.0))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("// changed by the benchmark\n".utf8))
            try handle.close()
        }
        if let largest = files.max(by: { $0.1 < $1.1 }) {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: largest.0))
            try handle.seek(toOffset: largest.1 / 2)
            try handle.write(contentsOf: Data([UInt8](repeating: 0xA5, count: 4096)))
            try handle.close()
        }
    }
}
