// Repository v2 against restic on a real tree of the system, same run, same disk: store, an
// unchanged re-store, an incremental store (1% of the files with a line appended and 4 KiB
// changed in the middle of the largest), and a restore; bytes at the provider against restic's
// repository.
//
//   swift run -c release --package-path Benchmarks repository-compare [--tree PATH ...]
//
// The tree defaults to /usr/include plus the Swift runtime libraries (usr/lib/swift/linux of the
// toolchain), copied with `cp -a` into a scratch directory first. Maimo runs a provider in this
// process on loopback TCP; restic (Debian's package) backs up to a local repository.
import CompareSupport
import Foundation
import Maimo
import MaimoProvider
import MaimoBlake3
import MaimoRepository

let arguments = CommandLine.arguments
var sources = arguments.indices.filter { arguments[$0] == "--tree" }.map { arguments[$0 + 1] }
if sources.isEmpty {
    sources = ["/usr/include"]
    let swiftLibraries = URL(fileURLWithPath: which("swift") ?? "/usr/bin/swift").resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("lib/swift/linux").path
    if FileManager.default.fileExists(atPath: swiftLibraries) { sources.append(swiftLibraries) }
}
// `--chunker-average BYTES` tries other chunker parameters (minimum a quarter, maximum four times).
var storeOptions = Repository.StoreOptions()
if let i = arguments.firstIndex(of: "--chunker-average"), i + 1 < arguments.count, let average = Int(arguments[i + 1]) {
    storeOptions.chunker = Chunker.Parameters(minimum: average / 4, average: average, maximum: average * 4)
}
let scratch = try ScratchDirectory(name: "maimo-repository-bench")
defer { scratch.remove() }
let root = scratch.path
let tree = root + "/tree"
try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
for source in sources { _ = try shell("/bin/cp", ["-a", source, tree + "/"]) }

/// Every regular file and symlink under `path`: relative path → BLAKE3 of the contents or the target.
func fingerprint(_ path: String) -> [String: Blake3.Digest] {
    var result: [String: Blake3.Digest] = [:]
    let manager = FileManager.default
    for relative in (try? manager.subpathsOfDirectory(atPath: path)) ?? [] {
        let full = path + "/" + relative
        if let target = try? manager.destinationOfSymbolicLink(atPath: full) {
            result[relative] = Blake3.hash(Array(("link:" + target).utf8))
        } else if let data = manager.contents(atPath: full) {
            result[relative] = Blake3.hash(Array(data))
        } else {
            result[relative] = Blake3.hash(Array("dir".utf8))
        }
    }
    return result
}

/// Appends a line to every hundredth file and changes 4 KiB in the middle of the largest.
func modify(_ path: String) throws {
    var files: [(String, UInt64)] = []
    let manager = FileManager.default
    for relative in try manager.subpathsOfDirectory(atPath: path).sorted() {
        let full = path + "/" + relative
        if let attributes = try? manager.attributesOfItem(atPath: full), attributes[.type] as? FileAttributeType == .typeRegular {
            files.append((full, attributes[.size] as? UInt64 ?? 0))
        }
    }
    for (i, file) in files.enumerated() where i % 100 == 0 {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file.0))
        handle.seekToEndOfFile()
        handle.write(Data("// changed by the benchmark\n".utf8))
        try handle.close()
    }
    if let largest = files.max(by: { $0.1 < $1.1 }) {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: largest.0))
        handle.seek(toFileOffset: largest.1 / 2)
        handle.write(Data([UInt8](repeating: 0xA5, count: 4096)))
        try handle.close()
    }
}

let fileCount = (try FileManager.default.subpathsOfDirectory(atPath: tree)).count
let plaintext = directoryBytes(tree)
print("Repository v2 against \(which("restic") != nil ? "restic" : "nothing (install restic)"), same run: \(sources.joined(separator: " + "))")
print(String(format: "%d entries, %.1f MB of file contents; MB/s of plaintext; ratio = Maimo speed ÷ restic speed (or bytes ÷ restic's)", fileCount, Double(plaintext) / 1e6))

// MARK: restic

