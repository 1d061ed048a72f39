import Foundation
import Synchronization
import MaimoTestSupport
import Testing
@testable import MaimoIndex

func temporaryFile(_ name: String = "index") -> String {
    NSTemporaryDirectory() + "maimo-\(name)-\(UInt64.random(in: 0...UInt64.max)).db"
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

struct CRC32CTests {
    /// RFC 3720, appendix B.4, and the usual check value.
    @Test func knownAnswers() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum(bytes("123456789")) == 0xE306_9283)
        #expect(CRC32C.checksum(vectorInput(1000)) == 0x11F6_6220)
        let input = vectorInput(1000)
        let split = input.withUnsafeBytes { raw in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[333...]), continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[..<333])))
        }
        #expect(split == 0x11F6_6220)
    }
}

struct IndexTests {
    @Test func putGetDeleteAcrossTransactionsAndReopen() throws {
        let path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let db = try IndexDatabase(path: path)
            try db.write { (tx) throws in
                try tx.put("files", bytes("a"), bytes("1"))
                try tx.put("files", bytes("b"), bytes("2"))
                try tx.put("peers", bytes("x"), bytes("onion"))
            }
            try db.write { (tx) throws in
                #expect(try tx.get("files", bytes("a")) == bytes("1"))
                try tx.delete("files", bytes("a"))
                #expect(try tx.get("files", bytes("a")) == nil)
            }
            #expect(try db.tables() == ["files", "peers"])
            db.close()
        }
        let db = try IndexDatabase(path: path)
        try db.read { (tx) throws in
            #expect(try tx.get("files", bytes("a")) == nil)
            #expect(try tx.get("files", bytes("b")) == bytes("2"))
            #expect(try tx.get("peers", bytes("x")) == bytes("onion"))
            #expect(try tx.count("files") == 1)
            #expect(throws: IndexError.noSuchTable("nope")) { try tx.get("nope", bytes("a")) }
        }
    }

    @Test func rollbackLeavesNothing() throws {
        let path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try IndexDatabase(path: path)
        try db.write { try $0.put("t", bytes("kept"), bytes("1")) }
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try db.write { (tx) throws in
                try tx.put("t", bytes("dropped"), bytes("2"))
                throw Stop()
            }
        }
        try db.read { (tx) throws in
            #expect(try tx.get("t", bytes("dropped")) == nil)
            #expect(try tx.get("t", bytes("kept")) == bytes("1"))
        }
    }

    @Test func readersKeepTheirSnapshotWhileTheWriterCommits() throws {
        let path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try IndexDatabase(path: path)
        try db.write { tx in for i in 0..<2000 { try tx.put("t", bytes("key\(i)"), bytes("old\(i)")) } }
        let reader = try db.beginRead()
        for round in 0..<5 {
            try db.write { (tx) throws in
                for i in stride(from: round, to: 2000, by: 3) { try tx.put("t", bytes("key\(i)"), bytes("new\(i)")) }
                for i in stride(from: 1, to: 2000, by: 7) { try tx.delete("t", bytes("key\(i)")) }
            }
        }
        var cursor = try reader.cursor("t")
        var seen = 0
        try cursor.scan { key, value in
            let i = String(decoding: key.dropFirst(3), as: UTF8.self)
            #expect(value == bytes("old\(i)"))
            seen += 1
            return true
        }
        #expect(seen == 2000)
        reader.end()
        try db.read { (tx) throws in
            #expect(try tx.get("t", bytes("key1")) == nil)
            #expect(try tx.get("t", bytes("key3")) == bytes("new3"))
        }
    }

    @Test func largeValuesGoToOverflowPages() throws {
        let path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var generator = SeededGenerator.fromEnvironment("index overflow")
        let big = randomBytes(100_000, using: &generator)
        let db = try IndexDatabase(path: path)
        try db.write { (tx) throws in
            try tx.put("t", bytes("big"), big)
            try tx.put("t", bytes("edge"), randomBytes(1000, using: &generator))
        }
        try db.read { (tx) throws in #expect(try tx.get("t", bytes("big")) == big) }
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! NSNumber
        // Replacing the value many times reuses the freed overflow pages.
        for _ in 0..<20 { try db.write { try $0.put("t", bytes("big"), big) } }
        try db.read { (tx) throws in #expect(try tx.get("t", bytes("big")) == big) }
        let after = try FileManager.default.attributesOfItem(atPath: path)[.size] as! NSNumber
        #expect(after.intValue <= size.intValue * 4, "freed pages are reused (\(size) -> \(after) bytes)")
    }

    /// Thousands of small commits, some across a reopen, keep the file small: freed pages,
    /// the freelist's own pages included, are reused (a freelist always taken from the end of
    /// the file once grew it without bound).
    @Test func manyCommitsKeepTheFileBounded() throws {
        let path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = IndexDatabase.Options()
        options.syncCommits = false
        options.pageSize = 1024
        var db = try IndexDatabase(path: path, options: options)
        for round in 0..<3000 {
            try db.write { (tx) throws in
                for i in 0..<4 { try tx.put("t", bytes("key\((round * 7 + i * 31) % 500)"), bytes(String(repeating: "v", count: round % 90))) }
                if round % 3 == 0 { try tx.delete("t", bytes("key\((round * 11) % 500)")) }
            }
            if round % 500 == 499 {
                db.close()
                db = try IndexDatabase(path: path, options: options)
            }
        }
        let stats = try db.statistics()
        #expect(stats.pages < 1000, "\(stats.pages) pages, \(stats.freePages) free after 3000 commits")
        #expect(try db.check().isHealthy)
    }

    @Test func cursorsWalkBothWays() throws {
        let path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try IndexDatabase(path: path)
        let keys = (0..<3000).map { bytes(String(format: "k%05d", $0 * 3)) }
        try db.write { tx in for key in keys.shuffled() { try tx.put("t", key, key) } }
        try db.read { (tx) throws in
            var cursor = try tx.cursor("t")
            try cursor.first()
            var forward: [[UInt8]] = []
            while let key = cursor.key { forward.append(key); try cursor.next() }
            #expect(forward == keys)
            try cursor.last()
            var backward: [[UInt8]] = []
            while let key = cursor.key { backward.append(key); try cursor.previous() }
            #expect(backward == keys.reversed())
            try cursor.seek(to: bytes("k00100"))
            #expect(cursor.key == bytes("k00102"))
            try cursor.previous()
            #expect(cursor.key == bytes("k00099"))
            try cursor.seek(to: bytes("zzz"))
            #expect(cursor.key == nil)
            var prefixed: [[UInt8]] = []
            try cursor.scan(prefix: bytes("k001")) { key, _ in prefixed.append(key); return true }
            #expect(prefixed == keys.filter { $0.starts(with: bytes("k001")) })
        }
    }
}

struct IndexCorruptionTests {
    /// One flipped byte on a random page: never a wrong value returned silently. Either the
    /// page was free (nothing to lose), or open, a read, or `check` reports it, or open says it
    /// fell back to the older meta page.
    @Test func flippedPagesAreDetected() throws {
        var generator = SeededGenerator.fromEnvironment("index corruption")
        let template = temporaryFile("template")
        defer { try? FileManager.default.removeItem(atPath: template) }
        var model: [[UInt8]: [UInt8]] = [:]
        var free = Set<UInt64>()
        var pageCount: UInt64 = 0
        do {
            var options = IndexDatabase.Options()
            options.pageSize = 1024
            let db = try IndexDatabase(path: template, options: options)
            for round in 0..<8 {
                try db.write { (tx) throws in
                    for i in 0..<150 {
                        let key = bytes("key\((i * 7 + round * 13) % 400)")
                        let value = randomBytes(i % 37 == 0 ? 3000 : Int.random(in: 0...60, using: &generator), using: &generator)
                        try tx.put("t", key, value)
                        model[key] = value
                    }
                }
            }
            let report = try db.check()
            #expect(report.isHealthy, "\(report.problems)")
            let meta = db.state.meta
            pageCount = meta.pageCount
            free = Set(try Freelist.read(from: meta.freelist, pager: db.pager).entries.map(\.0))
            db.close()
        }
        for round in 0..<60 {
            let path = temporaryFile()
            defer { try? FileManager.default.removeItem(atPath: path) }
            try FileManager.default.copyItem(atPath: template, toPath: path)
            let page = UInt64.random(in: 0..<pageCount, using: &generator)
            let offset = page * 1024 + UInt64.random(in: 0..<1024, using: &generator)
            let handle = FileHandle(forUpdatingAtPath: path)!
            try handle.seek(toOffset: offset)
            let byte = try handle.read(upToCount: 1)![0]
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: Data([byte ^ 0x04]))
            try handle.close()

            let db: IndexDatabase
            do { db = try IndexDatabase(path: path) } catch { continue }
            defer { db.close() }
            var readErrors = 0, wrong = 0
            for (key, value) in model {
                do {
                    if try db.read({ try $0.get("t", key) }) != value { wrong += 1 }
                } catch {
                    readErrors += 1
                }
            }
            let report = try db.check()
            if db.openedFromOlderMeta { continue }
            #expect(wrong == 0 || readErrors > 0 || !report.isHealthy, "round \(round): page \(page) gave \(wrong) wrong values silently")
            if !free.contains(page) {
                #expect(readErrors > 0 || !report.isHealthy, "round \(round): damage on page \(page) went unnoticed")
            }
        }
    }
}

