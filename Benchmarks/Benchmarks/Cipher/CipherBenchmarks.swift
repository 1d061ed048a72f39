import Benchmark
import MaimoCipher

/// MaimoCipher: XChaCha8-Blake3-SIV and ChaCha throughput and allocations per operation. The
/// ratios against swift-crypto are in `maimo-bench --only cipher`.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(2))
    let key = CipherKey()
    let nonce = XChaCha8Blake3SIV.Nonce()
    for size in [64, 1024, 1 << 20] {
        let message = [UInt8](repeating: 0x42, count: size)
        let sealed = try! XChaCha8Blake3SIV.seal(message, key: key, nonce: nonce)
        Benchmark("SIV seal \(size) B") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try XChaCha8Blake3SIV.seal(message, key: key, nonce: nonce)) }
        }
        Benchmark("SIV open \(size) B") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try XChaCha8Blake3SIV.open(sealed, key: key, nonce: nonce)) }
        }
    }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    Benchmark("ChaCha8 keystream 1 MiB", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            var cipher = ChaCha(key: key, nonce: ChaCha.Nonce(), rounds: .eight)
            try cipher.apply(to: &buffer)
        }
    }
    Benchmark("ChaCha20 keystream 1 MiB", configuration: .init(scalingFactor: .one)) { benchmark in
        for _ in benchmark.scaledIterations {
            var cipher = ChaCha(key: key, nonce: ChaCha.Nonce(), rounds: .twenty)
            try cipher.apply(to: &buffer)
        }
    }
}
