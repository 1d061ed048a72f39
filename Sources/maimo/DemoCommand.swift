import ArgumentParser
import Dispatch
import MaimoBao
import MaimoBlake3
import MaimoCipher
import MaimoIndex
import MaimoKeystore
import MaimoZstd
#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `maimo demo --libraries`: a tour of the libraries one by one, with timings.
struct LibraryDemo {
    var mebibytes = 256
    var repetitions = 3

    func run() throws {
        let size = mebibytes * 1024 * 1024
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("Maimo demo — what the libraries can do so far (\(cores) cores)")
        print("")
        print("MaimoBlake3: hashing a generated \(mebibytes) MiB buffer")
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        // Demo data, not secrets: a fast generator seeded once from the system's.
        var state = UInt64.random(in: 1...UInt64.max)
        let words = buffer.bindMemory(to: UInt64.self)
        for i in words.indices {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            words[i] = state
        }
        let input = UnsafeRawBufferPointer(buffer)

        var results: [(Int, Blake3.Digest, Double)] = []
        for threads in Set([1, max(cores, 2)]).sorted() {
            var best = Double.infinity
            var digest = Blake3.hash(input, threadCount: threads)
            for _ in 0..<repetitions {
                let start = DispatchTime.now().uptimeNanoseconds
                digest = Blake3.hash(input, threadCount: threads)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let rate = Double(size) / best / 1e9
            results.append((threads, digest, rate))
            print("  \(threads) thread\(threads == 1 ? " " : "s"): \(format(rate)) GB/s   \(digest)")
        }
        if results.count == 2 {
            print("  speed-up with \(results[1].0) threads: \(format(results[1].2 / results[0].2))×")
            print("  same digest serial and parallel: \(results[0].1 == results[1].1 ? "yes" : "NO")")
        }
        let abc = Blake3.hash("abc".utf8)
        let official = "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"
        print("  BLAKE3(\"abc\") = \(abc) (the published value: \(abc.description == official ? "yes" : "NO"))")
        let xof = Blake3.hash("Maimo".utf8, outputLength: 64)
        print("  extendable output, 64 bytes of BLAKE3(\"Maimo\"): \(hexString(xof))")
        print("")
        try baoStep(input)
        print("")
        try cipherStep(UnsafeRawBufferPointer(rebasing: input[..<min(input.count, 64 << 20)]))
        print("")
        try keystoreStep(UnsafeRawBufferPointer(rebasing: input[..<min(input.count, 64 << 20)]))
        print("")
        try indexStep()
        print("")
        try zstdStep()
    }

    /// MaimoZstd: compress generated text and JSON at levels 1, 3 and 9, decode it back, compare
    /// the ratio with the reference `zstd` when it is installed, and refuse a corrupted frame.
    private func zstdStep() throws {
        print("MaimoZstd: compressing and decompressing 16 MiB of text and JSON lines")
        var state: UInt64 = 0x2026_1125
        func next() -> Int { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return Int(state >> 1) }
        let words = ["maimo", "stores", "files", "over", "tor", "and", "proves", "every", "byte", "is", "still", "there", "with", "a", "hash"]
        var corpus = [UInt8]()
        while corpus.count < 16 << 20 {
            if next() % 2 == 0 {
                corpus += Array(((0..<(6 + next() % 9)).map { _ in words[next() % words.count] }.joined(separator: " ") + ".\n").utf8)
            } else {
                corpus += Array("{\"id\": \(next() % 1_000_000), \"path\": \"/home/\(words[next() % words.count])/\(next() % 1000)\", \"size\": \(next() % (1 << 30))}\n".utf8)
            }
        }
        corpus = Array(corpus.prefix(16 << 20))
        let reference = referenceSizes(corpus, levels: [1, 3, 9])
        let clock = ContinuousClock()
        var level3Frame = [UInt8]()
        for level in [1, 3, 9] {
            var frame = [UInt8]()
            let compressTime = clock.measure { frame = Zstd.compress(corpus, level: level) }
            var output = [UInt8]()
            let decompressTime = try clock.measure { output = try Zstd.decompress(frame) }
            let ratio = Double(corpus.count) / Double(frame.count)
            var line = "  level \(level): ratio \(format(ratio)), compressed at \(format(Double(corpus.count) / seconds(compressTime) / 1e6)) MB/s, decompressed at \(format(Double(corpus.count) / seconds(decompressTime) / 1e6)) MB/s: \(output == corpus ? "identical" : "DIFFERENT")"
            if let theirs = reference[level] { line += " (zstd -\(level): ratio \(format(Double(corpus.count) / Double(theirs))))" }
            print(line)
            if level == 3 { level3Frame = frame }
        }
        if reference.isEmpty { print("  (install zstd to see the reference's ratios beside these)") }
        var damaged = level3Frame
        damaged[damaged.count / 2] ^= 0x20
        do {
            _ = try Zstd.decompress(damaged)
            print("  one flipped bit: ACCEPTED")
        } catch {
            print("  one flipped bit: rejected (\(error))")
        }
    }

    /// The sizes the reference `zstd` makes of `data` at `levels`, when it is installed.
    private func referenceSizes(_ data: [UInt8], levels: [Int]) -> [Int: Int] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-demo-zstd-\(getpid())").path
        guard mkdir(directory, 0o700) == 0 else { return [:] }
        defer { _ = try? FileManager.default.removeItem(atPath: directory) }
        let plainPath = directory + "/corpus"
        guard FileManager.default.createFile(atPath: plainPath, contents: Data(data)) else { return [:] }
        var sizes = [Int: Int]()
        for level in levels {
            let framePath = directory + "/corpus-\(level).zst"
            let arguments: [String] = ["zstd", "-q", "-\(level)", plainPath, "-o", framePath]
            let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var pid = pid_t()
            var status: Int32 = -1
            if posix_spawnp(&pid, "zstd", nil, nil, argv, environ) == 0 { waitpid(pid, &status, 0) }
            guard status == 0, let frame = FileManager.default.contents(atPath: framePath) else { return [:] }
            sizes[level] = frame.count
        }
        return sizes
    }

