import Foundation
import MaimoTestSupport
import Testing
@testable import MaimoIndex

struct TupleTests {
    /// Encoded order equals tuple order, on random tuples checked against a direct comparison.
    @Test func encodingPreservesOrder() throws {
        var generator = SeededGenerator.fromEnvironment("tuple order")
        func element() -> TupleElement {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: return .int(Int64.random(in: -5...5, using: &generator) * (Bool.random(using: &generator) ? 1 : 1 << 40))
            case 1: return .uint(UInt64.random(in: 0...6, using: &generator) << (Bool.random(using: &generator) ? 0 : 50))
            case 2: return .string(["", "a", "ab", "a\u{0}", "b", "é", "\u{0}"].randomElement(using: &generator)!)
            default: return .bytes([[], [0], [0, 0], [0, 255], [1], [255], [0, 1]].randomElement(using: &generator)!)
            }
        }
        func typeRank(_ e: TupleElement) -> Int {
            switch e { case .bytes: 1; case .string: 2; case .int: 16; case .uint: 17 }
        }
        func less(_ a: [TupleElement], _ b: [TupleElement]) -> Bool {
            for (x, y) in zip(a, b) where x != y {
                if typeRank(x) != typeRank(y) { return typeRank(x) < typeRank(y) }
                switch (x, y) {
                case (.int(let p), .int(let q)): return p < q
                case (.uint(let p), .uint(let q)): return p < q
                case (.string(let p), .string(let q)): return Array(p.utf8).lexicographicallyPrecedes(Array(q.utf8))
                case (.bytes(let p), .bytes(let q)): return p.lexicographicallyPrecedes(q)
                default: return false
                }
            }
            return a.count < b.count
        }
        for _ in 0..<3000 {
            let a = (0..<Int.random(in: 0...3, using: &generator)).map { _ in element() }
            let b = (0..<Int.random(in: 0...3, using: &generator)).map { _ in element() }
            let (ea, eb) = (KeyTuple.encode(a), KeyTuple.encode(b))
            #expect(try KeyTuple.decode(ea) == a)
            if a == b { #expect(ea == eb) } else {
                #expect(less(a, b) == ea.lexicographicallyPrecedes(eb), "\(a) vs \(b)")
            }
            #expect(KeyTuple.encode(a + b).starts(with: ea))
        }
        #expect(throws: TupleError.malformed(offset: 0, reason: "unknown element type 9")) { try KeyTuple.decode([9]) }
        #expect(throws: TupleError.malformed(offset: 2, reason: "unterminated byte string")) { try KeyTuple.decode([1, 65]) }
    }

    struct FileRow: Codable, Equatable {
        var size: UInt64
        var hash: String
        var revisions: [Int]
    }

    @Test func typedRowsAndCompaction() throws {
        let path = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let db = try IndexDatabase(path: path)
            try db.write { (tx) throws in
                for i in 0..<2000 {
                    try tx.put("files", key: [.string("home"), .uint(UInt64(i))], record: FileRow(size: UInt64(i), hash: "h\(i)", revisions: [i]))
                }
            }
            try db.write { (tx) throws in for i in 0..<1800 { try tx.delete("files", KeyTuple.encode([.string("home"), .uint(UInt64(i))])) } }
            db.close()
        }
        let (before, after) = try IndexDatabase.compact(path: path)
        #expect(after < before)
        let db = try IndexDatabase(path: path)
        #expect(try db.check().isHealthy)
        try db.read { (tx) throws in
            #expect(try tx.count("files") == 200)
            #expect(try tx.get("files", key: [.string("home"), .uint(1999)], as: FileRow.self) == FileRow(size: 1999, hash: "h1999", revisions: [1999]))
            var cursor = try tx.cursor("files")
            var sizes: [UInt64] = []
            try cursor.scan(prefix: KeyTuple.encode([.string("home")])) { _, value in
                sizes.append(try RecordCoder.decode(FileRow.self, from: value).size)
                return true
            }
            #expect(sizes == Array(1800..<2000))
        }
    }
}
