import Benchmark
import Crypto
import MaimoBlake3

/// MaimoBlake3 next to swift-crypto's SHA-256 on the same inputs. The comparison with `b3sum`
/// itself, with printed ratios, is `maimo-bench --only blake3` beside this target.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2))

    for size in [64, 1024] {
        let input = [UInt8](repeating: 0xA5, count: size)
        Benchmark("BLAKE3 \(size) B") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(Blake3.hash(input)) }
        }
        Benchmark("SHA-256 (swift-crypto) \(size) B") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(SHA256.hash(data: input)) }
        }
    }

    for (label, size) in [("1 MiB", 1 << 20), ("64 MiB", 64 << 20)] {
        let input = [UInt8](repeating: 0x5A, count: size)
        Benchmark(
            "BLAKE3 \(label), 1 thread",
            configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one)
        ) { benchmark in
            input.withUnsafeBytes { buffer in
                for _ in benchmark.scaledIterations { blackHole(Blake3.hash(buffer)) }
            }
        }
        Benchmark(
            "BLAKE3 \(label), 2 threads",
            configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one)
        ) { benchmark in
            input.withUnsafeBytes { buffer in
                for _ in benchmark.scaledIterations { blackHole(Blake3.hash(buffer, threadCount: 2)) }
            }
        }
    }
}
