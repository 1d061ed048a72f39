// MaimoKeystore next to SQLite through GRDB (WAL, synchronous=NORMAL, batched transactions), in
// one run, on the same file system, as ratios: batched puts of 1 KiB values, random gets,
// 4 KiB ranged reads inside a 1 GiB value, open time with a million keys, compaction.
//
//   swift run -c release --package-path Benchmarks keystore-compare [--quick] [--dir PATH]
import CompareSupport
import Foundation
import GRDB
import MaimoKeystore

let arguments = CommandLine.arguments
let quick = arguments.contains("--quick")
let scratch = try ScratchDirectory(name: "maimo-keystore-compare")
let base = scratch.base
let root = scratch.path
defer { scratch.remove() }

nonisolated(unsafe) var generator = XorShift()
func nextRandom() -> UInt64 { generator.next() }
func randomBytes(_ count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { raw in
        var i = 0
        while i + 8 <= count { raw.storeBytes(of: nextRandom(), toByteOffset: i, as: UInt64.self); i += 8 }
        while i < count { raw[i] = UInt8(truncatingIfNeeded: nextRandom()); i += 1 }
    }
    return bytes
}
func key(_ i: Int) -> [UInt8] { Array("key-\(String(i, radix: 16))-\(i &* 2_654_435_761 % 1_000_003)".utf8) }
let rate = perSecond
let ratio = speedup

func openSQLite(_ path: String) throws -> DatabaseQueue {
    var configuration = Configuration()
    configuration.prepareDatabase { db in
        try db.execute(sql: "PRAGMA journal_mode = WAL")
        try db.execute(sql: "PRAGMA synchronous = NORMAL")
    }
    let queue = try DatabaseQueue(path: path, configuration: configuration)
    try queue.write { db in
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID")
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS chunks (key BLOB NOT NULL, chunk INTEGER NOT NULL, value BLOB NOT NULL, PRIMARY KEY (key, chunk)) WITHOUT ROWID")
    }
    return queue
}

print("MaimoKeystore against SQLite \(try DatabaseQueue().read { try String.fetchOne($0, sql: "SELECT sqlite_version()") ?? "?" }) via GRDB (WAL, synchronous=NORMAL)")
print("files in \(base); \(ProcessInfo.processInfo.activeProcessorCount) cores")
print("")

// 1. Batched puts of 1 KiB values, 1000 per batch / transaction.
let count = quick ? 20_000 : 200_000
let batchSize = 1000
let values = (0..<1024).map { _ in randomBytes(1024) }
let keys = (0..<count).map(key)

func maimoPuts(_ durability: KeyValueStore.Durability) throws -> Double {
    let directory = root + "/puts-\(durability)"
    var options = KeyValueStore.Options()
    options.durability = durability
    let store = try KeyValueStore(directory: directory, options: options)
    let start = benchmarkClock.now
    var i = 0
    while i < count {
        var batch = WriteBatch()
        for j in i..<min(count, i + batchSize) { batch.put(keys[j], values[j & 1023]) }
        try store.write(batch)
        i += batchSize
    }
    try store.sync()
    let time = seconds(benchmarkClock.now - start)
    try store.close()
    return time
}
let maimoGroupPut = try maimoPuts(.groupCommit)
let maimoNonePut = try maimoPuts(.none)

let sqlitePath = root + "/sqlite.db"
let sqlite = try openSQLite(sqlitePath)
let dataValues = values.map { Data($0) }
let dataKeys = keys.map { Data($0) }
let sqlitePut = try best(1) {
    var i = 0
    while i < count {
        try sqlite.write { db in
            let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)")
            for j in i..<min(count, i + batchSize) {
                try statement.execute(arguments: [dataKeys[j], dataValues[j & 1023]])
            }
        }
        i += batchSize
    }
}
print("batched puts, \(count) × 1 KiB in batches of \(batchSize)")
print("  MaimoKeystore, group commit (fdatasync per batch) \(rate(count, maimoGroupPut))  \(ratio(sqlitePut, maimoGroupPut)) SQLite")
print("  MaimoKeystore, durability none                    \(rate(count, maimoNonePut))  \(ratio(sqlitePut, maimoNonePut)) SQLite")
print("  SQLite (GRDB), one transaction per batch          \(rate(count, sqlitePut))")
print("")

// 2. Random gets over the same keys (page cache warm for both).
let gets = quick ? 20_000 : 200_000
let order = (0..<gets).map { _ in Int(nextRandom() % UInt64(count)) }
let maimoStore = try KeyValueStore(directory: root + "/puts-groupCommit")
var sink = 0
let maimoGet = try best(3) {
    for i in order { sink &+= try maimoStore.get(keys[i])!.count }
}
let sqliteGet = try best(3) {
    try sqlite.read { db in
        let statement = try db.cachedStatement(sql: "SELECT value FROM kv WHERE key = ?")
        for i in order { sink &+= try Data.fetchOne(statement, arguments: [dataKeys[i]])!.count }
    }
}
print("random gets of 1 KiB values, \(gets) lookups")
print("  MaimoKeystore \(rate(gets, maimoGet))  \(ratio(sqliteGet, maimoGet)) SQLite")
print("  SQLite (GRDB) \(rate(gets, sqliteGet))")
print("")
try maimoStore.close()

