// The engine against restic, same run, same disk: store and retrieve of a tree of mixed data
// (1 GiB by default) and of 10,000 small files, and the cost of a proof of storage.
//
//   swift run -c release --package-path Benchmarks engine-compare [--size MiB] [--small N] [--dir PATH]
//
// Maimo runs a provider in this process on loopback TCP (the path a LAN or test setup takes; Tor
// adds its own cost) with `RepositoryClient` (repository v2: chunks, packs, snapshots); restic
// (Debian's package) backs up to a local repository and restores from it. Both chunk,
// deduplicate, compress (zstd) and encrypt; Maimo also Bao-encodes, verifies at the provider and pads.
import CompareSupport
import Foundation
import Maimo
import MaimoProvider
import MaimoBlake3
import MaimoRepository

let arguments = CommandLine.arguments
let totalMiB = option("--size", 1024)
let smallCount = option("--small", 10_000)
let scratch = try ScratchDirectory(name: "maimo-engine-bench")
defer { scratch.remove() }
let root = scratch.path

// MARK: Data

/// Writes `count` files totalling about `bytes` under `directory`; returns path → BLAKE3.
func makeTree(_ directory: String, files count: Int, bytes: Int, seed: UInt64) throws -> [String: Blake3.Digest] {
    var g = Generator(state: seed)
    var hashes: [String: Blake3.Digest] = [:]
    let each = max(1, bytes / count)
    for i in 0..<count {
        let folder = "\(directory)/d\(i % 16)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        // Within a file, pieces of several kinds (a quarter as much noise); sizes vary ±50%.
        let size = each / 2 + Int.random(in: 0...each, using: &g)
        var data = [UInt8]()
        data.reserveCapacity(size)
        while data.count < size {
            let kind = Int.random(in: 0..<4, using: &g)
            let count = (kind == 3 ? 1 : 4) * Int.random(in: 8_000..<208_000, using: &g) / 4
            data += piece(kind, min(count, size - data.count), &g)
        }
        let path = "\(folder)/f\(i).dat"
        try Data(data).write(to: URL(fileURLWithPath: path))
        hashes[path] = Blake3.hash(data)
    }
    return hashes
}

func check(_ hashes: [String: Blake3.Digest], under original: String, at restored: String) -> Bool {
    hashes.allSatisfy { path, digest in
        FileManager.default.contents(atPath: restored + path.dropFirst(original.count)).map { Blake3.hash(Array($0)) == digest } ?? false
    }
}

// MARK: Maimo

final class MaimoSetup {
    let store: ProviderStore
    let server: ProviderServer
    let home: MaimoHome
    let client: RepositoryClient

    init(_ directory: String) throws {
        let identity = NodeIdentity()
        store = try ProviderStore(directory: directory + "/provider")
        server = ProviderServer(store: store, identity: identity)
        let port = try server.start(host: "127.0.0.1", port: 0)
        home = try MaimoHome.create(at: directory + "/home")
        try ProviderStore.allow(client: home.identity.nodeID, quota: nil, inDirectory: store.directory)
        client = RepositoryClient(home: home)
        try client.addPeer(name: "p", nodeID: identity.nodeID, address: "127.0.0.1:\(port)")
    }

    func close() {
        client.close()
        server.stop()
        store.close()
        home.close()
    }
}

struct Row {
    var name: String
    var bytes: Int
    var maimoStore: Double, maimoRetrieve: Double
    var resticStore: Double?, resticRetrieve: Double?
    var maimoSize: UInt64, resticSize: UInt64?
}

func runMaimo(_ tree: String, _ hashes: [String: Blake3.Digest], _ name: String) throws -> (Double, Double, UInt64, MaimoSetup) {
    let setup = try MaimoSetup(root + "/maimo-\(name)")
    var options = RepositoryClient.StoreOptions()
    options.removeLocal = true
    let storeTime = try timed { _ = try setup.client.store([tree], options: options) }
    let retrieveTime = try timed {
        let report = try setup.client.retrieve(tree)
        if let failure = report.failures.first { throw failure.error }
    }
    guard check(hashes, under: tree, at: tree) else { throw MaimoError.integrity("the retrieved tree differs") }
    return (storeTime, retrieveTime, directoryBytes(setup.store.directory + "/blobs"), setup)
}

