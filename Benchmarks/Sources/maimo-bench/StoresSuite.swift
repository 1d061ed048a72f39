import BenchReport
import CompareSupport
import Foundation
import GRDB
import MaimoIndex
import MaimoKeystore

/// MaimoKeystore and MaimoIndex against SQLite through GRDB (WAL, synchronous=NORMAL, one
/// transaction per batch), the store a Swift developer would otherwise pick, on the same file
/// system in the same run: operations per second. Large values, open time and compaction are in
/// KeystoreLargeSuite.swift.
enum StoresSuite: Suite {
    static let name = "stores"
    static let summary = "MaimoKeystore and MaimoIndex against SQLite (GRDB)"

    static func run(_ bench: Bench) throws -> [Figure] {
        let sqliteVersion = try DatabaseQueue().read { try String.fetchOne($0, sql: "SELECT sqlite_version()") ?? "?" }
        let reference = "SQLite \(sqliteVersion) (GRDB, WAL)"
        var figures: [Figure] = []
        var generator = XorShift()
        func add(_ module: String, _ name: String, _ ours: Sample, _ theirs: Sample?, note: String) {
            figures.append(Figure(module: module, name: name, unit: "ops/s", ours: ours, reference: reference, theirs: theirs, note: note))
            report(figures.last!)
        }

        // MaimoKeystore: batched puts of 1 KiB values (a group commit per batch of 1000 against a
        // transaction per batch), then random gets of them.
        let count = bench.quick ? 20_000 : 100_000
        let values = (0..<256).map { _ in (0..<1024).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }
        let keys = (0..<count).map { Array("key-\(String($0, radix: 16))-\($0 &* 2_654_435_761 % 1_000_003)".utf8) }
        let dataKeys = keys.map { Data($0) }, dataValues = values.map { Data($0) }
        var round = 0
        var stores: [KeyValueStore] = []
        var queues: [DatabaseQueue] = []
        defer { for store in stores { try? store.close() } }
        let (puts, sqlitePuts) = try bench.pairs({
            round += 1
            let store = try KeyValueStore(directory: bench.directory + "/keystore-\(round)")
            stores.append(store)
            let seconds = try timed {
                for start in stride(from: 0, to: count, by: 1000) {
                    var batch = WriteBatch()
                    for j in start..<min(count, start + 1000) { batch.put(keys[j], values[j & 255]) }
                    try store.write(batch)
                }
                try store.sync()
            }
            return Double(count) / seconds
        }, {
            let queue = try sqlite(bench.directory + "/keystore-sqlite-\(round).db")
            queues.append(queue)
            let seconds = try timed {
                for start in stride(from: 0, to: count, by: 1000) {
                    try queue.write { db in
                        let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)")
                        for j in start..<min(count, start + 1000) { try statement.execute(arguments: [dataKeys[j], dataValues[j & 255]]) }
                    }
                }
            }
            return Double(count) / seconds
        })
        add("MaimoKeystore", "batched puts of 1 KiB values", puts, sqlitePuts, note: "\(count) puts, 1000 per synced batch")

        let order = (0..<count).map { _ in Int(generator.next() % UInt64(count)) }
        var sink = 0
        let (gets, sqliteGets) = try bench.pairs({
            Double(count) / (try best(2) { for i in order { sink &+= try stores[0].get(keys[i])!.count } })
        }, {
            Double(count) / (try best(2) {
                try queues[0].read { db in
                    let statement = try db.cachedStatement(sql: "SELECT value FROM kv WHERE key = ?")
                    for i in order { sink &+= try Data.fetchOne(statement, arguments: [dataKeys[i]])!.count }
                }
            })
        })
        add("MaimoKeystore", "random gets of 1 KiB values", gets, sqliteGets, note: "warm cache")
        figures += try largeValues(bench, reference: reference)