    /// MaimoIndex: a catalogue of typed rows, lookups, a snapshot that ignores a later commit,
    /// a range scan, check and compaction.
    private func indexStep() throws {
        print("MaimoIndex: a copy-on-write B+tree catalogue in a temporary file")
        struct FileRow: Codable, Equatable {
            var size: UInt64
            var revision: Int
        }
        let clock = ContinuousClock()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-demo-index-\(UInt64.random(in: 0...UInt64.max)).db").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let db = try IndexDatabase(path: path)
        let count = 200_000
        let insertTime = try clock.measure {
            for first in stride(from: 0, to: count, by: 10_000) {
                try db.write { tx in
                    for i in first..<(first + 10_000) {
                        try tx.put("files", key: [.string("/home/demo"), .uint(UInt64(i))], record: FileRow(size: UInt64(i) * 4096, revision: 1))
                    }
                }
            }
        }
        print("  \(count) typed rows in 20 transactions, each durable: \(format(Double(count) / seconds(insertTime) / 1000))k rows/s")
        var generator = SystemRandomNumberGenerator()
        let probes = (0..<100_000).map { _ in UInt64.random(in: 0..<UInt64(count), using: &generator) }
        var right = 0
        let lookupTime = try clock.measure {
            try db.read { tx in
                for i in probes {
                    let key = KeyTuple.encode([.string("/home/demo"), .uint(i)])
                    if let bytes = try tx.get("files", key), try RecordCoder.decode(FileRow.self, from: bytes).size == i * 4096 { right += 1 }
                }
            }
        }
        print("  100000 random lookups: \(format(seconds(lookupTime) / 100_000 * 1e6)) µs each (\(right == probes.count ? "all right" : "WRONG"))")
        let snapshot = try db.beginRead()
        try db.write { tx in try tx.put("files", key: [.string("/home/demo"), .uint(7)], record: FileRow(size: 1, revision: 2)) }
        let old = try snapshot.get("files", key: [.string("/home/demo"), .uint(7)], as: FileRow.self)
        snapshot.end()
        let new = try db.read { try $0.get("files", key: [.string("/home/demo"), .uint(7)], as: FileRow.self) }
        print("  a reader opened before a commit still sees revision \(old?.revision ?? 0); a new one sees revision \(new?.revision ?? 0)")
        var scanned = 0
        let scanTime = try clock.measure {
            try db.read { tx in
                var cursor = try tx.cursor("files")
                try cursor.scan(prefix: KeyTuple.encode([.string("/home/demo")])) { _, _ in scanned += 1; return true }
            }
        }
        print("  a prefix scan of all \(scanned) rows in key order: \(format(Double(scanned) / seconds(scanTime) / 1e6))M rows/s")
        let report = try db.check()
        print("  check: \(report.pages) pages, \(report.keys) keys, \(report.isHealthy ? "healthy" : "\(report.problems.count) PROBLEMS")")
        db.close()
        let (before, after) = try IndexDatabase.compact(path: path)
        print("  compaction: \(before >> 10) KiB -> \(after >> 10) KiB")
    }

