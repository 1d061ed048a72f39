import BenchReport
import CompareSupport
import Foundation
import MaimoErasure

/// Reed–Solomon 10-of-14 on one core against zfec (Tahoe-LAFS's coder, C behind Python) and
/// Intel's ISA-L (hand-written SIMD assembly, loaded with dlopen from Debian's libisal2, whose
/// parity for the same Cauchy matrix must be ours byte for byte).
enum ErasureSuite: Suite {
    static let name = "erasure"
    static let summary = "MaimoErasure 10-of-14 against zfec and ISA-L"

    static func run(_ bench: Bench) throws -> [Figure] {
        let (k, n) = (10, 14)
        let shardSizes = bench.quick ? [64 << 10, 1 << 20] : [16 << 10, 64 << 10, 256 << 10, 1 << 20]
        let code = try ReedSolomon(dataShards: k, totalShards: n)
        let isal = ISAL(k: k, n: n)
        let python = bench.python(with: "zfec")
        var figures: [Figure] = []
        for shardSize in shardSizes {
            let data = (0..<k).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: shardSize, alignment: 64) }
            let parity = (0..<(n - k)).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: shardSize, alignment: 64) }
            defer { (data + parity).forEach { $0.deallocate() } }
            for region in data { region.copyBytes(from: bench.random(shardSize)) }
            let inputs = data.map { UnsafeRawBufferPointer($0) }
            let bytes = k * shardSize
            let inner = max(3, 200_000_000 / bytes)
            let encode = { try bench.throughput(bytes: bytes, inner: inner) { try code.encode(data: inputs, parity: parity) } }
            if let isal {
                let (ours, theirs) = try bench.pairs(encode, { isal.throughput(data: data, shardSize: shardSize, inner: inner) })
                precondition(isal.parity(data: data, shardSize: shardSize) == parity.map { Array($0) }, "ISA-L's parity differs from ours")
                figures.append(Figure(module: "MaimoErasure", name: "encode 10-of-14 (against ISA-L)", size: bytes, unit: "MB/s",
                                      ours: ours, reference: "ISA-L (libisal2) ec_encode_data", theirs: theirs))
                report(figures.last!)
            }
            let (ours, theirs) = try bench.pairs(encode, { python.flatMap { try? zfec($0, k: k, n: n, shardSize: shardSize) } })
            figures.append(Figure(module: "MaimoErasure", name: "encode 10-of-14 (against zfec)", size: bytes, unit: "MB/s",
                                  ours: ours, reference: python == nil ? nil : "zfec \(zfecVersion(python!))", theirs: theirs,
                                  note: python == nil ? "pip install zfec for the reference" : nil))
            report(figures.last!)
            figures.append(try rebuild(bench, code: code, data: data.map { Array($0) }, parity: parity.map { Array($0) },
                                       python: python, shardSize: shardSize))
            report(figures.last!)
        }
        return figures
    }

    /// The rebuild of the first N−K data shards from the rest, against zfec's decode of the same
    /// loss; the rebuilt shards must be the originals.
    static func rebuild(_ bench: Bench, code: ReedSolomon, data: [[UInt8]], parity: [[UInt8]], python: String?,
                        shardSize: Int) throws -> Figure {
        let (k, n) = (code.dataShards, code.totalShards)
        var lost: [[UInt8]?] = data + parity
        for i in 0..<(n - k) { lost[i] = nil }
        var check = lost
        try code.reconstructData(&check)
        precondition(check.prefix(k).map { $0! } == data, "the rebuilt shards differ from the originals")
        let bytes = k * shardSize
        let inner = max(3, 100_000_000 / bytes)
        let (ours, theirs) = try bench.pairs({
            try bench.throughput(bytes: bytes, inner: inner) {
                var copy = lost
                try code.reconstructData(&copy)
            }
        }, { python.flatMap { try? zfecRebuild($0, k: k, n: n, shardSize: shardSize) } })
        return Figure(module: "MaimoErasure", name: "rebuild \(n - k) lost data shards of 10-of-14", size: bytes, unit: "MB/s",
                      ours: ours, reference: python == nil ? nil : "zfec \(zfecVersion(python!)) decode", theirs: theirs,
                      note: python == nil ? "pip install zfec for the reference" : nil)
    }

    /// zfec's MB/s decoding the data from the last K shares (the first N−K lost), best of the runs.
    static func zfecRebuild(_ python: String, k: Int, n: Int, shardSize: Int) throws -> Double? {
        let script = """
        import sys, time, os, zfec
        k, n, size = map(int, sys.argv[1:4])
        blocks = [os.urandom(size) for _ in range(k)]
        shares = zfec.Encoder(k, n).encode(blocks)
        decoder = zfec.Decoder(k, n)
        numbers = list(range(n - k, n))
        have = [shares[i] for i in numbers]
        runs = max(3, 100000000 // (k * size))
        best = 1e9
        for _ in range(runs):
            start = time.perf_counter(); decoder.decode(have, numbers); best = min(best, time.perf_counter() - start)
        print(k * size / best / 1e6)
        """
        let (output, status) = try capture(python, ["-c", script, "\(k)", "\(n)", "\(shardSize)"])
        return status == 0 ? Double(output.trimmingCharacters(in: .whitespacesAndNewlines)) : nil
    }

    static func zfecVersion(_ python: String) -> String {
        (try? capture(python, ["-c", "import zfec; print(zfec.__version__)"]).output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? "?"
    }

    /// zfec's encode MB/s of the data shards, best of the runs.
    static func zfec(_ python: String, k: Int, n: Int, shardSize: Int) throws -> Double? {
        let script = """
        import sys, time, os, zfec
        k, n, size = map(int, sys.argv[1:4])
        blocks = [os.urandom(size) for _ in range(k)]
        enc = zfec.Encoder(k, n)
        runs = max(3, 200000000 // (k * size))
        best = 1e9
        for _ in range(runs):
            start = time.perf_counter(); enc.encode(blocks, list(range(k, n))); best = min(best, time.perf_counter() - start)
        print(k * size / best / 1e6)
        """
        let (output, status) = try capture(python, ["-c", script, "\(k)", "\(n)", "\(shardSize)"])
        return status == 0 ? Double(output.trimmingCharacters(in: .whitespacesAndNewlines)) : nil
    }
}