// 3. 4 KiB ranged reads inside a 1 GiB value. SQLite's default maximum blob is 1e9 bytes, so
// the SQLite side stores the value as 64 KiB chunk rows, as an application would.
let bigSize = quick ? 64 << 20 : 1 << 30
let chunk = 64 << 10
let bigStore = try KeyValueStore(directory: root + "/big")
let piece = randomBytes(chunk)
let writeBig = try best(1) {
    let writer = try bigStore.makeWriter(for: Array("big".utf8))
    for _ in 0..<(bigSize / chunk) { try writer.write(piece) }
    try writer.commit()
}
let writeBigSQLite = try best(1) {
    var written = 0
    while written < bigSize {
        try sqlite.write { db in
            let statement = try db.cachedStatement(sql: "INSERT INTO chunks (key, chunk, value) VALUES (?, ?, ?)")
            for _ in 0..<256 where written < bigSize {
                try statement.execute(arguments: [Data("big".utf8), written / chunk, Data(piece)])
                written += chunk
            }
        }
    }
}
let reads = quick ? 5_000 : 50_000
let offsets = (0..<reads).map { _ in Int(nextRandom() % UInt64(bigSize - 4096)) }
let reader = try bigStore.reader(for: Array("big".utf8))!
var buffer = [UInt8](repeating: 0, count: 4096)
let maimoRange = try best(3) {
    for offset in offsets {
        try buffer.withUnsafeMutableBytes { try reader.read(into: $0, at: UInt64(offset)) }
        sink &+= Int(buffer[0])
    }
}
let sqliteRange = try best(3) {
    try sqlite.read { db in
        let statement = try db.cachedStatement(sql: "SELECT value FROM chunks WHERE key = ? AND chunk BETWEEN ? AND ? ORDER BY chunk")
        for offset in offsets {
            let rows = try Data.fetchAll(statement, arguments: [Data("big".utf8), offset / chunk, (offset + 4095) / chunk])
            sink &+= rows.count
        }
    }
}
print("4 KiB reads at random offsets of a \(bigSize >> 20) MiB value, \(reads) reads")
print("  MaimoKeystore (one blob, 16 KiB frames)     \(rate(reads, maimoRange))  \(ratio(sqliteRange, maimoRange)) SQLite")
print("  SQLite (GRDB, 64 KiB chunk rows)            \(rate(reads, sqliteRange))")
print(String(format: "  writing the value: MaimoKeystore %.2f GB/s, SQLite %.2f GB/s", Double(bigSize) / writeBig / 1e9, Double(bigSize) / writeBigSQLite / 1e9))
print("")
try bigStore.close()
try? FileManager.default.removeItem(atPath: root + "/big")

// 4. Open time with a million keys (16-byte keys, 32-byte values).
let million = quick ? 100_000 : 1_000_000
do {
    let directory = root + "/million"
    var options = KeyValueStore.Options()
    options.durability = .none
    let store = try KeyValueStore(directory: directory, options: options)
    var i = 0
    let small = randomBytes(32)
    while i < million {
        var batch = WriteBatch()
        for j in i..<min(million, i + 10_000) { batch.put(key(j), small) }
        try store.write(batch)
        i += 10_000
    }
    try store.close()
    let open = try best(3) {
        let reopened = try KeyValueStore(directory: directory)
        precondition(reopened.count == million)
        try reopened.close()
    }
    let reopened = try KeyValueStore(directory: directory)
    let recovery = reopened.recovery
    try reopened.close()
    print("open with \(million) keys: \(String(format: "%.3f s", open)) (\(recovery.segmentsFromHints) segments from hint files, \(recovery.segmentsScanned) scanned)")
    // As after a crash: no hint for the active segment, so it is scanned record by record.
    for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".hint") || name == "CLOSED" {
        try FileManager.default.removeItem(atPath: directory + "/" + name)
    }
    var scanned = 0
    let scan = try best(1) {
        let reopened = try KeyValueStore(directory: directory)
        scanned = reopened.recovery.segmentsScanned
        precondition(reopened.count == million)
        try reopened.close()
    }
    print("open with \(million) keys after a crash (no hints): \(String(format: "%.3f s", scan)) (\(scanned) segments scanned)")
}
print("")

// 5. Compaction: overwrite every key of the put benchmark once, then compact.
do {
    var options = KeyValueStore.Options()
    options.automaticCompaction = false
    options.durability = .none
    let store = try KeyValueStore(directory: root + "/puts-none", options: options)
    var i = 0
    while i < count {
        var batch = WriteBatch()
        for j in i..<min(count, i + batchSize) { batch.put(keys[j], values[(j + 1) & 1023]) }
        try store.write(batch)
        i += batchSize
    }
    var report = CompactionReport()
    let time = try best(1) { report = try store.compact() }
    try store.close()
    let vacuum = try best(1) {
        try sqlite.write { db in
            for j in 0..<count { try db.execute(sql: "UPDATE kv SET value = ? WHERE key = ?", arguments: [dataValues[(j + 1) & 1023], dataKeys[j]]) }
        }
        try sqlite.vacuum()
    }
    print("compaction after overwriting all \(count) values")
    print(String(format: "  MaimoKeystore compact: %.2f s, %.0f MB/s read (%.0f MB -> %.0f MB)", time,
                 Double(report.bytesBefore) / time / 1e6, Double(report.bytesBefore) / 1e6, Double(report.bytesAfter) / 1e6))
    print(String(format: "  SQLite update + VACUUM: %.2f s (context)", vacuum))
}
if sink == 42 { print("") }
