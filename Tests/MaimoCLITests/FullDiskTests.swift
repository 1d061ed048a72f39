import Foundation
import MaimoTestSupport
import Testing

/// Full disks, where a store, a provider, a prune and a retrieve meet them. A write is refused by
/// a file size limit (`prlimit --fsize`: EFBIG, the same failed write as a full disk's ENOSPC, in
/// every environment) and, where this runs as root and may mount, by a small tmpfs (ENOSPC).
/// Each time: a typed error naming what and where, nothing acknowledged lost, nothing
/// half-written at a target path, and the same command succeeds once there is room.
///
/// Skipped under ThreadSanitizer (`Scripts/sanitize.sh thread` sets `MAIMO_SANITIZER`): its
/// runtime maps a file of its own at start (the shadow of read-only data) and dies of SIGBUS in
/// any process started under a file size limit below about 1 MB, before `main` runs.
@Suite("full disks", .disabled(if: ProcessInfo.processInfo.environment["MAIMO_SANITIZER"] == "thread",
                               "ThreadSanitizer's runtime cannot start under a small file size limit"))
struct FullDiskTests {
    static func limited(_ bytes: Int, _ arguments: [String]) throws -> Run {
        try Tool.run(try #require(Tool.reference("prlimit")), ["--fsize=\(bytes)", Tool.maimo.path] + arguments)
    }

    /// Files in `directory` (recursively) whose names a restore uses for its temporary files.
    static func leftovers(_ directory: String) -> [String] {
        (FileManager.default.enumerator(atPath: directory)?.allObjects as? [String] ?? []).filter { $0.contains(".maimo-") }
    }

    static func write(_ files: [String: Data], to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, bytes) in files { try bytes.write(to: URL(fileURLWithPath: directory + "/" + name)) }
    }

    static func snapshotCount(_ client: [String]) throws -> Int {
        try Tool.run(Tool.maimo, ["ls", "--snapshots", "--json"] + client).out.split(separator: "\n").count
    }

    /// Every file of `expected` is at `directory` with its bytes, and nothing else is.
    static func expectTree(_ directory: String, _ expected: [String: Data], _ when: String) {
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        #expect(names == Set(expected.keys), "\(when): \(names.symmetricDifference(expected.keys).sorted())")
        for (name, bytes) in expected where FileManager.default.contents(atPath: directory + "/" + name) != bytes {
            Issue.record("\(when): \(name) differs")
        }
    }

