import Benchmark
import MaimoXXHash
import MaimoZstd

/// MaimoZstd (and MaimoXXHash, its checksum): compression at levels 1, 3 and 9, decompression,
/// throughput and allocations per operation. The ratios against the reference zstd are in
/// `maimo-bench --only zstd`.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2))
    // Text-like input: words from a small vocabulary, so that every level finds matches.
    let words = ["the ", "provider ", "proves ", "every ", "byte ", "of ", "a ", "blob ", "with ", "slices ", "\n"]
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var text: [UInt8] = []
    while text.count < 1 << 20 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        text += Array(words[Int(state >> 60) % words.count].utf8)
    }
    for level in [1, 3, 9] {
        Benchmark("zstd compress level \(level), 1 MiB", configuration: .init(scalingFactor: .one)) { benchmark in
            for _ in benchmark.scaledIterations { blackHole(Zstd.compress(text, level: level)) }
        }
    }
    let frame = Zstd.compress(text, level: 3)
    Benchmark("zstd decompress 1 MiB", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try Zstd.decompress(frame)) }
    }
    Benchmark("xxHash64 1 MiB", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(XXH64.hash(text)) }
    }
}
