import BenchReport
import CompareSupport
import Foundation
import MaimoZstd

/// Long-distance matching and patches: the corpus twice in a row (the second copy far beyond
/// level 3's 2 MiB window, within `--long`'s 128 MiB) against `zstd -b3 --long=27`, in memory;
/// and a patch of an edited copy against the original, `maimo zstd --patch-from` against
/// `zstd --patch-from`, as commands.
extension ZstdSuite {
    static func long(_ bench: Bench, zstd: String, version: String, corpus data: [UInt8]) throws -> [Figure] {
        let twice = data + data
        let path = try bench.file("zstd-twice", twice)
        var frame: [UInt8] = []
        var referenceSize: Double?
        let compressor = ZstdCompressor(options: .init(level: 3, contentSize: UInt64(twice.count), longWindowLog: 27))
        let (ours, theirs) = try bench.pairs({
            let seconds = timed { frame = compressor.compressFrame(twice) }
            return Double(twice.count) / seconds / 1e6
        }, {
            guard let (compressed, compress, _) = try referenceBenchmark(
                zstd, level: 3, path: path, seconds: bench.quick ? 1 : 3, extra: ["--long=27"]) else { return nil }
            referenceSize = compressed
            return compress
        })
        let reference = "\(version) -b3 --long=27"
        let note = "the \(data.count >> 20) MiB mixed corpus twice in a row"
        var figures = [
            Figure(module: "MaimoZstd", name: "compress --long=27, level 3", unit: "MB/s", ours: ours, reference: reference,
                   theirs: theirs, note: note),
            Figure(module: "MaimoZstd", name: "size with --long=27, level 3", unit: "bytes", higherIsBetter: false,
                   ours: Sample([Double(frame.count)]), reference: reference, theirs: referenceSize.map { Sample([$0]) }, note: note),
        ]
        figures.forEach(report)
        figures += try patch(bench, zstd: zstd, version: version, corpus: data)
        return figures
    }

    /// An edited copy of the corpus (a changed byte every 64 KiB, 4 KiB inserted in the middle)
    /// as a patch against the original, each tool's command with its start-up.
    static func patch(_ bench: Bench, zstd: String, version: String, corpus data: [UInt8]) throws -> [Figure] {
        guard let maimo = bench.maimo else { return [] }
        var edited = data
        for at in stride(from: 1000, to: edited.count, by: 65_536) { edited[at] &+= 1 }
        edited.insert(contentsOf: data.prefix(4096).reversed(), at: edited.count / 2)
        let old = try bench.file("zstd-patch-old", data), new = try bench.file("zstd-patch-new", edited)
        let runs = bench.quick ? 2 : 4
        var sizes: (Double?, Double?) = (nil, nil)
        func size(_ tool: String, _ arguments: [String]) -> Double? {
            guard let (_, status) = try? capture(tool, arguments), status == 0,
                  let attributes = try? FileManager.default.attributesOfItem(atPath: new + ".patch") else { return nil }
            return (attributes[.size] as? NSNumber)?.doubleValue
        }
        let (ours, theirs) = bench.pairs({
            sizes.0 = size(maimo, ["zstd", "-q", "-f", "--patch-from", old, new, "-o", new + ".patch"])
            return Double(edited.count) / timeCommand(maimo, ["zstd", "-c", "--patch-from", old, new], runs: runs) / 1e6
        }, {
            sizes.1 = size(zstd, ["-q", "-f", "--patch-from=" + old, new, "-o", new + ".patch"])
            return Double(edited.count) / timeCommand(zstd, ["-q", "-c", "--patch-from=" + old, new], runs: runs) / 1e6
        })
        let reference = "\(version) --patch-from (level 3)"
        let note = "\(data.count >> 20) MiB, a byte changed every 64 KiB and 4 KiB inserted; commands, start-up included"
        let figures = [
            Figure(module: "MaimoZstd", name: "maimo zstd --patch-from", unit: "MB/s", ours: ours, reference: reference,
                   theirs: theirs, note: note),
            Figure(module: "MaimoZstd", name: "size of a --patch-from patch", unit: "bytes", higherIsBetter: false,
                   ours: Sample(sizes.0.map { [$0] } ?? []), reference: reference, theirs: sizes.1.map { Sample([$0]) }, note: note),
        ]
        figures.forEach(report)
        return figures
    }
}
