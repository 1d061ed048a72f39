import BenchReport
import CompareSupport
import Foundation
import MaimoBao
import MaimoBlake3

/// Bao's encodings and verified decoding against plain BLAKE3 hashing of the same bytes (the
/// floor: a Bao encoding hashes everything and writes the tree), one thread, in memory; and the
/// cost of one proof of storage: a 4 KiB slice extracted from a large encoded file and verified.
enum BaoSuite: Suite {
    static let name = "bao"
    static let summary = "MaimoBao's encodings and decoding against plain BLAKE3 hashing; a proof's slice"

    static func run(_ bench: Bench) throws -> [Figure] {
        let sizes = bench.quick ? [64 << 10, 1 << 20, 16 << 20] : [16 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20]
        let input = bench.random(sizes.max()!)
        var figures: [Figure] = []
        for (name, encode) in [("combined encoding", { (b: UnsafeRawBufferPointer) in _ = Bao.encode(b) }),
                               ("outboard encoding", { (b: UnsafeRawBufferPointer) in _ = Bao.outboard(b) }),
                               ("outboard pruned to 16 KiB groups", { (b: UnsafeRawBufferPointer) in _ = BaoGroupedOutboard.build(b) }),
                               ("verified decoding", { (b: UnsafeRawBufferPointer) in decode(b) })] {
            for size in sizes {
                let (ours, theirs) = input.withUnsafeBytes { raw in
                    let slice = UnsafeRawBufferPointer(rebasing: raw[..<size])
                    let inner = Blake3Suite.inner(size)
                    return bench.pairs({ bench.throughput(bytes: size, inner: inner) { encode(slice) } },
                                       { bench.throughput(bytes: size, inner: inner) { _ = Blake3.hash(slice) } })
                }
                let figure = Figure(module: "MaimoBao", name: name, size: size, unit: "MB/s", ours: ours,
                                    reference: "BLAKE3 hash (MaimoBlake3)", theirs: theirs)
                figures.append(figure)
                report(figure)
            }
        }
        figures += try proof(bench)
        return figures
    }

    /// Encodings made once per size for the decoding figure, keyed by size.
    nonisolated(unsafe) static var encodings: [Int: ([UInt8], Blake3.Digest)] = [:]

    /// Decodes the combined encoding of `bytes` (made before the timing starts) against its root.
    static func decode(_ bytes: UnsafeRawBufferPointer) {
        if encodings[bytes.count] == nil { encodings[bytes.count] = Bao.encode(Array(bytes)) }
        let (encoding, root) = encodings[bytes.count]!
        guard (try? Bao.decode(encoding, hash: root)) != nil else { fatalError("a Bao encoding failed to verify") }
    }

    /// A 4 KiB slice at a random offset of a 1 GiB encoded file (256 MiB with --quick) in the page
    /// cache: extracted, then verified against the 32-byte root, in µs each (no reference tool
    /// proves storage this way).
    static func proof(_ bench: Bench) throws -> [Figure] {
        let size = UInt64(bench.quick ? 256 << 20 : 1 << 30)
        let path = bench.directory + "/proof.bao"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var encoder = BaoEncoder(contentLength: size, sink: try BaoFile(path: path, mode: .create))
        let block = bench.random(16 << 20)
        var written: UInt64 = 0
        while written < size {
            let count = Int(min(UInt64(block.count), size - written))
            try block.withUnsafeBytes { try encoder.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            written += UInt64(count)
        }
        let root = try encoder.finalize()
        let source = try BaoMappedFileSource(path: path)
        var generator = SystemRandomNumberGenerator()
        var extract: [Double] = [], verify: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<(bench.quick ? 200 : 2000) {
            let start = UInt64.random(in: 0..<(size - 4096), using: &generator) & ~4095
            let t0 = clock.now
            let slice = try Bao.slice(from: source, start: start, count: 4096)
            let t1 = clock.now
            let bytes = try Bao.decodeSlice(slice, hash: root, start: start, count: 4096)
            let t2 = clock.now
            precondition(bytes.count == 4096, "a verified slice is not 4 KiB")
            extract.append(seconds(t1 - t0) * 1e6)
            verify.append(seconds(t2 - t1) * 1e6)
        }
        let figures = [
            Figure(module: "MaimoBao", name: "proof: extract a 4 KiB slice", size: Int(size), unit: "µs", higherIsBetter: false,
                   ours: Sample(extract), note: "memory-mapped file in the page cache; min/median/max over the slices"),
            Figure(module: "MaimoBao", name: "proof: verify a 4 KiB slice", size: Int(size), unit: "µs", higherIsBetter: false,
                   ours: Sample(verify), note: "against the 32-byte root"),
        ]
        figures.forEach(report)
        return figures
    }
}
