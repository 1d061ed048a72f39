import Foundation
import Testing

struct KVCommandTests {
    let directory: TemporaryDirectory
    var db: String { directory.url.appendingPathComponent("db").path }

    init() throws { directory = try TemporaryDirectory() }

    func kv(_ arguments: [String], stdin: Data = Data()) throws -> Run {
        try Tool.run(Tool.maimo, ["kv", "--db", db] + arguments, stdin: stdin)
    }

    @Test func putGetRangeListDeleteFromTheShell() throws {
        let value = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) })
        let file = try directory.write("value.bin", value)
        #expect(try kv(["put", "files/big", file.path]).status == 0)
        #expect(try kv(["put", "files/small", "-"], stdin: Data("hello\n".utf8)).status == 0)
        #expect(try kv(["put", "other"], stdin: Data()).status == 0)
        #expect(try kv(["get", "files/big"]).stdout == value)
        #expect(try kv(["get", "files/big", "--offset", "123457", "--length", "4096"]).stdout == value[123_457..<127_553])
        #expect(try kv(["get", "files/small"]).out == "hello\n")
        #expect(try kv(["get", "other"]).stdout.isEmpty)
        #expect(try kv(["ls"]).out == "files/big\nfiles/small\nother\n")
        #expect(try kv(["ls", "--prefix", "files/", "-l"]).out == "300000\tfiles/big\n6\tfiles/small\n")
        #expect(try kv(["del", "files/small"]).status == 0)
        #expect(try kv(["ls"]).out == "files/big\nother\n")
        let missing = try kv(["get", "files/small"])
        #expect(missing.status == 1 && missing.err == "maimo kv: no such key: files/small\n")
        let outside = try kv(["get", "files/big", "--offset", "299999", "--length", "2"])
        #expect(outside.status == 1 && outside.err.contains("outside the value of 300000 bytes"))
        #expect(try kv(["dump"]).out.contains("delete\t0\tdead\tfiles/small"))
        #expect(try kv(["compact"]).status == 0)
        #expect(try kv(["get", "files/big"]).stdout == value)
        let check = try kv(["check"])
        #expect(check.status == 0 && check.out.hasSuffix("verified: ok\n"))
        #expect(try kv(["stats"]).out.contains("keys:           2"))
    }

    @Test func checkAndGetReportDamage() throws {
        let value = Data(repeating: 0x5A, count: 200_000)
        #expect(try kv(["put", "k", try directory.write("v", value).path]).status == 0)
        let blob = try FileManager.default.contentsOfDirectory(atPath: db).first { $0.hasSuffix(".blob") }!
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: db + "/" + blob))
        try handle.seek(toOffset: 100_000)
        try handle.write(contentsOf: Data([0x00]))
        try handle.close()
        let check = try kv(["check"])
        #expect(check.status == 1)
        #expect(check.err.contains("corrupt blob data in \(db)/\(blob)"))
        let get = try kv(["get", "k", "--offset", "99000", "--length", "2000"])
        #expect(get.status == 1 && get.stdout.isEmpty && get.err.contains("checksum mismatch"))
        #expect(try kv(["get", "k", "--offset", "0", "--length", "1000"]).stdout == value.prefix(1000))
    }

    @Test func aMissingStoreIsAnErrorExceptForPut() throws {
        let run = try kv(["ls"])
        #expect(run.status == 1 && run.err.contains("No such file or directory"))
        #expect(!FileManager.default.fileExists(atPath: db))
    }
}
