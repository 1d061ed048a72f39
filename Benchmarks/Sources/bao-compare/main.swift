// MaimoBao's speed next to what it costs to just hash the same data with MaimoBlake3, in one
// run, as ratios; and the cost of a proof of storage: extracting and verifying a 4 KiB slice of a
// large encoded file.
//
//   swift run -c release --package-path Benchmarks bao-compare [--quick] [--gib N]
import CompareSupport
import Foundation
import MaimoBao
import MaimoBlake3

let arguments = CommandLine.arguments
let quick = arguments.contains("--quick")
let gibibytes = arguments.firstIndex(of: "--gib").flatMap { Int(arguments[$0 + 1]) } ?? 1
let clock = benchmarkClock

func gbps(_ bytes: Int, _ s: Double) -> String { String(format: "%6.2f GB/s", Double(bytes) / s / 1e9) }

print("MaimoBao benchmark, 1 thread, best of N")
print("")

// 1. Encoding and decoding in memory, against hashing the same bytes.
let size = 64 << 20
/// Generated data (xorshift); a function, so that no global state is touched per byte.
func generate(_ count: Int) -> [UInt8] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<count).map { _ in
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}
let data = generate(size)
let runs = quick ? 2 : 6
let hashTime = try data.withUnsafeBytes { buffer in try best(runs) { _ = Blake3.hash(buffer) } }
let outboardTime = try data.withUnsafeBytes { buffer in try best(runs) { _ = Bao.outboard(buffer) } }
let combinedTime = try data.withUnsafeBytes { buffer in try best(runs) { _ = Bao.encode(buffer) } }
// Into a reused buffer: what an application encoding many files does.
let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(Bao.encodedSize(contentLength: UInt64(size))), alignment: 64)
defer { destination.deallocate() }
let combinedReusedTime = try data.withUnsafeBytes { buffer in try best(runs) { _ = Bao.encode(buffer, into: destination) } }
let streamedTime = try best(runs) {
    var encoder = BaoEncoder(contentLength: UInt64(size), sink: BaoBufferSink(capacity: size + size / 16))
    try encoder.update(data)
    _ = try encoder.finalize()
}
let (encoding, root) = Bao.encode(data)
let (outboardTree, _) = Bao.encode(data, outboard: true)
let decodeTime = try best(runs) { _ = try Bao.decode(encoding, hash: root) }
let outboardDecodeTime = try best(runs) { _ = try Bao.decode(outboard: outboardTree, data: data, hash: root) }
// Streaming into a reused buffer, as retrieval to disk does.
let source = BaoBufferSource(encoding)
var sinkBuffer = [UInt8](repeating: 0, count: 1 << 20)
let streamingDecodeTime = try best(runs) {
    var decoder = BaoDecoder(combined: source, hash: root)
    while true {
        var failure: BaoError?
        let n = sinkBuffer.withUnsafeMutableBytes { buffer -> Int in
            do throws(BaoError) { return try decoder.read(into: buffer) } catch { failure = error; return 0 }
        }
        if let failure { throw failure }
        if n == 0 { break }
    }
}
print("64 MiB in memory:")
print("  BLAKE3 hash              \(gbps(size, hashTime))")
print("  Bao outboard encode      \(gbps(size, outboardTime))   = \(String(format: "%.2f", hashTime / outboardTime))× hash")
print("  Bao combined encode      \(gbps(size, combinedTime))   = \(String(format: "%.2f", hashTime / combinedTime))× hash")
print("  Bao combined, reused buf \(gbps(size, combinedReusedTime))   = \(String(format: "%.2f", hashTime / combinedReusedTime))× hash")
print("  Bao streaming encoder    \(gbps(size, streamedTime))   = \(String(format: "%.2f", hashTime / streamedTime))× hash")
print("  Bao decode (verified)    \(gbps(size, decodeTime))   = \(String(format: "%.2f", hashTime / decodeTime))× hash")
print("  Bao decode, streaming    \(gbps(size, streamingDecodeTime))   = \(String(format: "%.2f", hashTime / streamingDecodeTime))× hash  (into a reused 1 MiB buffer)")
print("  Bao outboard decode      \(gbps(size, outboardDecodeTime))   = \(String(format: "%.2f", hashTime / outboardDecodeTime))× hash")
print("")

// 2. A proof of storage on a large file: slice 4 KiB at a random offset, verify it.
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-bao-bench-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let bigSize = UInt64(gibibytes) << 30
let encodedPath = directory.appendingPathComponent("big.bao").path
var encoder = BaoEncoder(contentLength: bigSize, sink: try BaoFile(path: encodedPath, mode: .create))
let writeStart = clock.now
var written: UInt64 = 0
while written < bigSize {
    let n = min(UInt64(size), bigSize - written)
    try data.withUnsafeBytes { try encoder.update(UnsafeRawBufferPointer(rebasing: $0[..<Int(n)])) }
    written += n
}
let bigRoot = try encoder.finalize()
let encodeSeconds = seconds(clock.now - writeStart)
print("\(gibibytes) GiB file: streaming encode to disk \(gbps(Int(bigSize), encodeSeconds)) (\(Bao.encodedSize(contentLength: bigSize)) bytes)")
var generator = SystemRandomNumberGenerator()
let fileSource = try BaoMappedFileSource(path: encodedPath)
let samples = quick ? 200 : 2000
var sliceBytes = 0
var extractTotal = 0.0, verifyTotal = 0.0
var extractTimes: [Double] = [], verifyTimes: [Double] = []
for _ in 0..<samples {
    let start = UInt64.random(in: 0..<(bigSize - 4096), using: &generator) & ~4095
    let t0 = clock.now
    let slice = try Bao.slice(from: fileSource, start: start, count: 4096)
    let t1 = clock.now
    let bytes = try Bao.decodeSlice(slice, hash: bigRoot, start: start, count: 4096)
    let t2 = clock.now
    precondition(bytes.count == 4096)
    sliceBytes = slice.count
    extractTimes.append(seconds(t1 - t0)); verifyTimes.append(seconds(t2 - t1))
}
extractTimes.sort(); verifyTimes.sort()
func micro(_ s: Double) -> String { String(format: "%.1f µs", s * 1e6) }
print("  4 KiB slice: \(sliceBytes) bytes (4096 content + \(sliceBytes - 4096 - 8) of parents + 8 header)")
print("  extract (file memory-mapped, page cache warm): median \(micro(extractTimes[samples / 2])), p99 \(micro(extractTimes[samples * 99 / 100]))")
print("  verify against the 32-byte root: median \(micro(verifyTimes[samples / 2])), p99 \(micro(verifyTimes[samples * 99 / 100]))")
print("  extract + verify: median \(micro(extractTimes[samples / 2] + verifyTimes[samples / 2]))")