    /// MaimoKeystore: batched puts, random gets, a large value read at random offsets, a crash
    /// (a torn record at the end of the log) recovered, compaction.
    private func keystoreStep(_ input: UnsafeRawBufferPointer) throws {
        print("MaimoKeystore: a crash-safe log-structured store in a temporary directory")
        let clock = ContinuousClock()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-demo-kv-\(UInt64.random(in: 0...UInt64.max))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var options = KeyValueStore.Options()
        options.automaticCompaction = false
        var store = try KeyValueStore(directory: directory, options: options)
        let count = 50_000
        let value = Array(UnsafeRawBufferPointer(rebasing: input[0..<1024]))
        let putTime = try clock.measure {
            for first in stride(from: 0, to: count, by: 1000) {
                var batch = WriteBatch()
                for i in first..<(first + 1000) { batch.put(Array("record-\(i)".utf8), value) }
                try store.write(batch)
            }
        }
        print("  \(count) puts of 1 KiB in batches of 1000, each batch durable (group commit): \(format(Double(count) / seconds(putTime) / 1000))k puts/s")
        var generator = SystemRandomNumberGenerator()
        let keys = (0..<count).map { _ in Array("record-\(Int.random(in: 0..<count, using: &generator))".utf8) }
        var found = 0
        let getTime = try clock.measure {
            for key in keys where try store.get(key) == value { found += 1 }
        }
        print("  \(count) random gets, verified: \(format(Double(count) / seconds(getTime) / 1000))k gets/s (\(found == count ? "all right" : "WRONG VALUES"))")

        let writer = try store.makeWriter(for: Array("big".utf8))
        let writeTime = try clock.measure { try writer.write(input); try writer.commit() }
        let reader = try store.reader(for: Array("big".utf8))!
        var buffer = [UInt8](repeating: 0, count: 4096)
        var matches = true
        let reads = 10_000
        let readTime = try clock.measure {
            for _ in 0..<reads {
                let offset = Int.random(in: 0...(input.count - 4096), using: &generator)
                try buffer.withUnsafeMutableBytes { try reader.read(into: $0, at: UInt64(offset)) }
                matches = matches && buffer.elementsEqual(UnsafeRawBufferPointer(rebasing: input[offset..<(offset + 4096)]))
            }
        }
        print("  a \(input.count >> 20) MiB value streamed in at \(format(Double(input.count) / seconds(writeTime) / 1e9)) GB/s; \(reads) verified 4 KiB reads at random offsets: \(format(seconds(readTime) / Double(reads) * 1e6)) µs each (\(matches ? "right bytes" : "WRONG BYTES"))")

        for i in 0..<(count / 2) { try store.delete(Array("record-\(i)".utf8)) }
        try store.close()
        // A crash in the middle of a write leaves a torn record at the end of the log.
        let segment = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted().last!
        let torn: [UInt8] = [0x2A, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0]
        let descriptor = open(directory + "/" + segment, O_WRONLY | O_APPEND)
        if descriptor >= 0 {
            _ = torn.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }
        try? FileManager.default.removeItem(atPath: directory + "/CLOSED")
        var reopened: KeyValueStore? = nil
        let openTime = try clock.measure { reopened = try KeyValueStore(directory: directory, options: options) }
        store = reopened!
        let tail = store.recovery.truncatedTail.map { "cut a torn tail of \($0.bytes) bytes" } ?? "no torn tail"
        print("  reopened after a simulated crash in \(micro(openTime)): \(tail), \(store.count) keys intact")
        let before = try store.statistics()
        let report = try store.compact()
        let after = try store.statistics()
        print("  compaction after deleting half: \(before.segmentBytes >> 10) KiB -> \(after.segmentBytes >> 10) KiB of segments, \(report.operationsCopied) live operations kept")
        try store.close()
    }

