import BenchReport
import CompareSupport
import Foundation
import MaimoZstd

/// The zstd figures beyond one big input: small JSON records compressed one frame each with a
/// dictionary (the reference's `--train` dictionary, used by both sides, and ours), against
/// `zstd -b# -D`; and `maimo zstd -d` against `zstd -d` as commands on one file.
extension ZstdSuite {
    static func records(_ bench: Bench, zstd: String, version: String) throws -> [Figure] {
        var generator = Generator(state: 42)
        let lines = piece(1, 400_000, &generator).split(separator: UInt8(ascii: "\n")).map { Array($0) }.filter { $0.count > 20 }
        let training = Array(lines.prefix(1000)), records = Array(lines.dropFirst(1000).prefix(2000))
        let directory = bench.directory + "/records"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let trainingPaths = try training.enumerated().map { try bench.file("records/train-\($0.offset).json", $0.element) }
        let recordPaths = try records.enumerated().map { try bench.file("records/record-\($0.offset).json", $0.element) }
        let referencePath = directory + "/zstd.dict"
        let (trainOutput, trainStatus) = try capture(zstd, ["-q", "--train"] + trainingPaths + ["--maxdict=16384", "-o", referencePath],
                                                     mergingErrors: true)
        guard trainStatus == 0 else {
            print("  zstd --train failed: \(trainOutput.suffix(200))")
            return []
        }
        let ownPath = try bench.file("records/maimo.dict", try ZstdDictionary.train(samples: training, maxSize: 16384))
        let recordBytes = records.reduce(0) { $0 + $1.count }
        var figures: [Figure] = []
        for (label, path) in [("zstd --train", referencePath), ("MaimoZstd's trainer", ownPath)] {
            let dictionary = try ZstdDictionary([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            for level in bench.quick ? [3] : [1, 3] {
                // One compressor for all records, as `zstd -b` keeps one context and a prepared dictionary.
                let compressor = ZstdCompressor(dictionary: dictionary, options: .init(level: level, checksum: false))
                var compressed = 0
                var referenceSize: Double?
                let (ours, theirs) = try bench.pairs({
                    let seconds = best(bench.quick ? 2 : 3) {
                        compressed = 0
                        for record in records { compressed += compressor.compressFrame(record).count }
                    }
                    return Double(recordBytes) / seconds / 1e6
                }, {
                    guard let (size, speed) = try referenceRecords(zstd, level: level, dictionary: path, records: recordPaths,
                                                                  seconds: bench.quick ? 1 : 2) else { return nil }
                    referenceSize = size
                    return speed
                })
                let reference = "\(version) -b\(level) -D (\(label)'s dictionary)"
                let note = "\(records.count) records of \(recordBytes / records.count) bytes on average, one frame each"
                for figure in [
                    Figure(module: "MaimoZstd", name: "compress records, \(label)'s dictionary, level \(level)", unit: "MB/s", ours: ours,
                           reference: reference, theirs: theirs, note: note),
                    Figure(module: "MaimoZstd", name: "size of records, \(label)'s dictionary, level \(level)", unit: "bytes",
                           higherIsBetter: false, ours: Sample([Double(compressed)]), reference: reference,
                           theirs: referenceSize.map { Sample([$0]) }, note: note),
                ] {
                    figures.append(figure)
                    report(figure)
                }
            }
        }
        return figures
    }

    /// `zstd -b<level> -D dictionary records…`: total compressed bytes and compression MB/s.
    static func referenceRecords(_ zstd: String, level: Int, dictionary: String, records: [String], seconds: Int) throws -> (Double, Double)? {
        let (output, status) = try capture(zstd, ["-b\(level)", "-i\(seconds)", "-q", "-D", dictionary] + records, mergingErrors: true)
        guard status == 0, let line = output.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).last(where: { $0.contains("MB/s") }) else {
            return nil
        }
        // `-3         1665 (2.907)  42.95 MB/s  166.2 MB/s   50 files`: the level, the compressed
        // bytes of all records, the ratio, compression and decompression speed.
        let words = line.split(whereSeparator: { " \t,()".contains($0) })
        guard words.count > 1, let size = Double(words[1]),
              let unit = words.firstIndex(of: "MB/s"), unit > 0, let speed = Double(words[unit - 1]) else { return nil }
        return (size, speed)
    }

    /// `maimo zstd -d -c FILE > /dev/null` against `zstd -d -c FILE > /dev/null`, level 3 frames
    /// written by the reference, each command's start-up included (it is what a user waits for).
    static func command(_ bench: Bench, zstd: String, version: String, corpus path: String, size: Int) throws -> [Figure] {
        guard let maimo = bench.maimo else {
            print("  no release maimo (swift build -c release in the repository): no command comparison")
            return []
        }
        let frame = path + ".zst"
        guard let (_, status) = try? capture(zstd, ["-q", "-f", "-3", path, "-o", frame]), status == 0 else { return [] }
        let runs = bench.quick ? 3 : 5
        let (ours, theirs) = bench.pairs({
            Double(size) / timeCommand(maimo, ["zstd", "-d", "-c", frame], runs: runs) / 1e6
        }, {
            Double(size) / timeCommand(zstd, ["-d", "-c", frame], runs: runs) / 1e6
        })
        let figure = Figure(module: "MaimoZstd", name: "maimo zstd -d FILE", size: size, unit: "MB/s", ours: ours,
                            reference: "\(version) -d", theirs: theirs, note: "a level 3 frame in the page cache, output to /dev/null")
        report(figure)
        guard let lean = bench.sibling("maimo-zstd") else { return [figure] }
        let (leanOurs, leanTheirs) = bench.pairs({
            Double(size) / timeCommand(lean, ["-d", "-c", frame], runs: runs) / 1e6
        }, {
            Double(size) / timeCommand(zstd, ["-d", "-c", frame], runs: runs) / 1e6
        })
        let leanFigure = Figure(module: "MaimoZstd", name: "maimo-zstd -d FILE", size: size, unit: "MB/s", ours: leanOurs,
                                reference: "\(version) -d", theirs: leanTheirs, note: "a level 3 frame in the page cache, output to /dev/null")
        report(leanFigure)
        return [figure, leanFigure]
    }
}
