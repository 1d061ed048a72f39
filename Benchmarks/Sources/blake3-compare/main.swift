// Prints MaimoBlake3's speed next to the tools a user would otherwise pick, in one run, as
// ratios: `b3sum --num-threads 1` (the reference Rust implementation's CLI) and swift-crypto's
// SHA-256. Timings are best-of-N wall clock on a warm cache.
//
//   swift run -c release --package-path Benchmarks blake3-compare [--quick] [--maimo PATH]
import Crypto
import CompareSupport
import Foundation
import MaimoBlake3

let quick = CommandLine.arguments.contains("--quick")
let clock = benchmarkClock



/// The fastest of several runs of a command, stdout to /dev/null.
func run(_ executable: String, _ arguments: [String]) -> Double {
    timeCommand(executable, arguments, runs: quick ? 10 : 60)
}

func gbps(_ bytes: Int, _ seconds: Double) -> String { String(format: "%6.2f GB/s", Double(bytes) / seconds / 1e9) }
func ratio(_ x: Double) -> String { String(format: "%5.2f×", x) }

print("MaimoBlake3 benchmark — \(ProcessInfo.processInfo.activeProcessorCount) cores")
print("")

// 1. Large inputs, one thread and two threads, in memory.
var generator = SystemRandomNumberGenerator()
let sizes = [("1 MiB", 1 << 20), ("64 MiB", 64 << 20)]
var inMemory: [String: Double] = [:]
print("In memory (library call, best of N):")
for (label, size) in sizes {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
    defer { buffer.deallocate() }
    for i in stride(from: 0, to: size, by: 8) { buffer.storeBytes(of: generator.next() as UInt64, toByteOffset: i, as: UInt64.self) }
    let input = UnsafeRawBufferPointer(buffer)
    let runs = size < (4 << 20) ? (quick ? 50 : 400) : (quick ? 3 : 12)
    let one = best(runs) { _ = Blake3.hash(input) }
    let two = best(runs) { _ = Blake3.hash(input, threadCount: 2) }
    inMemory[label] = Double(size) / one
    print("  \(label.padding(toLength: 7, withPad: " ", startingAt: 0)) 1 thread \(gbps(size, one))   2 threads \(gbps(size, two))   2 threads / 1 thread \(ratio(one / two))")
}
print("")

// 1b. The reference library in memory: the Rust crate (with its AVX-512 assembly) through the
//     `blake3` Python package, when installed (`pip install blake3`). Python's call overhead is
//     well under a microsecond, so at these sizes this times the Rust code.
if let python = which("python3") {
    let script = """
    import sys, time
    try:
        import blake3
    except ImportError:
        sys.exit(3)
    for size, runs in ((1 << 20, \(quick ? 50 : 400)), (64 << 20, \(quick ? 3 : 12))):
        data = bytes(range(256)) * (size // 256)
        best = min((lambda s: (blake3.blake3(data, max_threads=1).digest(), time.perf_counter() - s)[1])(time.perf_counter()) for _ in range(runs))
        print(best)
    """
    let (output, status) = try capture(python, ["-c", script])
    let times = output.split(separator: "\n").compactMap { Double($0) }
    if status == 0, times.count == sizes.count {
        print("Against the Rust crate in memory (Python package blake3, 1 thread, best of N):")
        for ((label, size), seconds) in zip(sizes, times) {
            let ours = inMemory[label] ?? 0
            print("  \(label.padding(toLength: 7, withPad: " ", startingAt: 0)) Rust \(gbps(size, seconds))   MaimoBlake3 \(gbps(size, Double(size) / ours)) = \(ratio(ours / (Double(size) / seconds))) Rust")
        }
    } else {
        print("Python package blake3 not installed (pip install blake3): no in-memory comparison with the Rust crate.")
    }
    print("")
}

// 2. Against b3sum: both CLIs on the same warm file (named 64 times for 1 MiB), each minus its own
//    start-up time on an empty file, so that what is compared is hashing (mmap included, as
//    each tool does it).
// The maimo binary to compare: `--maimo PATH`, else the root package's release build.
let maimo = CommandLine.arguments.firstIndex(of: "--maimo").flatMap {
    $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil
} ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/release/maimo").path
if let b3sum = which("b3sum") {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-bench-\(getpid())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let empty = directory.appendingPathComponent("empty").path
    _ = FileManager.default.createFile(atPath: empty, contents: Data())
    let b3Start = run(b3sum, ["--num-threads", "1", empty])
    let haveMaimo = FileManager.default.isExecutableFile(atPath: maimo)
    let maimoStart = haveMaimo ? run(maimo, ["hash", "--num-threads", "1", empty]) : 0
    print("Against b3sum --num-threads 1 (start-up subtracted: b3sum \(String(format: "%.2f", b3Start * 1e3)) ms, maimo \(String(format: "%.2f", maimoStart * 1e3)) ms):")
    for (label, size) in sizes {
        let path = directory.appendingPathComponent(label.replacingOccurrences(of: " ", with: "")).path
        var contents = Data(count: size)
        contents.withUnsafeMutableBytes { bytes in
            for i in stride(from: 0, to: size, by: 8) { bytes.storeBytes(of: generator.next() as UInt64, toByteOffset: i, as: UInt64.self) }
        }
        _ = FileManager.default.createFile(atPath: path, contents: contents)
        // Small files are named many times in one run, so that hashing, not start-up, is timed.
        let repeats = max(1, (64 << 20) / size)
        let paths = Array(repeating: path, count: repeats)
        let reference = max(run(b3sum, ["--num-threads", "1"] + paths) - b3Start, 1e-9) / Double(repeats)
        var line = "  \(label.padding(toLength: 7, withPad: " ", startingAt: 0)) b3sum \(gbps(size, reference))"
        if let library = inMemory[label] {
            line += "   MaimoBlake3 in memory \(gbps(size, Double(size) / library)) = \(ratio(library / (Double(size) / reference))) b3sum"
        }
        if haveMaimo {
            let ours = max(run(maimo, ["hash", "--num-threads", "1"] + paths) - maimoStart, 1e-9) / Double(repeats)
            line += "   maimo hash \(gbps(size, ours)) = \(ratio(reference / ours)) b3sum"
        }
        print(line)
    }
    if !haveMaimo { print("  (build `swift build -c release` in the repository root to compare the maimo CLI too)") }
} else {
    print("b3sum not found: install it (apt-get install b3sum) for the reference comparison.")
}
print("")

// 3. Small messages: ns per hash next to SHA-256.
print("Small messages (ns per hash, best of N):")
for size in [64, 1024] {
    let input = [UInt8](repeating: 0x42, count: size)
    let iterations = 20_000
    var sink: UInt8 = 0
    let b3 = best(quick ? 5 : 20) { for _ in 0..<iterations { sink ^= Blake3.hash(input).bytes[0] } } / Double(iterations)
    let sha = best(quick ? 5 : 20) {
        for _ in 0..<iterations { sink ^= SHA256.hash(data: input).withUnsafeBytes { $0[0] } }
    } / Double(iterations)
    print(String(format: "  %5d B   BLAKE3 %7.1f ns   SHA-256 (swift-crypto) %7.1f ns   SHA-256 / BLAKE3 %5.2f×", size, b3 * 1e9, sha * 1e9, sha / b3))
    if sink == 0xFF, size == 0 { print("") }  // keeps the hashes from being optimised away
}