struct Figures { var store = 0.0, again = 0.0, incremental = 0.0, restore = 0.0; var size: UInt64 = 0, added: UInt64 = 0 }
var resticFigures: Figures?
let original = fingerprint(tree)
if let restic = which("restic") {
    let repository = root + "/restic", target = root + "/restic-restore"
    let environment = ["RESTIC_PASSWORD": "benchmark", "RESTIC_CACHE_DIR": root + "/restic-cache"]
    if try shell(restic, ["init", "--repo", repository], environment: environment) == 0 {
        var f = Figures()
        f.store = try timed { try shell(restic, ["backup", "--repo", repository, tree], environment: environment) }
        f.size = directoryBytes(repository)
        f.again = try timed { try shell(restic, ["backup", "--repo", repository, tree], environment: environment) }
        resticFigures = f
    }
}

// MARK: Maimo

let provider = try ProviderStore(directory: root + "/provider")
let identity = NodeIdentity()
let server = ProviderServer(store: provider, identity: identity)
let port = try server.start(host: "127.0.0.1", port: 0)
let keys = RepositoryKeys.generate()
let client = NodeIdentity(repositoryKeys: keys)
try ProviderStore.allow(client: client.nodeID, quota: nil, inDirectory: provider.directory)
let blobs = ProviderBlobStore(address: PeerAddress(host: "127.0.0.1", port: port), provider: identity.nodeID, identity: client)
let repository = Repository(keys: keys, store: blobs, index: MemoryRepositoryIndex())
var m = Figures()
var report: Repository.StoreReport?
m.store = try timed { report = try repository.store([tree], options: storeOptions) }
m.size = directoryBytes(provider.directory)
m.again = try timed { _ = try repository.store([tree], options: storeOptions) }
let target = root + "/maimo-restore"
guard let (_, entry) = try repository.find(tree) else { throw RepositoryError.usage("the tree is not in the repository") }
var restored: Repository.RestoreReport?
var same = true
// Restores are file-system bound and ext4 slows down as deleted inodes pile up: restic and Maimo
// alternate, three rounds each, the best of each counted, each starting after a sync (so that
// neither pays for writing back what the other wrote or deleted).
m.restore = .infinity
for _ in 0..<3 {
    if var f = resticFigures, let restic = which("restic") {
        let environment = ["RESTIC_PASSWORD": "benchmark", "RESTIC_CACHE_DIR": root + "/restic-cache"]
        let resticTarget = root + "/restic-restore"
        _ = try shell("/bin/sync", [])
        let time = try timed { try shell(restic, ["restore", "latest", "--repo", root + "/restic", "--target", resticTarget], environment: environment) }
        if fingerprint(resticTarget + tree) != original { print("restic's restore differs from the tree") }
        try? FileManager.default.removeItem(atPath: resticTarget)
        f.restore = f.restore == 0 ? time : min(f.restore, time)
        resticFigures = f
    }
    _ = try shell("/bin/sync", [])
    m.restore = min(m.restore, try timed { restored = try repository.restore(entry, to: target, workers: 4) })
    same = same && fingerprint(target) == original
    try? FileManager.default.removeItem(atPath: target)
}

// The same restore from blobs in memory: what the file system costs without the wire.
let memory = Repository(keys: keys, store: MemoryBlobStore(), index: MemoryRepositoryIndex())
_ = try memory.store([tree], options: storeOptions)
guard let (_, memoryEntry) = try memory.find(tree) else { throw RepositoryError.usage("the tree is not in memory") }
let memoryRestore = try timed { _ = try memory.restore(memoryEntry, to: target, workers: 4) }
try? FileManager.default.removeItem(atPath: target)
// And once more over the wire with `--sync` (flushed to disk before it returns; restic does not).
_ = try shell("/bin/sync", [])
let durable = try repository.restore(entry, to: target, workers: 4, sync: true)
try? FileManager.default.removeItem(atPath: target)

// MARK: Incremental, both