extension IndexCorruptionTests {
    /// A header whose page-size field is damaged is refused by name before a page of that size
    /// is read (fuzz-index found a 1 GiB allocation from it).
    @Test func aDamagedPageSizeIsRefusedBeforeAnyRead() throws {
        for damaged: UInt32 in [0x4000_0000, 0, 1000, 131_072] {
            let path = temporaryFile()
            defer { try? FileManager.default.removeItem(atPath: path) }
            var options = IndexDatabase.Options()
            options.pageSize = 1024
            let db = try IndexDatabase(path: path, options: options)
            try db.write { try $0.put("t", bytes("k"), bytes("v")) }
            db.close()
            let handle = FileHandle(forUpdatingAtPath: path)!
            try handle.seek(toOffset: 44)
            try handle.write(contentsOf: withUnsafeBytes(of: damaged.littleEndian) { Data($0) })
            try handle.close()
            #expect {
                _ = try IndexDatabase(path: path)
            } throws: { error in
                "\(error)".contains("page size \(damaged)")
            }
        }
    }
}

struct IndexConcurrencyTests {
    /// Every commit rewrites all 300 keys with the commit's number; readers on other threads,
    /// opening snapshots all the time, must always see one number on every key, never a mix.
    @Test func concurrentReadersSeeOnlyWholeCommits() throws {
        let path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = IndexDatabase.Options()
        options.syncCommits = false
        options.pageSize = 1024
        let db = try IndexDatabase(path: path, options: options)
        let keys = (0..<300).map { bytes("key\($0)") }
        try db.write { (tx) throws in for key in keys { try tx.put("t", key, bytes("0")) } }
        let failures = Atomic<Int>(0)
        let reads = Atomic<Int>(0)
        let done = Atomic<Bool>(false)
        let finished = Atomic<Int>(0)
        for _ in 0..<3 {
            Thread.detachNewThread {
                repeat {
                    do {
                        try db.read { (tx) throws in
                            var cursor = try tx.cursor("t")
                            var seen = Set<[UInt8]>()
                            var n = 0
                            try cursor.scan { _, value in seen.insert(value); n += 1; return true }
                            if seen.count != 1 || n != keys.count { failures.add(1, ordering: .relaxed) }
                        }
                        reads.add(1, ordering: .relaxed)
                    } catch {
                        failures.add(1, ordering: .relaxed)
                    }
                } while !done.load(ordering: .acquiring)
                finished.add(1, ordering: .releasing)
            }
        }
        while reads.load(ordering: .relaxed) == 0 { usleep(100) }
        for round in 1...60 {
            try db.write { (tx) throws in
                for key in keys { try tx.put("t", key, bytes("\(round)")) }
                if round % 5 == 0 {
                    try tx.delete("t", keys[round])
                    try tx.put("t", keys[round], bytes("\(round)"))
                }
            }
        }
        let readsDuringWrites = reads.load(ordering: .relaxed)
        done.store(true, ordering: .releasing)
        while finished.load(ordering: .acquiring) < 3 { usleep(100) }
        #expect(readsDuringWrites > 3)
        #expect(failures.load(ordering: .relaxed) == 0)
        #expect(try db.check().isHealthy)
    }
}