        // MaimoIndex: a table of paths to small JSON rows; point lookups and 100-row range scans.
        let rows = bench.quick ? 100_000 : 300_000
        let paths = (0..<rows).map { Array(String(format: "home/user/files/%08d.dat", $0).utf8) }
        let json = (0..<rows).map { Array("{\"size\":\($0 * 37),\"hash\":\"\(String(generator.next(), radix: 16))\"}".utf8) }
        let index = try IndexDatabase(path: bench.directory + "/index.db")
        defer { index.close() }
        let table = try sqlite(bench.directory + "/index-sqlite.db")
        let dataPaths = paths.map { Data($0) }, dataJSON = json.map { Data($0) }
        // Inserted once each (a second round would be updates), in random order, 10,000 rows per
        // synced commit.
        let insertion = (0..<rows).shuffled(using: &generator)
        let indexInsert = try timed {
            for start in stride(from: 0, to: rows, by: 10_000) {
                try index.write { tx in for i in insertion[start..<min(rows, start + 10_000)] { try tx.put("files", paths[i], json[i]) } }
            }
        }
        let sqliteInsert = try timed {
            for start in stride(from: 0, to: rows, by: 10_000) {
                try table.write { db in
                    let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)")
                    for i in insertion[start..<min(rows, start + 10_000)] { try statement.execute(arguments: [dataPaths[i], dataJSON[i]]) }
                }
            }
        }
        add("MaimoIndex", "batched inserts in random order", Sample([Double(rows) / indexInsert]), Sample([Double(rows) / sqliteInsert]),
            note: "\(rows) rows, 10,000 per synced commit, one round")
        _ = try table.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        let sizes = [bench.directory + "/index.db", bench.directory + "/index-sqlite.db"].map {
            ((try? FileManager.default.attributesOfItem(atPath: $0))?[.size] as? NSNumber)?.doubleValue ?? 0
        }
        figures.append(Figure(module: "MaimoIndex", name: "file size after the inserts", unit: "bytes", higherIsBetter: false,
                              ours: Sample([sizes[0]]), reference: reference, theirs: Sample([sizes[1]]), note: "SQLite after a WAL checkpoint"))
        report(figures.last!)
        let probes = (0..<(bench.quick ? 100_000 : 300_000)).map { _ in Int(generator.next() % UInt64(rows)) }
        let (lookups, sqliteLookups) = try bench.pairs({
            Double(probes.count) / (try best(2) { try index.read { tx in for i in probes { sink &+= try tx.get("files", paths[i])!.count } } })
        }, {
            Double(probes.count) / (try best(2) {
                try table.read { db in
                    let statement = try db.cachedStatement(sql: "SELECT value FROM kv WHERE key = ?")
                    for i in probes { sink &+= try Data.fetchOne(statement, arguments: [dataPaths[i]])!.count }
                }
            })
        })
        add("MaimoIndex", "random point lookups", lookups, sqliteLookups, note: "\(rows) rows, warm cache")

        let starts = (0..<(bench.quick ? 2_000 : 10_000)).map { _ in Int(generator.next() % UInt64(rows - 100)) }
        let (scans, sqliteScans) = try bench.pairs({
            Double(starts.count) / (try best(2) {
                try index.read { tx in
                    for start in starts {
                        var cursor = try tx.cursor("files")
                        var n = 0
                        try cursor.scan(from: paths[start]) { _, value in sink &+= value.count; n += 1; return n < 100 }
                    }
                }
            })
        }, {
            Double(starts.count) / (try best(2) {
                try table.read { db in
                    let statement = try db.cachedStatement(sql: "SELECT key, value FROM kv WHERE key >= ? ORDER BY key LIMIT 100")
                    for start in starts {
                        let cursor = try Row.fetchCursor(statement, arguments: [dataPaths[start]])
                        while let row = try cursor.next() { sink &+= (row[1] as Data).count }
                    }
                }
            })
        })
        add("MaimoIndex", "range scans of 100 rows", scans, sqliteScans, note: "\(rows) rows, warm cache")
        if sink == -1 { print(sink) }
        return figures
    }

    /// A SQLite database as the comparisons set it up: WAL, synchronous=NORMAL, one table.
    static func sqlite(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.write { try $0.execute(sql: "CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL) WITHOUT ROWID") }
        return queue
    }
}
