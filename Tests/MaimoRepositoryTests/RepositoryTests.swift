import Foundation
import Testing
@testable import MaimoRepository
import MaimoBlake3
import MaimoTestSupport

/// Store, recover and restore through a blob store in memory (the engine runs the same over the
/// wire protocol).
@Suite struct RepositoryTests {
    /// A temporary directory, removed at the end.
    final class Scratch {
        let path: String
        init() {
            path = NSTemporaryDirectory() + "maimo-repository-\(UInt64.random(in: 0...UInt64.max))"
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func write(_ relative: String, _ bytes: [UInt8], mode: Int = 0o644, mtime: Double = 1_600_000_000.25) throws {
            let full = path + "/" + relative
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: full))
            try FileManager.default.setAttributes([.posixPermissions: mode, .modificationDate: Date(timeIntervalSince1970: mtime)], ofItemAtPath: full)
        }
    }

    static let small = Chunker.Parameters.version2

    func options(packSize: Int = 1 << 20) -> Repository.StoreOptions {
        var options = Repository.StoreOptions()
        options.packSize = packSize
        options.workers = 2
        return options
    }

    /// The generated tree of the issue: symlinks of every kind, empty directories, modes, and the
    /// chunker's hard cases.
    func makeTree(_ scratch: Scratch, seed: inout SeededGenerator) throws -> String {
        let root = scratch.path + "/tree"
        let p = Self.small
        try scratch.write("tree/empty-file", [])
        try scratch.write("tree/one-byte", [7], mode: 0o600)
        try scratch.write("tree/exactly-min", randomBytes(p.minimum, using: &seed))
        try scratch.write("tree/exactly-max", randomBytes(p.maximum, using: &seed), mode: 0o755)
        try scratch.write("tree/repeated", [UInt8](repeating: 0x5A, count: 2 * p.maximum + 17), mode: 0o444)
        try scratch.write("tree/sub/random", randomBytes(3 * p.average + 12345, using: &seed))
        try scratch.write("tree/sub/deeper/notes.txt", Array(String(repeating: "a line of notes\n", count: 2000).utf8), mtime: 1_234_567_890.5)
        try FileManager.default.createDirectory(atPath: root + "/empty-dir/empty-inside", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/relative-link", withDestinationPath: "sub/random")
        try FileManager.default.createSymbolicLink(atPath: root + "/absolute-link", withDestinationPath: "/etc/hostname")
        try FileManager.default.createSymbolicLink(atPath: root + "/dangling-link", withDestinationPath: "no/such/file")
        try FileManager.default.setAttributes([.posixPermissions: 0o750], ofItemAtPath: root + "/sub")
        return root
    }

    /// Every file, directory and link under `a` equals the one under `b`: bytes, mode, mtime, targets.
    func expectSameTree(_ a: String, _ b: String) throws {
        let manager = FileManager.default
        let left = try manager.subpathsOfDirectory(atPath: a).sorted(), right = try manager.subpathsOfDirectory(atPath: b).sorted()
        #expect(left == right)
        for relative in left {
            var x = stat(), y = stat()
            #expect(lstat(a + "/" + relative, &x) == 0 && lstat(b + "/" + relative, &y) == 0)
            #expect(x.st_mode == y.st_mode, "mode of \(relative)")
            switch x.st_mode & S_IFMT {
            case S_IFREG:
                #expect(manager.contents(atPath: a + "/" + relative) == manager.contents(atPath: b + "/" + relative), "\(relative)")
                #expect(x.st_mtim.tv_sec == y.st_mtim.tv_sec && x.st_mtim.tv_nsec == y.st_mtim.tv_nsec, "mtime of \(relative)")
            case S_IFLNK:
                #expect(try manager.destinationOfSymbolicLink(atPath: a + "/" + relative) == manager.destinationOfSymbolicLink(atPath: b + "/" + relative))
            case S_IFDIR:
                #expect(x.st_mtim.tv_sec == y.st_mtim.tv_sec, "mtime of directory \(relative)")
            default:
                break
            }
        }
    }

    @Test func storeDeleteTheHomeRecoverFromTheCodeAndRestore() throws {
        var seed = SeededGenerator.fromEnvironment("storeDeleteTheHomeRecoverFromTheCodeAndRestore")
        let scratch = Scratch()
        let tree = try makeTree(scratch, seed: &seed)
        let store = MemoryBlobStore()
        let keys = RepositoryKeys.generate()
        let code = keys.recoveryCode
        let first = Repository(keys: keys, store: store, index: MemoryRepositoryIndex())
        let report = try first.store([tree], options: options())
        #expect(report.files == 7 && report.symlinks == 3)
        #expect(report.directories == 5)
        #expect(report.blobsUploaded >= 4 && store.count == report.blobsUploaded)

        // The client's disk is gone: only the code and the provider remain.
        let recovered = Repository(keys: try RepositoryKeys(recoveryCode: code), store: store, index: MemoryRepositoryIndex())
        let recovery = try recovered.recover()
        #expect(recovery.unreadable.isEmpty && recovery.missingPacks.isEmpty)
        #expect(recovery.snapshots == 1 && recovery.indexes == 1 && recovery.blobs == store.count)
        let (snapshot, entry) = try #require(try recovered.find(tree))
        #expect(snapshot == report.snapshot)
        let target = scratch.path + "/restored"
        let restored = try recovered.restore(entry, to: target)
        #expect(restored.failures.isEmpty)
        #expect(restored.files == 7 && restored.symlinks == 3)
        try expectSameTree(tree, target)
        // A single file comes back on its own too.
        let (_, one) = try #require(try recovered.find(tree + "/sub/deeper/notes.txt"))
        _ = try recovered.restore(one, to: scratch.path + "/notes.txt")
        #expect(FileManager.default.contents(atPath: scratch.path + "/notes.txt") == FileManager.default.contents(atPath: tree + "/sub/deeper/notes.txt"))
    }

    /// After `recover` nothing is cached: walking every directory of a snapshot reads its trees
    /// a pack at a time (the pack's header, then one range), not one request per directory.
    @Test func aRecoveredClientReadsTreesAPackAtATime() throws {
        var seed = SeededGenerator.fromEnvironment("aRecoveredClientReadsTreesAPackAtATime")
        let scratch = Scratch()
        for i in 0..<40 { try scratch.write("tree/d\(i)/e/file", randomBytes(100, using: &seed)) }
        let memory = MemoryBlobStore()
        let keys = RepositoryKeys.generate()
        _ = try Repository(keys: keys, store: memory, index: MemoryRepositoryIndex()).store([scratch.path + "/tree"], options: options(packSize: 16 << 20))
        let counting = BudgetStore(memory, writesSpend: false)
        let recovered = Repository(keys: keys, store: counting, index: MemoryRepositoryIndex())
        _ = try recovered.recover()
        let before = counting.answers.current
        let (_, entry) = try #require(try recovered.find(scratch.path + "/tree"))
        var directories = 0
        func walk(_ entry: Tree.Entry) throws {
            guard case let .directory(id) = entry.content else { return }
            directories += 1
            for child in try recovered.tree(id).entries { try walk(child) }
        }
        try walk(entry)
        let requests = before - counting.answers.current
        #expect(directories == 81)
        #expect(requests <= 6, "\(requests) slice requests for \(directories) directories")
    }

    /// The first packs of a run are small and grow (so that uploading starts early), up to the
    /// pack size.
    @Test func packsGrowFromTheFirstPackSize() throws {
        var seed = SeededGenerator.fromEnvironment("packsGrowFromTheFirstPackSize")
        let scratch = Scratch()
        for i in 0..<6 { try scratch.write("tree/f\(i)", randomBytes(2 << 20, using: &seed)) }
        let store = MemoryBlobStore()
        let index = MemoryRepositoryIndex()
        var run = options(packSize: 4 << 20)
        run.firstPackSize = 1 << 20
        run.workers = 1
        _ = try Repository(keys: RepositoryKeys.generate(), store: store, index: index).store([scratch.path + "/tree"], options: run)
        let packs = try index.blobs().filter { $0.kind == .pack }.map(\.length).sorted()
        // 12 MiB: about 1 + 2 + 4 + 4 MiB, then what is left with the trees.
        #expect(packs.count >= 4, "\(packs)")
        #expect(packs.contains { $0 < 2 << 20 } && packs.contains { $0 >= 4 << 20 }, "\(packs)")
        #expect(packs.allSatisfy { $0 < (4 << 20) + (4 << 20) }, "\(packs)")
    }

    @Test func equalContentIsStoredOnceAndAnInsertReuploadsOnlyNearbyChunks() throws {
        var seed = SeededGenerator.fromEnvironment("equalContentIsStoredOnce")
        let scratch = Scratch()
        let big = randomBytes(5 << 20, using: &seed)
        try scratch.write("a/big", big)
        try scratch.write("a/copy-of-big", big)
        let store = MemoryBlobStore()
        let repository = Repository(keys: RepositoryKeys.generate(), store: store, index: MemoryRepositoryIndex())
        let first = try repository.store([scratch.path + "/a"], options: options(packSize: 4 << 20))
        #expect(first.duplicateItems > 0)
        // The pair costs one copy of the chunks (plus headers, padding, trees, index, snapshot).
        #expect(store.bytesReceived < UInt64(big.count) * 11 / 10 + (1 << 20), "received \(store.bytesReceived)")

        // Unchanged: nothing is read, no chunk is new; only the trees of the directories above
        // the stored one may change (other tests write into the same temporary directory).
        let before = store.bytesReceived
        let again = try repository.store([scratch.path + "/a"], options: options())
        let depth = scratch.path.split(separator: "/").count
        #expect(again.bytesRead == 0 && again.newChunks == 0 && again.unchangedFiles == 2)
        #expect(again.newTrees <= depth)
        #expect(store.bytesReceived - before < 64 << 10)

        // A few bytes inserted in the middle: only the chunks around the insert go up again.
        var edited = big
        edited.insert(contentsOf: Array("inserted".utf8), at: big.count / 2)
        try scratch.write("a/big", edited, mtime: 1_700_000_000)
        let before2 = store.bytesReceived
        let third = try repository.store([scratch.path + "/a"], options: options())
        let added = store.bytesReceived - before2
        #expect(third.bytesRead == UInt64(edited.count) && third.newChunks <= 3)
        #expect(added < UInt64(Self.small.maximum * 2), "an 8-byte insert re-uploaded \(added) bytes")
        let (_, entry) = try #require(try repository.find(scratch.path + "/a/big"))
        _ = try repository.restore(entry, to: scratch.path + "/big.out")
        #expect(FileManager.default.contents(atPath: scratch.path + "/big.out") == Data(edited))
    }

    @Test func aHostileStoreIsCaughtAndNothingUnverifiedReachesTheTarget() throws {
        var seed = SeededGenerator.fromEnvironment("aHostileStoreIsCaught")
        let scratch = Scratch()
        try scratch.write("t/one", randomBytes(600_000, using: &seed))
        try scratch.write("t/two", randomBytes(700_000, using: &seed))
        let store = MemoryBlobStore()
        let repository = Repository(keys: RepositoryKeys.generate(), store: store, index: MemoryRepositoryIndex())
        _ = try repository.store([scratch.path + "/t"], options: options(packSize: 256 << 10))
        let (_, one) = try #require(try repository.find(scratch.path + "/t/one"))
        guard case let .file(_, chunks) = one.content else { Issue.record("not a file"); return }
        let pack = try #require(try repository.index.location(of: chunks[0])).pack
        let packs = try repository.index.blobs().filter { $0.kind == .pack && $0.root != pack }
        let original = try #require(store.content(pack))

        // Swapped for another of the client's packs, truncated, damaged, or gone: refused, named,
        // and the target never appears.
        let otherRoot = try #require(packs.first).root
        let other = try #require(store.content(otherRoot))
        var damaged = original
        damaged[original.count / 2] ^= 1
        for (what, replacement) in [("swapped", other), ("truncated", Array(original.prefix(original.count / 2))),
                                    ("damaged", damaged), ("gone", nil)] as [(String, [UInt8]?)] {
            store.replace(pack, with: replacement)
            let target = scratch.path + "/out-\(what)"
            #expect(throws: RepositoryError.self, "\(what)") { _ = try repository.restoreFile(one, to: target) }
            #expect(!FileManager.default.fileExists(atPath: target), "\(what)")
            let names = try FileManager.default.contentsOfDirectory(atPath: scratch.path)
            #expect(!names.contains { $0.contains(".maimo-") }, "temporary files left behind: \(names)")
        }
        store.replace(pack, with: original)
        _ = try repository.restoreFile(one, to: scratch.path + "/out-ok")
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/out-ok"))

        // Another client's blobs (and garbage) are named by recover, not trusted.
        let stranger = Repository(keys: RepositoryKeys.generate(), store: store, index: MemoryRepositoryIndex())
        let report = try stranger.recover()
        #expect(report.unreadable.count == store.count && report.snapshots == 0)
    }

    /// A provider that serves an older index blob in place of the newest (a rollback of the
    /// client's view of where items live): the bytes do not hash to the root the client asked
    /// for, so the blob is named unreadable, and nothing is lost, because every pack is indexed
    /// by its own header as well.
    @Test func anOldIndexServedForANewOneIsNamedAndLosesNothing() throws {
        var seed = SeededGenerator.fromEnvironment("anOldIndexServedForANewOne")
        let scratch = Scratch()
        try scratch.write("t/one", randomBytes(500_000, using: &seed))
        let store = MemoryBlobStore()
        let keys = RepositoryKeys.generate()
        let repository = Repository(keys: keys, store: store, index: MemoryRepositoryIndex())
        _ = try repository.store([scratch.path + "/t"], options: options(packSize: 256 << 10))
        let firstIndexes = Set(try repository.index.blobs().filter { $0.kind == .index }.map(\.root))
        try scratch.write("t/two", randomBytes(700_000, using: &seed))
        _ = try repository.store([scratch.path + "/t"], options: options(packSize: 256 << 10))
        let old = try #require(firstIndexes.first)
        let newest = try #require(try repository.index.blobs().first { $0.kind == .index && !firstIndexes.contains($0.root) }).root
        let oldContent = try #require(store.content(old))
        store.replace(newest, with: oldContent)

        let recovered = Repository(keys: keys, store: store, index: MemoryRepositoryIndex())
        let report = try recovered.recover()
        #expect(report.unreadable.map(\.root) == [newest], "the swapped index is named: \(report.unreadable)")
        #expect(report.snapshots == 2)
        let (_, two) = try #require(try recovered.find(scratch.path + "/t/two"))
        _ = try recovered.restoreFile(two, to: scratch.path + "/two.out")
        #expect(FileManager.default.contents(atPath: scratch.path + "/two.out") == FileManager.default.contents(atPath: scratch.path + "/t/two"))
    }

    @Test func aRecoveredIndexNamesLostPacks() throws {
        var seed = SeededGenerator.fromEnvironment("aRecoveredIndexNamesLostPacks")
        let scratch = Scratch()
        try scratch.write("t/one", randomBytes(900_000, using: &seed))
        let store = MemoryBlobStore()
        let keys = RepositoryKeys.generate()
        let repository = Repository(keys: keys, store: store, index: MemoryRepositoryIndex())
        _ = try repository.store([scratch.path + "/t"], options: options(packSize: 256 << 10))
        let lost = try #require(try repository.index.blobs().first { $0.kind == .pack })
        store.replace(lost.root, with: nil)
        let report = try Repository(keys: keys, store: store, index: MemoryRepositoryIndex()).recover()
        #expect(report.missingPacks == [lost.root])
    }
}

