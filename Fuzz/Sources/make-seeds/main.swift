// Writes the seed corpora of the fuzz targets whose valid inputs Maimo's own encoders make
// (run from Fuzz/: `swift run make-seeds`; the files are committed, small). The zstd seeds come
// from the reference tool instead (see README.md).
import Foundation
import FuzzFixtures
import MaimoBao
import MaimoBlake3
import MaimoCipher
import MaimoRepository
import MaimoWire

func write(_ target: String, _ name: String, _ bytes: [UInt8]) {
    let directory = "Corpus/\(target)"
    try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: "\(directory)/\(name)", contents: Data(bytes))
}

// fuzz-bao: the combined encoding of each fixed content, and slices of it (same contents and
// selector layout as FuzzBao.swift).
let lengths = [0, 1, 1024, 1025, 5000, 70000]
for (which, length) in lengths.enumerated() {
    let content = fixedBytes(length, seed: UInt64(which))
    let encoding = Bao.encode(content).encoding
    if length <= 5000 { write("fuzz-bao", "encoding-\(length)", [UInt8(which)] + encoding) }
    for (start, count) in [(0, 1), (1000, 100), (4096, 2000), (69_000, 5000)] where start < max(length, 1) {
        let slice = try! Bao.slice(encoding: encoding, start: UInt64(start), count: UInt64(count))
        let header = [UInt8(which) | 0x80] + (0..<4).map { UInt8(truncatingIfNeeded: start >> (8 * $0)) }
            + (0..<4).map { UInt8(truncatingIfNeeded: count >> (8 * $0)) }
        write("fuzz-bao", "slice-\(length)-\(start)-\(count)", header + slice)
    }
}

// fuzz-segmented: the fixed plaintext sealed under the fixed key, with and without padding.
let key = try! CipherKey(bytes: fixedBytes(32, seed: 1))
let plaintext = fixedBytes(3000, seed: 2)
for pad in [false, true] {
    var encryptor = try! SegmentedEncryptor(key: key, contentLength: UInt64(plaintext.count), segmentSize: 1024, pad: pad)
    let sealed = encryptor.header + (try! encryptor.update(plaintext)) + (try! encryptor.finalize())
    write("fuzz-segmented", pad ? "padded" : "plain", sealed)
}

// fuzz-wire: one stream of every request and reply the codec knows.
let root = Blake3.hash(Array("maimo".utf8))
let requests: [WireRequest] = [
    .stat, .status(root), .put(root: root, length: 5000, start: 0), .data(offset: 0, bytes: [1, 2, 3]),
    .get(root: root, offset: 0, length: .max), .slice(root: root, start: 100, count: 4096), .delete(root),
    .list(after: nil, limit: 100), .list(after: root, limit: 1),
]
write("fuzz-wire", "requests", requests.enumerated().flatMap { $1.frame(request: UInt32($0)).encoded() })
let replies: [WireResponse] = [
    .ready(offset: 4096), .stored, .deleted(existed: true), .listing([.init(root: root, length: 77)]),
    .data([9, 8, 7], last: true), .error(.notFound, "no such blob"),
]
write("fuzz-wire", "replies", replies.enumerated().flatMap { $1.frame(request: UInt32($0)).encoded() })

// fuzz-recovery-code: a code as printed, and as typed in capitals.
let code = RecoveryCode.encode(fixedBytes(32, seed: 3))
write("fuzz-recovery-code", "printed", Array(code.utf8))
write("fuzz-recovery-code", "capitals", Array(code.uppercased().utf8))
print("seeds written")
