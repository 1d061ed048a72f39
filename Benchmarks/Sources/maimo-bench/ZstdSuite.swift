import BenchReport
import CompareSupport
import Foundation
import MaimoZstd

/// zstd in memory against the reference's own in-memory benchmark (`zstd -b#`, C), on a mixed
/// corpus: compression speed and size at each level, and decompression speed; then small records
/// with dictionaries and the `maimo zstd -d` command (ZstdRecordsSuite.swift), and long-distance
/// matching and patches (ZstdLongSuite.swift).
enum ZstdSuite: Suite {
    static let name = "zstd"
    static let summary = "MaimoZstd against the reference zstd: levels, dictionaries, decoding, the command"

    static func run(_ bench: Bench) throws -> [Figure] {
        guard let zstd = which("zstd") else {
            print("  zstd not found (apt-get install zstd): no zstd comparison")
            return []
        }
        let size = bench.quick ? 8 << 20 : 32 << 20
        let data = bench.corpus(size)
        let path = try bench.file("zstd-corpus", data)
        // "*** Zstandard CLI (64-bit) v1.5.4, by Yann Collet ***" → "zstd v1.5.4"
        let version = bench.version("zstd", ["-V"]).split(separator: " ").first { $0.hasPrefix("v") }.map { "zstd \($0.trimmingCharacters(in: .punctuationCharacters))" } ?? "zstd"
        var figures: [Figure] = []
        let slowPath = try bench.file("zstd-corpus-small", Array(data.prefix(size / 8)))
        for level in bench.quick ? [1, 3] : [-5, 1, 3, 9, 19] {
            // Level 19 runs at well under 1 MB/s: an eighth of the corpus keeps the run in minutes.
            let (data, path, size) = level >= 16 ? (Array(data.prefix(size / 8)), slowPath, size / 8) : (data, path, size)
            var frame: [UInt8] = []
            var referenceSize: Double?
            var decompressOurs: [Double] = [], decompressTheirs: [Double] = []
            let (compressOurs, compressTheirs) = try bench.pairs({
                // No checksum, as `zstd -b` writes none: the same work on both sides (XXH64 of
                // the content is 2-4% of a fast level's compression and of any decompression).
                let compressor = prepareCompression(level: level, size: size)
                var written = 0
                let seconds = timed { written = compressReusing(data, with: compressor) }
                frame = Array(compressed[..<written])
                let decoded = best(bench.quick ? 2 : 3) { _ = try? decodeReusing(frame, size: size) }
                decompressOurs.append(Double(size) / decoded / 1e6)
                return Double(size) / seconds / 1e6
            }, {
                guard let (compressed, compress, decompress) = try referenceBenchmark(zstd, level: level, path: path, seconds: bench.quick ? 1 : 3) else { return nil }
                referenceSize = compressed
                decompressTheirs.append(decompress)
                return compress
            })
            let reference = "\(version) -b\(level)"
            for figure in [
                Figure(module: "MaimoZstd", name: "compress level \(level)", unit: "MB/s", ours: compressOurs, reference: reference,
                       theirs: compressTheirs, note: "\(size >> 20) MiB of the mixed corpus"),
                Figure(module: "MaimoZstd", name: "size at level \(level)", unit: "bytes", higherIsBetter: false,
                       ours: Sample([Double(frame.count)]), reference: reference, theirs: referenceSize.map { Sample([$0]) }),
                Figure(module: "MaimoZstd", name: "decompress level \(level)", unit: "MB/s", ours: Sample(decompressOurs),
                       reference: reference, theirs: decompressTheirs.isEmpty ? nil : Sample(decompressTheirs)),
            ] {
                figures.append(figure)
                report(figure)
            }
        }
        figures += try long(bench, zstd: zstd, version: version, corpus: data)
        figures += try records(bench, zstd: zstd, version: version)
        figures += try command(bench, zstd: zstd, version: version, corpus: path, size: size)
        return figures
    }

    /// One compressor per level and one destination for every compression, as `zstd -b` keeps
    /// its context and output buffer: what is timed is compressing (into the reused buffer with
    /// `compressFrame(_:into:)`), not allocating tables and faulting in a new output array.
    nonisolated(unsafe) static var compressors: [Int: ZstdCompressor] = [:]
    nonisolated(unsafe) static var compressed = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    static func prepareCompression(level: Int, size: Int) -> ZstdCompressor {
        let bound = ZstdCompressor.compressBound(size)
        if compressed.count < bound {
            compressed.deallocate()
            compressed = .allocate(byteCount: bound, alignment: 64)
            compressed.initializeMemory(as: UInt8.self, repeating: 0)   // touched once, before timing
        }
        if let compressor = compressors[level] { return compressor }
        let compressor = ZstdCompressor(options: .init(level: level, checksum: false))
        compressors[level] = compressor
        return compressor
    }

    static func compressReusing(_ data: [UInt8], with compressor: ZstdCompressor) -> Int {
        // Cannot fail: the destination holds the bound.
        data.withUnsafeBytes { try! compressor.compressFrame($0, into: compressed) }
    }

    /// One decompressor and one destination for every decode, as `zstd -b` keeps its context and
    /// output buffer from run to run: what is timed is decoding, not allocating and first-touch
    /// page faults of a new array each time (which made `Zstd.decompress` 1.7x slower on 40 MiB
    /// here).
    nonisolated(unsafe) static let decoder = ZstdDecompressor()
    nonisolated(unsafe) static var destination = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    static func decodeReusing(_ frame: [UInt8], size: Int) throws(ZstdError) -> Int {
        if destination.count < size {
            destination.deallocate()
            destination = .allocate(byteCount: size, alignment: 64)
            destination.initializeMemory(as: UInt8.self, repeating: 0)   // touched once, before timing
        }
        let result: Result<Int, ZstdError> = frame.withUnsafeBytes { raw in
            Result { () throws(ZstdError) in try decoder.decompress(raw, into: destination) }
        }
        return try result.get()
    }

    /// `zstd -b<level> -q` (and `extra` options): compressed size, compression and decompression MB/s.
    static func referenceBenchmark(_ zstd: String, level: Int, path: String, seconds: Int, extra: [String] = []) throws -> (Double, Double, Double)? {
        let levelArguments = level < 0 ? ["--fast=\(-level)", "-b"] : ["-b\(level)"] + (level > 19 ? ["--ultra"] : [])
        let (output, status) = try capture(zstd, levelArguments + extra + ["-i\(seconds)", "-q", path], mergingErrors: true)
        guard status == 0, let line = output.split(separator: "\n").last(where: { $0.contains("MB/s") }) else { return nil }
        let words = line.split(separator: " ")
        let speeds = words.indices.filter { words[$0] == "MB/s" && $0 > 0 }.compactMap { Double(words[$0 - 1]) }
        guard words.count > 1, let compressed = Double(words[1]), speeds.count == 2 else { return nil }
        return (compressed, speeds[0], speeds[1])
    }
}
