import Benchmark
import MaimoBao
import MaimoBlake3

/// MaimoBao's encodings, decoding and slices: throughput and allocations per operation, so that
/// `swift package benchmark baseline compare` shows a regression. The ratios against plain
/// hashing are in `maimo-bench --only bao`.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2))
    let input = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
    let (encoding, hash) = Bao.encode(input)
    let (outboard, _) = input.withUnsafeBytes { Bao.outboard($0) }

    Benchmark("Bao combined encode 1 MiB", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(Bao.encode(input)) }
    }
    Benchmark("Bao outboard encode 1 MiB", configuration: .init(scalingFactor: .one)) { benchmark in
        input.withUnsafeBytes { raw in
            for _ in benchmark.scaledIterations { blackHole(Bao.outboard(raw)) }
        }
    }
    Benchmark("Bao grouped outboard 1 MiB", configuration: .init(scalingFactor: .one)) { benchmark in
        input.withUnsafeBytes { raw in
            for _ in benchmark.scaledIterations { blackHole(BaoGroupedOutboard.build(raw)) }
        }
    }
    Benchmark("Bao decode 1 MiB", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try Bao.decode(encoding, hash: hash)) }
    }
    Benchmark("Bao slice 4 KiB: extract and verify") { benchmark in
        for i in benchmark.scaledIterations {
            let start = UInt64((i &* 7919) % 255) * 4096
            let slice = try Bao.slice(from: BaoBufferSource(outboard), data: BaoBufferSource(input), start: start, count: 4096)
            blackHole(try Bao.decodeSlice(slice, hash: hash, start: start, count: 4096))
        }
    }
}