    /// MaimoCipher: seal the first 64 MiB in the segmented format, open it, and catch tampering.
    private func cipherStep(_ input: UnsafeRawBufferPointer) throws {
        print("MaimoCipher: XChaCha8-Blake3-SIV in 1 MiB segments")
        let clock = ContinuousClock()
        let key = CipherKey()
        // Streamed a segment at a time, as a file would be: no buffer of the whole size.
        let segment = SegmentedCiphertext.defaultSegmentSize
        var pieces: [[UInt8]] = []
        let sealTime = try clock.measure {
            var encryptor = try SegmentedEncryptor(key: key, contentLength: UInt64(input.count), pad: true)
            pieces.append(encryptor.header)
            var offset = 0
            while offset < input.count {
                let n = min(segment, input.count - offset)
                pieces.append(try encryptor.update(Array(UnsafeRawBufferPointer(rebasing: input[offset..<(offset + n)]))))
                offset += n
            }
            pieces.append(try encryptor.finalize())
        }
        var matches = true
        let openTime = try clock.measure {
            var decryptor = SegmentedDecryptor(key: key)
            var offset = 0
            func check(_ content: [UInt8]) {
                matches = matches && offset + content.count <= input.count
                    && content.elementsEqual(UnsafeRawBufferPointer(rebasing: input[offset..<(offset + content.count)]))
                offset += content.count
            }
            for piece in pieces { check(try decryptor.update(piece)) }
            check(try decryptor.finalize())
            matches = matches && offset == input.count
        }
        let sealed = pieces.flatMap { $0 }
        let rate = { (d: Duration) in format(Double(input.count) / seconds(d) / 1e9) }
        print("  sealed \(input.count >> 20) MiB into \(sealed.count) bytes (Padmé padding) at \(rate(sealTime)) GB/s, opened at \(rate(openTime)) GB/s: \(matches ? "identical" : "DIFFERENT")")
        var tampered = sealed
        tampered[sealed.count / 2] ^= 1
        var decryptor = SegmentedDecryptor(key: key)
        do {
            _ = try decryptor.update(tampered) + (try decryptor.finalize())
            print("  one flipped bit: ACCEPTED")
        } catch {
            print("  one flipped bit: rejected (\(error))")
        }
    }

    /// MaimoBao: encode the buffer, prove a random 4 KiB of it with a slice, catch a forgery.
    private func baoStep(_ input: UnsafeRawBufferPointer) throws {
        print("MaimoBao: proving the buffer is held, with nothing but its 32-byte root")
        let clock = ContinuousClock()
        let size = input.count
        let outboardSize = Int(Bao.outboardSize(contentLength: UInt64(size)))
        let tree = UnsafeMutableRawBufferPointer.allocate(byteCount: outboardSize, alignment: 64)
        defer { tree.deallocate() }
        var root = Blake3.hash([UInt8]())
        let encodeTime = clock.measure { root = Bao.encode(input, into: tree, outboard: true) }
        print("  outboard tree: \(outboardSize) bytes (\(format(100 * Double(outboardSize) / Double(size)))% of the data), built at \(format(Double(size) / seconds(encodeTime) / 1e9)) GB/s")
        print("  root = \(root)")
        let treeSource = BaoBufferSource(Array(tree))
        let dataSource = BaoBufferSource(Array(input))
        var generator = SystemRandomNumberGenerator()
        let offset = UInt64.random(in: 0..<UInt64(size - 4096), using: &generator) & ~4095
        var slice: [UInt8] = []
        let sliceTime = try clock.measure { slice = try Bao.slice(from: treeSource, data: dataSource, start: offset, count: 4096) }
        var proven: [UInt8] = []
        let verifyTime = try clock.measure { proven = try Bao.decodeSlice(slice, hash: root, start: offset, count: 4096) }
        let matches = proven.elementsEqual(UnsafeRawBufferPointer(rebasing: input[Int(offset)..<(Int(offset) + 4096)]))
        print("  random offset \(offset): 4 KiB slice of \(slice.count) bytes, made in \(micro(sliceTime)), verified in \(micro(verifyTime)): \(matches ? "ok" : "WRONG BYTES")")
        var forged = slice
        forged[forged.count - 100] ^= 1
        let caught = (try? Bao.decodeSlice(forged, hash: root, start: offset, count: 4096)) == nil
        print("  the same slice with one bit flipped: \(caught ? "rejected" : "ACCEPTED")")
        print("  random slices needed to catch a provider that dropped 1% of it with 99.9999% certainty: 1375")
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func micro(_ duration: Duration) -> String { "\(format(seconds(duration) * 1e6)) µs" }

    /// Two decimals, without Foundation's `String(format:)`.
    private func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
