// MaimoErasure against the coders a user would otherwise pick, in the same run, one core:
// zfec (Tahoe-LAFS's, Python bindings over C) and Intel's ISA-L (hand-written SIMD assembly,
// loaded with dlopen from Debian's libisal2, so nothing here links it).
//
//   swift run -c release --package-path Benchmarks erasure-compare [--k 10] [--n 14] [--shard KiB] [--runs 5]
//
// Measures encode and the rebuild of N−K lost data shards, in GB/s of data (K shards) per
// second; checks that ISA-L's parity for the same Cauchy matrix is byte for byte ours.
import CompareSupport
import Foundation
import MaimoErasure

let k = option("--k", 10)
let n = option("--n", 14)
let shardSize = option("--shard", 1024) * 1024
let runs = option("--runs", 5)
let code = try ReedSolomon(dataShards: k, totalShards: n)
var generator = XorShift()
let data = (0..<k).map { _ in (0..<shardSize).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }
let dataBytes = Double(k * shardSize)
func rate(_ seconds: Double) -> String { String(format: "%6.2f GB/s", dataBytes / seconds / 1e9) }

print("erasure-compare: \(k)-of-\(n), shards of \(shardSize >> 10) KiB (\(Int(dataBytes) >> 20) MiB of data), best of \(runs)")

// Ours: encode through the pointer API (no copies), then rebuild the first N−K data shards.
let parityStorage = UnsafeMutableRawPointer.allocate(byteCount: (n - k) * shardSize, alignment: 64)
defer { parityStorage.deallocate() }
let parityRegions = (0..<(n - k)).map { UnsafeMutableRawBufferPointer(start: parityStorage + $0 * shardSize, count: shardSize) }
let dataCopies = data.map { bytes -> UnsafeMutableRawBufferPointer in
    let region = UnsafeMutableRawBufferPointer.allocate(byteCount: shardSize, alignment: 64)
    region.copyBytes(from: bytes)
    return region
}
let dataRegions = dataCopies.map { UnsafeRawBufferPointer($0) }
let oursEncode = try best(runs) { try code.encode(data: dataRegions, parity: parityRegions) }
let ourParity = parityRegions.map { [UInt8]($0) }
var shards: [[UInt8]?] = data + ourParity
for i in 0..<(n - k) { shards[i] = nil }
let lost = shards
let oursRebuild = try best(runs) {
    var copy = lost
    try code.reconstructData(&copy)
}
var check = lost
try code.reconstructData(&check)
precondition(check.prefix(k).map { $0! } == data, "rebuild differs")
print("MaimoErasure  encode \(rate(oursEncode))   rebuild \(n - k) data shards \(rate(oursRebuild))")

// ISA-L, if its shared library is installed (apt install libisal2).
var isalEncode: Double?
if let isal = ISAL(k: k, n: n) {
    let seconds = Double(k * shardSize) / isal.throughput(data: dataCopies, shardSize: shardSize, inner: runs) / 1e6
    isalEncode = seconds
    let identical = isal.parity(data: dataCopies, shardSize: shardSize) == ourParity
    print("ISA-L         encode \(rate(seconds))   parity \(identical ? "identical to ours" : "DIFFERS from ours")")
    precondition(identical, "ISA-L's parity for the same Cauchy matrix differs")
} else {
    print("ISA-L         not installed (apt install libisal2)")
}

// zfec through its Python bindings (pip install zfec, or apt install python3-zfec).
let script = """
import sys, time, os, random
import zfec
k, n, size, runs = map(int, sys.argv[1:5])
rng = random.Random(42)
blocks = [os.urandom(size) for _ in range(k)]
enc = zfec.Encoder(k, n)
best = min((lambda t: (enc.encode(blocks, list(range(k, n))), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(runs))
shares = enc.encode(blocks)
dec = zfec.Decoder(k, n)
nums = list(range(n - k, n))
have = [shares[i] for i in nums]
bestd = min((lambda t: (dec.decode(have, nums), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(runs))
print(best, bestd)
"""
var zfecEncode: Double?
// The first python3 that has zfec (a pyenv shim may shadow Debian's, which python3-zfec serves).
let pythons = [which("python3"), "/usr/bin/python3"].compactMap { $0 }
for python in pythons where zfecEncode == nil {
    let (output, status) = try capture(python, ["-c", script, "\(k)", "\(n)", "\(shardSize)", "\(runs)"])
    let fields = output.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    if status == 0, fields.count == 2 {
        zfecEncode = fields[0]
        print("zfec          encode \(rate(fields[0]))   rebuild \(n - k) data shards \(rate(fields[1]))")
    }
}
if zfecEncode == nil { print("zfec          not installed (pip install zfec, or apt install python3-zfec)") }
print(String(format: "ratios: encode %.2f× zfec, %.2f× ISA-L", (zfecEncode ?? .nan) / oursEncode, (isalEncode ?? .nan) / oursEncode))