/// Dictionaries travel with the repository: a recovered client decompresses without the old catalogue.
@Suite struct DictionaryRecoveryTests {
    struct Dictionaries: DictionarySource {
        let all: [ZstdDictionary]
        func dictionary(id: UInt32) throws(RepositoryError) -> ZstdDictionary? { all.first { $0.id == id } }
    }

    @Test func aRecoveredClientGetsTheDictionaryBack() throws {
        let scratch = RepositoryTests.Scratch()
        var samples: [[UInt8]] = []
        for i in 0..<60 {
            let record = Array("{\"id\": \(i), \"user\": \"user\(i % 7)\", \"path\": \"/home/maimo/files/\(i)\", \"ok\": \(i % 2 == 0)}\n".utf8)
            samples.append(record)
            try scratch.write("records/r\(i).json", record)
        }
        let bytes = try ZstdDictionary.train(samples: samples, maxSize: 4096)
        let dictionary = try RepositoryDictionary(bytes: bytes)
        let store = MemoryBlobStore()
        let keys = RepositoryKeys.generate()
        var options = Repository.StoreOptions()
        options.dictionary = dictionary
        _ = try Repository(keys: keys, store: store, index: MemoryRepositoryIndex(), dictionaries: Dictionaries(all: [dictionary.dictionary]))
            .store([scratch.path + "/records"], options: options)
        let recovered = Repository(keys: keys, store: store, index: MemoryRepositoryIndex())
        let report = try recovered.recover()
        #expect(report.dictionaries == [bytes])
        let found = Repository(keys: keys, store: store, index: recovered.index,
                               dictionaries: Dictionaries(all: try report.dictionaries.map { try ZstdDictionary($0) }))
        let (_, entry) = try #require(try found.find(scratch.path + "/records"))
        let restored = try found.restore(entry, to: scratch.path + "/out")
        #expect(restored.failures.isEmpty && restored.files == 60)
        #expect(FileManager.default.contents(atPath: scratch.path + "/out/r7.json").map(Array.init) == samples[7])
        // Without it, the chunks that need it are refused by name, not garbled.
        let (_, one) = try #require(try recovered.find(scratch.path + "/records/r7.json"))
        #expect(throws: RepositoryError.self) { _ = try recovered.restoreFile(one, to: scratch.path + "/r7") }
    }
}
import MaimoZstd
