import BenchReport
import MaimoBao
import MaimoBlake3

/// Bao's encodings against plain BLAKE3 hashing of the same bytes (the floor: a Bao encoding
/// hashes everything and writes the tree), one thread, in memory.
enum BaoSuite: Suite {
    static let name = "bao"
    static let summary = "MaimoBao's combined and outboard encodings against plain BLAKE3 hashing"

    static func run(_ bench: Bench) throws -> [Figure] {
        let sizes = bench.quick ? [64 << 10, 1 << 20, 16 << 20] : [16 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20]
        let input = bench.random(sizes.max()!)
        var figures: [Figure] = []
        for (name, encode) in [("combined encoding", { (b: UnsafeRawBufferPointer) in _ = Bao.encode(b) }),
                               ("outboard encoding", { (b: UnsafeRawBufferPointer) in _ = Bao.outboard(b) }),
                               ("outboard pruned to 16 KiB groups", { (b: UnsafeRawBufferPointer) in _ = BaoGroupedOutboard.build(b) })] {
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
        return figures
    }
}
