// libFuzzer target: crash recovery of the keystore (Docs/Keystore.md) from one segment file of
// arbitrary bytes and no hint file, as after a crash. What must hold: no crash, only typed
// errors; every key the recovered store lists reads back; and recovery is idempotent — a second
// open of what the first left finds the same keys with the same values.
import Foundation
import FuzzSupport
import MaimoKeystore

let base = (FileManager.default.isWritableFile(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
    + "/maimo-fuzz-keystore-\(getpid())"

/// Every key and its value, or nil when the store cannot be opened or read.
func contents(_ directory: String) -> [[UInt8]: [UInt8]]? {
    guard let store = try? KeyValueStore(directory: directory) else { return nil }
    defer { try? store.close() }
    var result: [[UInt8]: [UInt8]] = [:]
    do {
        for key in try store.keys() {
            guard let value = try store.get(key) else { preconditionFailure("a listed key has no value") }
            result[key] = value
        }
    } catch {
        preconditionFailure("a recovered store failed to read its own keys: \(error)")
    }
    return result
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeystore(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    try? FileManager.default.removeItem(atPath: base)
    defer { try? FileManager.default.removeItem(atPath: base) }
    try! FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: base + "/0000000000000001.seg", contents: Data(fuzzInput(data, size)))
    guard let first = contents(base) else { return 0 }
    let second = contents(base)
    precondition(second == first, "a second recovery found other contents than the first")
    return 0
}
