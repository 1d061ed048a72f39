import BenchReport
import CompareSupport
import Foundation
import GRDB
import MaimoKeystore

/// The keystore figures beyond small values: 4 KiB reads inside one large value against SQLite
/// holding it as 64 KiB chunk rows (its default maximum blob is 10⁹ bytes), the open time with
/// many keys (from hint files, and scanned as after a crash), and compaction.
extension StoresSuite {
    static func largeValues(_ bench: Bench, reference: String) throws -> [Figure] {
        var figures: [Figure] = []
        var generator = XorShift()
        var sink = 0
        let bigSize = bench.quick ? 64 << 20 : 1 << 30, chunk = 64 << 10
        let store = try KeyValueStore(directory: bench.directory + "/big")
        defer { try? store.close(); try? FileManager.default.removeItem(atPath: bench.directory + "/big") }
        let sqlite = try chunkTable(bench.directory + "/big-sqlite.db")
        defer { try? FileManager.default.removeItem(atPath: bench.directory + "/big-sqlite.db") }
        let piece = (0..<chunk).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let writer = try store.makeWriter(for: Array("big".utf8))
        for _ in 0..<(bigSize / chunk) { try writer.write(piece) }
        try writer.commit()
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
        let reads = bench.quick ? 5_000 : 50_000
        let offsets = (0..<reads).map { _ in Int(generator.next() % UInt64(bigSize - 4096)) }
        guard let reader = try store.reader(for: Array("big".utf8)) else { fatalError("the large value just written is missing") }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let (ours, theirs) = try bench.pairs({
            Double(reads) / (try best(2) {
                for offset in offsets {
                    try buffer.withUnsafeMutableBytes { try reader.read(into: $0, at: UInt64(offset)) }
                    sink &+= Int(buffer[0])
                }
            })
        }, {
            Double(reads) / (try best(2) {
                try sqlite.read { db in
                    let statement = try db.cachedStatement(sql: "SELECT value FROM chunks WHERE key = ? AND chunk BETWEEN ? AND ? ORDER BY chunk")
                    for offset in offsets {
                        sink &+= try Data.fetchAll(statement, arguments: [Data("big".utf8), offset / chunk, (offset + 4095) / chunk]).count
                    }
                }
            })
        })
        figures.append(Figure(module: "MaimoKeystore", name: "4 KiB reads inside one large value", size: bigSize, unit: "ops/s",
                              ours: ours, reference: reference + ", 64 KiB chunk rows", theirs: theirs, note: "random offsets, warm cache"))
        report(figures.last!)
        figures += try reopening(bench)
        if sink == -1 { print(sink) }
        return figures
    }

    /// Open time with many keys (16-byte keys, 32-byte values): from hint files after a clean
    /// close, and scanning every record as after a crash; then compaction after overwriting all.
    static func reopening(_ bench: Bench) throws -> [Figure] {
        let count = bench.quick ? 100_000 : 1_000_000
        let directory = bench.directory + "/many"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = KeyValueStore.Options()
        options.durability = .none
        options.automaticCompaction = false
        let key = { (i: Int) -> [UInt8] in withUnsafeBytes(of: UInt64(i).bigEndian) { Array($0) } + Array("maimo-key".utf8.prefix(8)) }
        func fill(_ value: UInt8) throws {
            let store = try KeyValueStore(directory: directory, options: options)
            for start in stride(from: 0, to: count, by: 10_000) {
                var batch = WriteBatch()
                for j in start..<min(count, start + 10_000) { batch.put(key(j), [UInt8](repeating: value, count: 32)) }
                try store.write(batch)
            }
            try store.close()
        }
        try fill(1)
        var opens: [Double] = []
        for _ in 0..<(bench.quick ? 3 : 5) {
            opens.append(try timed {
                let store = try KeyValueStore(directory: directory)
                precondition(store.count == count, "a reopened store lost keys")
                try store.close()
            })
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) where name.hasSuffix(".hint") || name == "CLOSED" {
            try FileManager.default.removeItem(atPath: directory + "/" + name)
        }
        let scan = try timed {
            let store = try KeyValueStore(directory: directory)
            precondition(store.count == count, "a scanned store lost keys")
            try store.close()
        }
        try fill(2)
        let store = try KeyValueStore(directory: directory, options: options)
        var compaction = CompactionReport()
        let compactSeconds = try timed { compaction = try store.compact() }
        try store.close()
        let figures = [
            Figure(module: "MaimoKeystore", name: "open with \(count) keys (hint files)", unit: "s", higherIsBetter: false,
                   ours: Sample(opens), note: "after a clean close"),
            Figure(module: "MaimoKeystore", name: "open with \(count) keys (scanned, as after a crash)", unit: "s", higherIsBetter: false,
                   ours: Sample([scan]), note: "hint files removed"),
            Figure(module: "MaimoKeystore", name: "compaction after overwriting \(count) keys", unit: "MB/s",
                   ours: Sample([Double(compaction.bytesBefore) / compactSeconds / 1e6]),
                   note: String(format: "%.0f MB → %.0f MB", Double(compaction.bytesBefore) / 1e6, Double(compaction.bytesAfter) / 1e6)),
        ]
        figures.forEach(report)
        return figures
    }

    /// SQLite with a table of chunk rows for one large value.
    static func chunkTable(_ path: String) throws -> DatabaseQueue {
        let queue = try sqlite(path)
        try queue.write { try $0.execute(sql: "CREATE TABLE IF NOT EXISTS chunks (key BLOB NOT NULL, chunk INTEGER NOT NULL, value BLOB NOT NULL, PRIMARY KEY (key, chunk)) WITHOUT ROWID") }
        return queue
    }
}
