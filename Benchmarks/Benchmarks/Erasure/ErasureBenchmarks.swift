import Benchmark
import MaimoErasure

/// MaimoErasure: Reed–Solomon 10-of-14 encode and the rebuild of four lost data shards, 64 KiB
/// shards. The ratios against ISA-L and zfec are in `maimo-bench --only erasure`.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2))
    let code = try! ReedSolomon(dataShards: 10, totalShards: 14)
    let data = (0..<10).map { i in (0..<(64 << 10)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) } }
    let parity = try! code.encode(data)
    Benchmark("Reed–Solomon 10-of-14 encode, 64 KiB shards") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try code.encode(data)) }
    }
    var lost: [[UInt8]?] = data + parity
    for i in 0..<4 { lost[i] = nil }
    Benchmark("Reed–Solomon 10-of-14 rebuild 4 data shards, 64 KiB") { benchmark in
        for _ in benchmark.scaledIterations {
            var shards = lost
            try code.reconstructData(&shards)
            blackHole(shards)
        }
    }
}