let restic = which("restic")
func runRestic(_ tree: String, _ hashes: [String: Blake3.Digest], _ name: String) throws -> (Double, Double, UInt64)? {
    guard let restic else { return nil }
    let repository = root + "/restic-\(name)", target = root + "/restic-\(name)-restore"
    let environment = ["RESTIC_PASSWORD": "benchmark", "RESTIC_CACHE_DIR": root + "/restic-cache-\(name)"]
    guard try shell(restic, ["init", "--repo", repository], environment: environment) == 0 else { return nil }
    var status: Int32 = 0
    let backup = try timed { status = try shell(restic, ["backup", "--repo", repository, tree], environment: environment) }
    guard status == 0 else { print("restic backup failed (\(status))"); return nil }
    let restore = try timed { status = try shell(restic, ["restore", "latest", "--repo", repository, "--target", target], environment: environment) }
    guard status == 0, check(hashes, under: "", at: target) else { print("restic restore failed or differs"); return nil }
    return (backup, restore, directoryBytes(repository))
}

print("Maimo engine against \(restic.map { _ in "restic" } ?? "nothing (install restic for the comparison)"), same run, scratch in \(scratch.base)")
print("MB = 10^6 bytes of plaintext per second; ratio = Maimo speed ÷ restic speed; Maimo: provider in-process on loopback TCP, 4 files at a time both ways")
print("")

var rows: [Row] = []
var keepForProofs: MaimoSetup?
for (name, files, bytes) in [("\(totalMiB) MiB mixed, 64 files", 64, totalMiB << 20), ("\(smallCount) small files", smallCount, smallCount * 2500)] {
    let tree = root + "/tree-\(rows.count)"
    let hashes = try makeTree(tree, files: files, bytes: bytes, seed: UInt64(20_261_125 + rows.count))
    let total = hashes.keys.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1))?[.size] as? Int ?? 0) }
    let resticResult = try runRestic(tree, hashes, "\(rows.count)")
    let (store, retrieve, size, setup) = try runMaimo(tree, hashes, "\(rows.count)")
    if rows.isEmpty { keepForProofs = setup } else { setup.close() }
    rows.append(Row(name: name, bytes: total, maimoStore: store, maimoRetrieve: retrieve, resticStore: resticResult?.0,
                    resticRetrieve: resticResult?.1, maimoSize: size, resticSize: resticResult?.2))
    let mb = { (t: Double) in String(format: "%7.1f MB/s", Double(total) / t / 1e6) }
    print(name + String(format: " (%.0f MB of plaintext)", Double(total) / 1e6))
    print("  store:    maimo \(mb(store))" + (resticResult.map { "   restic backup  \(mb($0.0))   ratio \(String(format: "%.2f×", $0.0 / store))" } ?? ""))
    print("  retrieve: maimo \(mb(retrieve))" + (resticResult.map { "   restic restore \(mb($0.1))   ratio \(String(format: "%.2f×", $0.1 / retrieve))" } ?? ""))
    print("  stored:   maimo \(String(format: "%.1f", Double(size) / 1e6)) MB" + (resticResult.map { String(format: "   restic repository %.1f MB", Double($0.2) / 1e6) } ?? ""))
    if files > 1000 {
        print(String(format: "  per file: maimo store %.2f ms, retrieve %.2f ms", store * 1000 / Double(files), retrieve * 1000 / Double(files))
              + (resticResult.map { String(format: "; restic %.2f / %.2f ms", $0.0 * 1000 / Double(files), $0.1 * 1000 / Double(files)) } ?? ""))
    }
    try? FileManager.default.removeItem(atPath: tree)
}

// MARK: Proofs

if let setup = keepForProofs {
    let samples = Repository.samples(confidence: 0.999999, loss: 0.01)!
    var proofs: [Repository.BlobProof] = []
    let time = try timed { proofs = try setup.client.verify(samples: samples, loss: 0.01).proofs }
    let bytes = proofs.reduce(0) { $0 + $1.bytes }
    let slices = proofs.reduce(0) { $0 + $1.samples }
    let held = proofs.reduce(UInt64(0)) { $0 + $1.blob.length }
    print("")
    print("proof of storage: \(proofs.count) blobs (\(String(format: "%.1f", Double(held) / 1e6)) MB), up to \(samples) random 4 KiB slices each (99.9999% to catch a 1% loss)")
    print(String(format: "  %.2f s in all, %.0f KB received (%.0f bytes per slice: 4096 of content + the Bao parents on its path), all %@",
                 time, Double(bytes) / 1e3, Double(bytes) / Double(max(slices, 1)),
                 proofs.allSatisfy { $0.outcome == .ok } ? "ok" : "NOT ok"))
    setup.close()
}
