// MaimoIndex next to SQLite through GRDB (WAL, synchronous=NORMAL, a `WITHOUT ROWID` table), in
// one run, as ratios: batched inserts of a million keys, random point lookups, range scans, and
// the file size afterwards.
//
//   swift run -c release --package-path Benchmarks index-compare [--quick] [--dir PATH]
import CompareSupport
import Foundation
import GRDB
import MaimoIndex

let arguments = CommandLine.arguments
let quick = arguments.contains("--quick")
let scratch = try ScratchDirectory(name: "maimo-index-compare")
let root = scratch.path
defer { scratch.remove() }

nonisolated(unsafe) var generator = XorShift()
func nextRandom() -> UInt64 { generator.next() }
let rate = perSecond
let ratio = speedup
func size(_ path: String) -> UInt64 { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0 }

let count = quick ? 100_000 : 1_000_000
let batch = 10_000
// Keys like catalogue paths, values like small records; inserted in random order.
let keys = (0..<count).map { Array(String(format: "home/user/files/%08d.dat", $0).utf8) }
let values = (0..<count).map { i in Array("{\"size\":\(i * 37),\"hash\":\"\(String(nextRandom(), radix: 16))\"}".utf8) }
let order: [Int] = {
    var order = Array(0..<count)
    for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(nextRandom() % UInt64(i + 1))) }
    return order
}()

print("MaimoIndex against SQLite via GRDB (WAL, synchronous=NORMAL), \(count) keys")
print("")

func insertMaimo(sync: Bool) throws -> (Double, String) {
    let path = root + "/maimo-\(sync).db"
    var options = IndexDatabase.Options()
    options.syncCommits = sync
    let db = try IndexDatabase(path: path, options: options)
    let time = try best(1) {
        for start in stride(from: 0, to: count, by: batch) {
            try db.write { tx in
                for i in order[start..<min(count, start + batch)] { try tx.put("files", keys[i], values[i]) }
            }
        }
    }
    db.close()
    return (time, path)
}
let (maimoInsert, maimoPath) = try insertMaimo(sync: true)
let (maimoInsertNoSync, _) = try insertMaimo(sync: false)

let sqlitePath = root + "/sqlite.db"
var configuration = Configuration()
configuration.prepareDatabase { db in
    try db.execute(sql: "PRAGMA journal_mode = WAL")
    try db.execute(sql: "PRAGMA synchronous = NORMAL")
}
let sqlite = try DatabaseQueue(path: sqlitePath, configuration: configuration)
try sqlite.write { try $0.execute(sql: "CREATE TABLE files (key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID") }
let dataKeys = keys.map { Data($0) }
let dataValues = values.map { Data($0) }
let sqliteInsert = try best(1) {
    for start in stride(from: 0, to: count, by: batch) {
        try sqlite.write { db in
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO files (key, value) VALUES (?, ?)")
            for i in order[start..<min(count, start + batch)] { try statement.execute(arguments: [dataKeys[i], dataValues[i]]) }
        }
    }
}
_ = try sqlite.writeWithoutTransaction { try $0.checkpoint(.truncate) }
print("batched inserts, random order, \(batch) per transaction")
print("  MaimoIndex, synced commits      \(rate(count, maimoInsert))  \(ratio(sqliteInsert, maimoInsert)) SQLite")
print("  MaimoIndex, no-sync commits     \(rate(count, maimoInsertNoSync))  \(ratio(sqliteInsert, maimoInsertNoSync)) SQLite")
print("  SQLite (GRDB)                   \(rate(count, sqliteInsert))")
print(String(format: "file size: MaimoIndex %.1f MB, SQLite %.1f MB (after a WAL checkpoint)", Double(size(maimoPath)) / 1e6, Double(size(sqlitePath)) / 1e6))
print("")

let db = try IndexDatabase(path: maimoPath)
let lookups = quick ? 100_000 : 300_000
let probe = (0..<lookups).map { _ in Int(nextRandom() % UInt64(count)) }
var sink = 0
let maimoLookup = try best(3) {
    try db.read { tx in for i in probe { sink &+= try tx.get("files", keys[i])!.count } }
}
let sqliteLookup = try best(3) {
    try sqlite.read { db in
        let statement = try db.cachedStatement(sql: "SELECT value FROM files WHERE key = ?")
        for i in probe { sink &+= try Data.fetchOne(statement, arguments: [dataKeys[i]])!.count }
    }
}
print("random point lookups, \(lookups) (warm cache)")
print("  MaimoIndex    \(rate(lookups, maimoLookup))  \(ratio(sqliteLookup, maimoLookup)) SQLite")
print("  SQLite (GRDB) \(rate(lookups, sqliteLookup))")
print("")

let scans = quick ? 2_000 : 10_000
let starts = (0..<scans).map { _ in Int(nextRandom() % UInt64(count - 100)) }
let maimoScan = try best(3) {
    try db.read { tx in
        for start in starts {
            var cursor = try tx.cursor("files")
            var n = 0
            try cursor.scan(from: keys[start]) { _, value in sink &+= value.count; n += 1; return n < 100 }
        }
    }
}
let sqliteScan = try best(3) {
    try sqlite.read { db in
        let statement = try db.cachedStatement(sql: "SELECT key, value FROM files WHERE key >= ? ORDER BY key LIMIT 100")
        for start in starts {
            let rows = try Row.fetchCursor(statement, arguments: [dataKeys[start]])
            while let row = try rows.next() { sink &+= (row[1] as Data).count }
        }
    }
}
print("range scans of 100 keys from random starts, \(scans) scans")
print("  MaimoIndex    \(rate(scans * 100, maimoScan)) keys  \(ratio(sqliteScan, maimoScan)) SQLite")
print("  SQLite (GRDB) \(rate(scans * 100, sqliteScan)) keys")
print("")
db.close()

// pread or mmap: lookups with a cache too small to help (every lookup reads its pages again),
// so that the read path itself is what is measured. The file stays in the page cache.
for memoryMap in [false, true] {
    var options = IndexDatabase.Options()
    options.memoryMap = memoryMap
    options.cachePages = 64
    let cold = try IndexDatabase(path: maimoPath, options: options)
    let time = try best(3) {
        try cold.read { tx in for i in probe { sink &+= try tx.get("files", keys[i])!.count } }
    }
    print("lookups with a 64-page cache, pages read with \(memoryMap ? "mmap " : "pread"): \(rate(lookups, time))")
    cold.close()
}
print("")
let before = size(maimoPath)
let compact = try best(1) { _ = try IndexDatabase.compact(path: maimoPath) }
print(String(format: "compaction: %.1f MB -> %.1f MB in %.2f s", Double(before) / 1e6, Double(size(maimoPath)) / 1e6, compact))
if sink == 42 { print("") }