try modify(tree)
let before = directoryBytes(provider.directory)
var incrementalReport: Repository.StoreReport?
let blobsBefore = Set(try repository.index.blobs().map(\.root))
m.incremental = try timed { incrementalReport = try repository.store([tree], options: storeOptions) }
var addedByKind: [String: (count: Int, stored: UInt64, plain: UInt64)] = [:]
for location in try repository.index.locations() where !blobsBefore.contains(location.pack) {
    let kind = "\(location.entry.type)"
    addedByKind[kind, default: (0, 0, 0)].count += 1
    addedByKind[kind, default: (0, 0, 0)].stored += UInt64(location.entry.storedLength)
    addedByKind[kind, default: (0, 0, 0)].plain += UInt64(location.entry.plaintextLength)
}
for blob in try repository.index.blobs() where !blobsBefore.contains(blob.root) {
    addedByKind["blob \(blob.kind)", default: (0, 0, 0)].count += 1
    addedByKind["blob \(blob.kind)", default: (0, 0, 0)].stored += blob.length
}
m.added = directoryBytes(provider.directory) - before
if var f = resticFigures, let restic = which("restic") {
    let environment = ["RESTIC_PASSWORD": "benchmark", "RESTIC_CACHE_DIR": root + "/restic-cache"]
    let size = directoryBytes(root + "/restic")
    f.incremental = try timed { try shell(restic, ["backup", "--repo", root + "/restic", tree], environment: environment) }
    f.added = directoryBytes(root + "/restic") - size
    resticFigures = f
}
blobs.close()
server.stop()
provider.close()

func rate(_ seconds: Double) -> String { String(format: "%7.1f MB/s", Double(plaintext) / seconds / 1e6) }
func ratio(_ restic: Double?, _ maimo: Double) -> String { restic.map { String(format: "%.2f×", $0 / maimo) } ?? "—" }
print("")
print("| | Maimo v2 | restic | ratio |")
print("|---|---|---|---|")
print("| store | \(rate(m.store)) (\(String(format: "%.2f s", m.store))) | \(resticFigures.map { rate($0.store) } ?? "—") | \(ratio(resticFigures?.store, m.store)) |")
print("| restore | \(rate(m.restore)) (\(String(format: "%.2f s", m.restore))) | \(resticFigures.map { rate($0.restore) } ?? "—") | \(ratio(resticFigures?.restore, m.restore)) |")
print(String(format: "| unchanged re-store | %.2f s | %@ | %@ |", m.again, resticFigures.map { String(format: "%.2f s", $0.again) } ?? "—", ratio(resticFigures?.again, m.again)))
print(String(format: "| incremental store | %.2f s | %@ | %@ |", m.incremental, resticFigures.map { String(format: "%.2f s", $0.incremental) } ?? "—", ratio(resticFigures?.incremental, m.incremental)))
print(String(format: "| bytes at the provider | %.1f MB | %@ | %@ |", Double(m.size) / 1e6, resticFigures.map { String(format: "%.1f MB", Double($0.size) / 1e6) } ?? "—",
             resticFigures.map { String(format: "%.2f×", Double(m.size) / Double($0.size)) } ?? "—"))
print(String(format: "| bytes added by the incremental store | %.2f MB | %@ | %@ |", Double(m.added) / 1e6, resticFigures.map { String(format: "%.2f MB", Double($0.added) / 1e6) } ?? "—",
             resticFigures.map { String(format: "%.2f×", Double(m.added) / Double(max(1, $0.added))) } ?? "—"))
if let report {
    print("")
    print("store: \(report.files) files, \(report.directories) directories, \(report.symlinks) symlinks, \(report.newChunks) chunks and \(report.newTrees) trees in \(report.blobsUploaded) blobs, \(report.duplicateItems) duplicate chunks")
}
if let r = incrementalReport {
    print("incremental store: \(r.newChunks) new chunks, \(r.newTrees) new trees, \(r.blobsUploaded) blobs, \(r.bytesUploaded) bytes uploaded")
    for (kind, added) in addedByKind.sorted(by: { $0.key < $1.key }) {
        print("  \(kind): \(added.count), \(added.stored) bytes stored (\(added.plain) plain)")
    }
}
print(String(format: "restore from blobs in memory (no wire): %.2f s", memoryRestore))
print(String(format: "restore with --sync: %.2f s, of which %.2f s flushing to disk", durable.seconds, durable.syncSeconds))
print("restore: \(restored?.files ?? 0) files, \(restored?.symlinks ?? 0) symlinks, \(restored?.failures.count ?? 0) failures; identical to the tree: \(same)")
