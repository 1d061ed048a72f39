// libFuzzer target: opening an index file (Docs/Index.md) made of arbitrary bytes, checking it,
// and reading every table. What must hold: no crash and no hang, only typed errors; and when
// `check()` finds the file healthy, every table scans to the end without an error and yields
// exactly the keys the check counted.
import Foundation
import FuzzSupport
import MaimoIndex

let directory = FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
let path = directory + "/maimo-fuzz-index-\(getpid()).db"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIndex(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    // An empty file would be created as a new database: nothing of the decoder runs.
    guard size > 0 else { return 0 }
    FileManager.default.createFile(atPath: path, contents: Data(fuzzInput(data, size)))
    defer { try? FileManager.default.removeItem(atPath: path) }
    var options = IndexDatabase.Options()
    options.createIfMissing = false
    guard let database = try? IndexDatabase(path: path, options: options) else { return 0 }
    defer { database.close() }
    guard let report = try? database.check() else { return 0 }
    var scanned: UInt64 = 0
    do {
        for table in try database.tables() {
            try database.read { transaction in
                var cursor = try transaction.cursor(table)
                try cursor.scan { _, _ in
                    scanned += 1
                    return true
                }
            }
        }
    } catch {
        precondition(!report.isHealthy, "a file check() found healthy failed to scan: \(error)")
        return 0
    }
    if report.isHealthy { precondition(scanned == report.keys, "check() counted \(report.keys) keys, the scan \(scanned)") }
    return 0
}
