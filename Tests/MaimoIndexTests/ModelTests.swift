import Foundation
import MaimoTestSupport
import Testing
@testable import MaimoIndex

/// Random transactions (puts of small and overflow values, deletes, rollbacks, dropped tables)
/// against a dictionary of sorted dictionaries, with reopens and snapshot checks.
struct IndexModelTests {
    @Test(arguments: [(1024, false), (4096, true)])
    func randomTransactionsMatchASortedModel(pageSize: Int, memoryMap: Bool) throws {
        var generator = SeededGenerator.fromEnvironment("index model \(pageSize)\(memoryMap ? " mmap" : "")")
        let path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = IndexDatabase.Options()
        options.pageSize = pageSize
        options.memoryMap = memoryMap
        options.syncCommits = false
        var db = try IndexDatabase(path: path, options: options)
        var model: [String: [[UInt8]: [UInt8]]] = [:]

        func check(_ db: IndexDatabase, _ model: [String: [[UInt8]: [UInt8]]], _ step: Int) throws {
            try db.read { (tx) throws in
                #expect(try tx.tables() == model.keys.sorted(), "step \(step)")
                for (table, rows) in model {
                    var cursor = try tx.cursor(table)
                    var seen: [([UInt8], [UInt8])] = []
                    try cursor.scan { key, value in seen.append((key, value)); return true }
                    let expected = rows.sorted { compareBytes($0.key, $1.key) < 0 }
                    #expect(seen.map(\.0) == expected.map(\.key), "step \(step), table \(table)")
                    #expect(seen.map(\.1) == expected.map(\.value), "step \(step), table \(table)")
                    #expect(try tx.count(table) == UInt64(rows.count))
                }
            }
        }

        for step in 0..<150 {
            let rollback = Int.random(in: 0..<10, using: &generator) == 0
            var draft = model
            struct Abandon: Error {}
            do {
                try db.write { (tx) throws in
                    for _ in 0..<Int.random(in: 1...60, using: &generator) {
                        let table = "t\(Int.random(in: 0..<3, using: &generator))"
                        let key = bytes("key-\(Int.random(in: 0..<400, using: &generator))")
                        switch Int.random(in: 0..<100, using: &generator) {
                        case 0..<60:
                            let size = Int.random(in: 0..<20, using: &generator) == 0 ? Int.random(in: 300...6000, using: &generator)
                                                                                      : Int.random(in: 0...40, using: &generator)
                            let value = randomBytes(size, using: &generator)
                            try tx.put(table, key, value)
                            draft[table, default: [:]][key] = value
                        case 60..<95:
                            if draft[table] != nil {
                                let removed = try tx.delete(table, key)
                                #expect(removed == (draft[table]![key] != nil))
                                draft[table]![key] = nil
                            }
                        case 95..<97:
                            if draft[table] != nil {
                                try tx.dropTable(table)
                                draft[table] = nil
                            }
                        default:
                            if let rows = draft[table] { #expect(try tx.get(table, key) == rows[key]) }
                        }
                    }
                    if rollback { throw Abandon() }
                }
                model = draft
            } catch is Abandon {
            }
            if step % 25 == 24 {
                db.close()
                db = try IndexDatabase(path: path, options: options)
            }
            if step % 10 == 0 {
                try check(db, model, step)
                let report = try db.check()
                #expect(report.isHealthy, "step \(step): \(report.problems)")
            }
        }
        try check(db, model, 150)
    }
}
