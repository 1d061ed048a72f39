import Foundation
import Testing

struct IndexCommandTests {
    let directory: TemporaryDirectory
    var db: String { directory.url.appendingPathComponent("catalogue.db").path }

    init() throws { directory = try TemporaryDirectory() }

    func index(_ arguments: [String], stdin: Data = Data()) throws -> Run {
        try Tool.run(Tool.maimo, ["index", "--db", db] + arguments, stdin: stdin)
    }

    @Test func putGetScanDeleteCheckCompactFromTheShell() throws {
        #expect(try index(["put", "files", "b", "2"]).status == 0)
        #expect(try index(["put", "files", "a", "1"]).status == 0)
        #expect(try index(["put", "files", "c/d", "-"], stdin: Data("from stdin".utf8)).status == 0)
        #expect(try index(["put", "peers", "friend", "onion"]).status == 0)
        #expect(try index(["get", "files", "c/d"]).out == "from stdin")
        #expect(try index(["scan", "files"]).out == "a\t1\nb\t2\nc/d\tfrom stdin\n")
        #expect(try index(["scan", "files", "--from", "b"]).out == "b\t2\nc/d\tfrom stdin\n")
        #expect(try index(["scan", "files", "--to", "b"]).out == "a\t1\n")
        #expect(try index(["scan", "files", "--prefix", "c/"]).out == "c/d\tfrom stdin\n")
        #expect(try index(["tables"]).out == "files\t3\npeers\t1\n")
        #expect(try index(["del", "files", "a"]).status == 0)
        let missing = try index(["del", "files", "a"])
        #expect(missing.status == 1 && missing.err == "maimo index: no such key in files: a\n")
        let table = try index(["scan", "nope"])
        #expect(table.status == 1 && table.err == "maimo index: no such table: nope\n")
        #expect(try index(["check"]).out.hasSuffix("2 tables, 3 keys: ok\n"))
        #expect(try index(["compact"]).status == 0)
        #expect(try index(["scan", "files"]).out == "b\t2\nc/d\tfrom stdin\n")
        #expect(try index(["stats"]).out.contains("tables:       2"))
    }

    @Test func checkReportsADamagedPage() throws {
        for i in 0..<300 { _ = try index(["put", "t", "key\(i)", String(repeating: "v", count: i)]) }
        // Damage every leaf page (some may be free, but the live leaves are among them).
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: db))
        let pages = try handle.seekToEnd() / 4096
        var damaged = false
        for page in stride(from: UInt64(2), to: pages, by: 1) {
            try handle.seek(toOffset: page * 4096 + 4)
            let kind = try handle.read(upToCount: 1)![0]
            if kind == 3 {  // a leaf
                try handle.seek(toOffset: page * 4096 + 2000)
                try handle.write(contentsOf: Data([0x55, 0xAA]))
                damaged = true
            }
        }
        try handle.close()
        #expect(damaged)
        let check = try index(["check"])
        #expect(check.status == 1)
        #expect(check.err.contains("checksum mismatch"))
    }
}
