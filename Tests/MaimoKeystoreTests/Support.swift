import Foundation
@testable import MaimoKeystore

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init(_ name: String = "kv") {
        let base = NSTemporaryDirectory() + "maimo-\(name)-\(UInt64.random(in: 0...UInt64.max))"
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func files(withSuffix suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
            .filter { $0.hasSuffix(suffix) }.sorted().map { path + "/" + $0 }
    }
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }

/// Options that make rotation, blobs and compaction happen with little data.
func smallOptions(durability: KeyValueStore.Durability = .groupCommit) -> KeyValueStore.Options {
    var options = KeyValueStore.Options()
    options.durability = durability
    options.segmentSize = 16 << 10
    options.blobThreshold = 2048
    options.blobFrameSize = 512
    options.compactionThreshold = 0.4
    return options
}

/// Flips one bit of the byte at `offset` of `path`.
func flipByte(in path: String, at offset: UInt64) {
    let handle = FileHandle(forUpdatingAtPath: path)!
    try! handle.seek(toOffset: offset)
    let byte = try! handle.read(upToCount: 1)!
    try! handle.seek(toOffset: offset)
    try! handle.write(contentsOf: Data([byte[0] ^ 0x10]))
    try! handle.close()
}

func fileSize(_ path: String) -> UInt64 {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
}
