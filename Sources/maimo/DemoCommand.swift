import ArgumentParser
import Dispatch
import MaimoBlake3
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `maimo demo`: shows what the libraries do, with no set-up. Each library adds its step.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show what Maimo's libraries can do so far, with timings, on generated data."
    )

    @Option(help: "Size of the generated buffer in MiB.")
    var mebibytes = 256

    @Option(help: "Timed repetitions per measurement; the best is reported.")
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
    }

    /// Two decimals, without Foundation's `String(format:)`.
    private func format(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