    @Test func aRetrieveOntoAFullDiskLeavesNoHalfWrittenFile() throws {
        let directory = try TemporaryDirectory()
        let root = directory.url.path
        let maimo = Tool.maimo
        let served = try EngineCommandTests.ServedClient(root: root)
        let client = served.client
        var seed = SeededGenerator.fromEnvironment("aRetrieveOntoAFullDiskLeavesNoHalfWrittenFile")
        var files: [String: Data] = [:]
        for i in 0..<12 { files["small\(i)"] = Data(randomBytes(8_000, using: &seed)) }
        files["big"] = Data(randomBytes(400_000, using: &seed))
        let data = root + "/data"
        try Self.write(files, to: data)
        #expect(try Tool.run(maimo, ["store", data] + client).status == 0)

        // Past the limit: the big file fails with its path, the small ones are whole, no
        // temporary file is left, and nothing is at the big file's path.
        let out = root + "/out"
        let refused = try Self.limited(100_000, ["retrieve", data, "-o", out] + client)
        #expect(refused.status == 1)
        #expect(refused.err.contains(out + "/big") && refused.err.contains("File too large"), "\(refused.err)")
        var small = files
        small["big"] = nil
        Self.expectTree(out, small, "with a file size limit")
        #expect(Self.leftovers(out).isEmpty, "\(Self.leftovers(out))")

        // With room, the same command brings everything back.
        let again = root + "/again"
        #expect(try Tool.run(maimo, ["retrieve", data, "-o", again] + client).status == 0)
        Self.expectTree(again, files, "with room")

        // A real full disk, where this may mount one.
        guard let disk = SmallFileSystem(path: root + "/tmpfs", bytes: 200 << 10) else {
            print("full disks: a tmpfs cannot be mounted here (not root, or not allowed): the ENOSPC variant is skipped; the file size limit above stood in for it")
            return
        }
        defer { disk.unmount() }
        let full = disk.path + "/out"
        let spaceless = try Tool.run(maimo, ["retrieve", data, "-o", full] + client)
        #expect(spaceless.status == 1)
        #expect(spaceless.err.contains("No space left on device"), "\(spaceless.err)")
        #expect(!FileManager.default.fileExists(atPath: full + "/big"))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: full)) ?? [] where FileManager.default.contents(atPath: full + "/" + name) != files[name] {
            Issue.record("on a full tmpfs: \(name) is at its path but is not what was stored")
        }
        #expect(Self.leftovers(full).isEmpty, "\(Self.leftovers(full))")
    }

    /// The provider's disk fills during a store and during a prune's repack: the upload is
    /// refused with the reason, the staged bytes are given back, the snapshots stored before are
    /// whole and verify, and both succeed once the provider has room.
    @Test func aFullProviderRefusesTheUploadAndKeepsWhatItHas() throws {
        let directory = try TemporaryDirectory()
        let root = directory.url.path
        let maimo = Tool.maimo
        let limit = 150_000
        let served = try EngineCommandTests.ServedClient(root: root, fileSizeLimit: limit)
        let client = served.client
        var seed = SeededGenerator.fromEnvironment("aFullProviderRefusesTheUploadAndKeepsWhatItHas")
        let data = root + "/data"
        var first: [String: Data] = [:]
        for i in 0..<8 { first["f\(i)"] = Data(randomBytes(6_000, using: &seed)) }
        try Self.write(first, to: data)
        #expect(try Tool.run(maimo, ["store", data] + client).status == 0)

        // A pack larger than the provider may write.
        var second = first
        second["big"] = Data(randomBytes(300_000, using: &seed))
        second["kept"] = Data(randomBytes(200_000, using: &seed))
        try Self.write(second, to: data)
        let refused = try Tool.run(maimo, ["store", data] + client)
        #expect(refused.status == 1)
        #expect(refused.err.contains("uploading") && refused.err.contains("the provider cannot write: File too large"), "\(refused.err)")
        #expect(try Self.snapshotCount(client) == 1)
        let staged = (try? FileManager.default.contentsOfDirectory(atPath: root + "/store/staging")) ?? []
        #expect(staged.isEmpty, "the provider kept staged bytes: \(staged)")
        #expect(try Tool.run(maimo, ["verify"] + client).status == 0)
        let out = root + "/out1"
        #expect(try Tool.run(maimo, ["retrieve", data, "-o", out] + client).status == 0)
        Self.expectTree(out, first, "the snapshot before the full disk")

        // With room, the same store succeeds.
        try served.restart()
        let stored = try Tool.run(maimo, ["store", data] + client)
        #expect(stored.status == 0, "\(stored.err)")
        #expect(try Self.snapshotCount(client) == 2)

        // A prune that must repack `kept` (the pack also held `big`, now forgotten) on a full
        // provider: refused, and the snapshot that keeps `kept` is whole.
        var third = second
        third["big"] = nil
        try FileManager.default.removeItem(atPath: data + "/big")
        #expect(try Tool.run(maimo, ["store", data] + client).status == 0)
        #expect(try Tool.run(maimo, ["forget", "--keep-last", "1"] + client).status == 0)
        try served.restart(fileSizeLimit: limit)
        let prune = try Tool.run(maimo, ["prune", "--max-unused", "10%"] + client)
        #expect(prune.status == 1)
        #expect(prune.err.contains("File too large"), "\(prune.err)")
        let afterPrune = root + "/out3"
        #expect(try Tool.run(maimo, ["retrieve", data, "-o", afterPrune] + client).status == 0)
        Self.expectTree(afterPrune, third, "after a refused prune")
        #expect(try Tool.run(maimo, ["verify"] + client).status == 0)

        // With room, the prune finishes and the snapshot is still whole.
        try served.restart()
        let finished = try Tool.run(maimo, ["prune", "--max-unused", "10%"] + client)
        #expect(finished.status == 0, "\(finished.err)")
        let afterRoom = root + "/out4"
        #expect(try Tool.run(maimo, ["retrieve", data, "-o", afterRoom] + client).status == 0)
        Self.expectTree(afterRoom, third, "after the prune")
        #expect(try Tool.run(maimo, ["verify"] + client).status == 0)
    }

    /// The client's own disk fills while a store records what it uploaded: the catalogue says
    /// so, stays readable, and the next store with room records everything.
    @Test func aFullClientDiskFailsTheStoreAndKeepsTheCatalogue() throws {
        let directory = try TemporaryDirectory()
        let root = directory.url.path
        let maimo = Tool.maimo
        let served = try EngineCommandTests.ServedClient(root: root)
        let client = served.client
        var seed = SeededGenerator.fromEnvironment("aFullClientDiskFailsTheStoreAndKeepsTheCatalogue")
        let data = root + "/data"
        var files: [String: Data] = ["first": Data(randomBytes(5_000, using: &seed))]
        try Self.write(files, to: data)
        #expect(try Tool.run(maimo, ["store", data] + client).status == 0)

        // New files to record; the catalogue may not be written past its first 16 KiB (its
        // file is larger: the pages a transaction writes lie beyond, as on a disk that is full).
        for i in 0..<50 { files["n\(i)"] = Data(randomBytes(1_500, using: &seed)) }
        try Self.write(files, to: data)
        let catalogue = root + "/client/catalogue.db"
        let refused = try Self.limited(16 << 10, ["store", data] + client)
        #expect(refused.status == 1)
        #expect(refused.err.contains(catalogue) && refused.err.contains("no space left on device"), "\(refused.err)")
        #expect(try Self.snapshotCount(client) == 1)
        let out = root + "/out1"
        #expect(try Tool.run(maimo, ["retrieve", data + "/first", "-o", out] + client).status == 0)
        #expect(FileManager.default.contents(atPath: out) == files["first"])

        let stored = try Tool.run(maimo, ["store", data] + client)
        #expect(stored.status == 0, "\(stored.err)")
        let again = root + "/out2"
        #expect(try Tool.run(maimo, ["retrieve", data, "-o", again] + client).status == 0)
        Self.expectTree(again, files, "after the store with room")
    }
}

/// A tmpfs of a given size, mounted for a test; nil where mounting is not allowed.
final class SmallFileSystem {
    let path: String
    private var mounted = true

    init?(path: String, bytes: Int) {
        self.path = path
        guard getuid() == 0, (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil,
              mount("tmpfs", path, "tmpfs", 0, "size=\(bytes)") == 0 else { return nil }
    }

    func unmount() {
        if mounted { umount2(path, Int32(MNT_DETACH)) }
        mounted = false
    }

    deinit { unmount() }
}
