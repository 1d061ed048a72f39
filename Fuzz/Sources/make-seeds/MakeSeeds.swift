// Writes the seed corpora of the fuzz targets whose valid inputs Maimo's own encoders make
// (run from Fuzz/: `swift run make-seeds`; the files are committed, small). The zstd seeds come
// from the reference tool instead (see README.md).
import Foundation
import FuzzFixtures
import MaimoBao
import MaimoBlake3
import MaimoCipher
import MaimoIndex
import MaimoKeystore
import MaimoRepository
import MaimoTor
import MaimoWire

/// Writes a seed unless it exists (sealed seeds differ every run, by their random nonce);
/// `--force` rewrites them all, after a format change.
func write(_ target: String, _ name: String, _ bytes: [UInt8]) {
    let directory = "Corpus/\(target)"
    guard CommandLine.arguments.contains("--force") || !FileManager.default.fileExists(atPath: "\(directory)/\(name)") else { return }
    try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: "\(directory)/\(name)", contents: Data(bytes))
}

@main
enum MakeSeeds {
    static func main() {
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
        // fuzz-tor: control replies (single, multi-line, a data block), SOCKS5 replies, an onion address.
        let replyTexts = [
            "250-ServiceID=6dqtbc3wmcbq4x2o2jqt7jvymnh52mm3xkpdi4ngtdwdwxr5sffozuid\r\n250-PrivateKey=ED25519-V3:AAAA\r\n250 OK\r\n",
            "250+onions/current=\r\nabc\r\n..dotted\r\n.\r\n250 OK\r\n",
            "650 STATUS_CLIENT NOTICE BOOTSTRAP PROGRESS=100 TAG=done SUMMARY=\"Done\"\r\n",
            "515 Authentication failed: Wrong length on authentication cookie.\r\n",
        ]
        for (i, text) in replyTexts.enumerated() { write("fuzz-tor", "control-\(i)", [0] + Array(text.utf8)) }
        write("fuzz-tor", "socks-ipv4", [1, 5, 0, 0, 1, 0])
        write("fuzz-tor", "socks-name", [1, 5, 0, 0, 3, 22])
        write("fuzz-tor", "socks-refused", [1, 5, 0, 5, 1, 0])
        write("fuzz-tor", "onion", [2] + Array("6dqtbc3wmcbq4x2o2jqt7jvymnh52mm3xkpdi4ngtdwdwxr5sffozuid.onion".utf8))

        // fuzz-repository: a pack index, a tree with each kind of entry, a snapshot.
        let id = try! ItemID(fixedBytes(32, seed: 4)), other = try! ItemID(fixedBytes(32, seed: 5))
        let entry = ItemEntry(type: .data, compression: 1, dictionaryID: 7, id: id, offset: 0, storedLength: 1000, plaintextLength: 4000)
        let index = PackIndex(packs: [PackRecord(root: Blake3.hash([1]), length: 1000, entries: [entry])])
        write("fuzz-repository", "pack-index", [0] + index.encode())
        let tree = Tree(entries: [
            .init(name: Array("a.txt".utf8), mode: 0o100644, uid: 1000, gid: 1000, mtime: 1_700_000_000_000, ctime: 1_700_000_000_000,
                  inode: 12, device: 2049, content: .file(size: 5, chunks: [id])),
            .init(name: Array("dir".utf8), mode: 0o40755, uid: 0, gid: 0, mtime: 0, ctime: 0, inode: 13, device: 2049, content: .directory(other)),
            .init(name: Array("link".utf8), mode: 0o120777, uid: 0, gid: 0, mtime: -5, ctime: 0, inode: 14, device: 2049,
                  content: .symlink(Array("a.txt".utf8))),
        ])
        write("fuzz-repository", "tree", [1] + tree.encode())
        let snapshot = Snapshot(time: 1_765_000_000_000, root: id, chunker: .version2, files: 1, directories: 1, symlinks: 1, bytes: 5,
                                host: "maimo-host", paths: ["/home/user/docs"])
        write("fuzz-repository", "snapshot", [2] + snapshot.encode())
        // The catalogue's binary rows: placements (one plain copy; a copy and a keyed copy;
        // three keyed shards of 2-of-3), an item entry, redundancies as text.
        write("fuzz-repository", "placement-plain", [3] + Placement.plain(root: Blake3.hash([2]), length: 1000, provider: "home").encode())
        let nonce = fixedBytes(ShareTrailer.nonceLength, seed: 6)
        let copies = Placement(redundancy: .copies(2), shares: [
            Share(provider: "home", root: Blake3.hash([3]), length: 1000, index: 0, nonce: nil),
            Share(provider: "friend", root: Blake3.hash([4]), length: 1120, index: 1, nonce: nonce),
        ])
        write("fuzz-repository", "placement-copies", [3] + copies.encode())
        let shards = Placement(redundancy: .erasure(data: 2, total: 3), shares: (0..<3).map {
            Share(provider: "peer-\($0)", root: Blake3.hash([UInt8(5 + $0)]), length: 620, index: $0, nonce: nonce)
        })
        write("fuzz-repository", "placement-shards", [3] + shards.encode())
        write("fuzz-repository", "item-entry", [4] + entry.encoded)
        for text in ["copies:3", "10-of-14", "1"] { write("fuzz-repository", "redundancy-\(text)", [5] + Array(text.utf8)) }
        // fuzz-index: a small index file (1 KiB pages): two tables, one with an overflow value,
        // and a deleted key (a page on the freelist).
        let scratch = NSTemporaryDirectory() + "/maimo-make-seeds-\(getpid())"
        try! FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        var indexOptions = IndexDatabase.Options()
        indexOptions.pageSize = 1024
        let database = try! IndexDatabase(path: scratch + "/index.db", options: indexOptions)
        try! database.write { transaction in
            for i in 0..<40 { try transaction.put("files", Array("path/\(i)".utf8), fixedBytes(20 + i, seed: UInt64(i))) }
            try transaction.put("big", Array("overflow".utf8), fixedBytes(3000, seed: 9))
        }
        try! database.write { transaction in _ = try transaction.delete("files", Array("path/7".utf8)) }
        database.close()
        // The file grows in large steps; the pages past the last written one are zeros, which a
        // seed does not need (a shorter file is refused or read as the pages it has).
        var indexBytes = [UInt8](try! Data(contentsOf: URL(fileURLWithPath: scratch + "/index.db")))
        let used = (indexBytes.lastIndex { $0 != 0 } ?? 0) + 1
        indexBytes.removeLast(indexBytes.count - (used + 1023) / 1024 * 1024)
        write("fuzz-index", "index", indexBytes)

        // fuzz-keystore: one segment with puts, an overwrite and a delete, in three batches.
        let store = try! KeyValueStore(directory: scratch + "/keystore")
        for round in 0..<3 {
            var batch = WriteBatch()
            for i in 0..<5 { batch.put(Array("key-\(i)".utf8), fixedBytes(10 + 7 * i + round, seed: UInt64(round * 10 + i))) }
            if round == 2 { batch.delete(Array("key-3".utf8)) }
            try! store.write(batch)
        }
        try! store.close()
        let segment = try! FileManager.default.contentsOfDirectory(atPath: scratch + "/keystore").filter { $0.hasSuffix(".seg") }.sorted()[0]
        write("fuzz-keystore", "segment", [UInt8](try! Data(contentsOf: URL(fileURLWithPath: scratch + "/keystore/" + segment))))
        print("seeds written")
    }
}
