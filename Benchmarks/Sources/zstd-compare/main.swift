// Prints MaimoZstd's decompression speed next to the reference `zstd` (1.5.x, C), in one run,
// as ratios, on a generated mixed corpus: prose, JSON records, binary tables and noise (standing
// for already-compressed files), compressed by the reference at levels 1 and 3.
//
// Two comparisons per level:
//   library: MaimoZstd in memory (output copied into one buffer) against `zstd -b -d FILE`,
//            the reference's own in-memory decompression benchmark;
//   CLI:     `maimo zstd -d -c FILE > /dev/null` against `zstd -d -c FILE > /dev/null`.
//
//   swift run -c release --package-path Benchmarks zstd-compare [--quick] [--maimo PATH]
import CompareSupport
import Foundation
import MaimoZstd

let quick = CommandLine.arguments.contains("--quick")
/// `--records`: only the small-records-with-a-dictionary section (`--profile-records`: then only
/// a long loop compressing them, to profile).
let recordsOnly = CommandLine.arguments.contains("--records") || CommandLine.arguments.contains("--profile-records")

/// Runs a command to completion; its standard output and standard error, merged.
func capture(_ executable: String, _ arguments: [String]) throws -> String {
    try CompareSupport.capture(executable, arguments, mergingErrors: true).output
}

// MARK: The corpus

func corpus(kinds: [Int], size: Int) -> [UInt8] {
    var g = Generator(state: 20_261_125)
    var out = [UInt8]()
    out.reserveCapacity(size)
    while out.count < size {
        let kind = kinds.randomElement(using: &g)!
        // Noise stands for already-compressed files: a quarter as much of it.
        let count = Int.random(in: 20_000...400_000, using: &g) / (kind == 3 ? 4 : 1)
        out += piece(kind, min(count, size - out.count), &g)
    }
    return out
}

var generatorForRecords = Generator(state: 42)

// MARK: Measurements

guard let zstd = which("zstd") else {
    print("zstd-compare needs the reference `zstd` on PATH (apt-get install zstd)")
    exit(1)
}
let maimo = CommandLine.arguments.firstIndex(of: "--maimo").flatMap {
    $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil
} ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/release/maimo").path
let haveMaimo = FileManager.default.isExecutableFile(atPath: maimo)

let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-zstd-bench-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }

let size = quick ? 16 << 20 : 64 << 20
let corpora: [(String, [Int])] = [("mixed", [0, 1, 2, 3]), ("text", [0]), ("json", [1]), ("binary", [2])]
print("MaimoZstd decompression against \(try capture(zstd, ["--version"]).split(separator: "\n").first ?? "zstd")")
print("Corpus: \(size >> 20) MiB per kind, generated (seed 20261125); MB = 10^6 bytes, best of N.")
print("")
print("corpus  level  ratio   maimo lib   zstd -b -d   lib ratio   maimo CLI   zstd CLI   CLI ratio")

/// `zstd -b -d`'s decompression speed in MB/s (the last figure it prints).
func referenceSpeed(_ file: String) throws -> Double {
    let output = try capture(zstd, ["-b", "-d", "-i\(quick ? 1 : 3)", file])
    let figures = output.split(whereSeparator: { $0 == " " || $0 == "\r" || $0 == "\n" || $0 == "," })
    var last = 0.0
    for (i, word) in figures.enumerated() where word == "MB/s" && i > 0 {
        last = Double(figures[i - 1]) ?? last
    }
    return last
}

for (name, kinds) in corpora where !recordsOnly {
    let data = corpus(kinds: kinds, size: size)
    let plain = directory.appendingPathComponent("\(name).bin").path
    FileManager.default.createFile(atPath: plain, contents: Data(data))
    for level in [1, 3] {
        let compressedPath = directory.appendingPathComponent("\(name)-\(level).zst").path
        _ = try capture(zstd, ["-q", "-f", "-\(level)", plain, "-o", compressedPath])
        let frame = [UInt8](try Data(contentsOf: URL(fileURLWithPath: compressedPath)))

        let output = UnsafeMutableRawPointer.allocate(byteCount: data.count, alignment: 64)
        defer { output.deallocate() }
        var produced = 0
        let libraryTime = try best(quick ? 3 : 8) {
            let decoder = ZstdDecompressor()
            produced = 0
            try decoder.decompress(frame) { (bytes) throws(ZstdError) in
                (output + produced).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
                produced += bytes.count
            }
            try decoder.finish()
        }
        guard produced == data.count, memcmp(output, data, data.count) == 0 else {
            print("MaimoZstd output differs on \(name) level \(level)!")
            exit(1)
        }
        let maimoLibrary = Double(data.count) / libraryTime / 1e6
        let reference = try referenceSpeed(compressedPath)
        var cli = "          -            -          -"
        if haveMaimo {
            let runs = quick ? 3 : 8
            let ours = timeCommand(maimo, ["zstd", "-d", "-c", compressedPath], runs: runs)
            let theirs = timeCommand(zstd, ["-d", "-c", compressedPath], runs: runs)
            cli = String(format: "%7.0f MB/s %7.0f MB/s   %6.2f×", Double(data.count) / ours / 1e6, Double(data.count) / theirs / 1e6, theirs / ours)
        }
        print(name.padding(toLength: 7, withPad: " ", startingAt: 0) + String(format: " %5d  %5.2f  %6.0f MB/s  %6.0f MB/s    %6.2f×  ", 
                    
                     level, Double(data.count) / Double(frame.count), maimoLibrary, reference, maimoLibrary / reference) + cli)
    }
}
// MARK: Compression

print("")
print("Compression: MaimoZstd in memory against `zstd -b#` (the reference's in-memory benchmark), same corpus")
print("corpus  level   maimo ratio   zstd ratio   size ratio   maimo speed   zstd speed   speed ratio")
/// `zstd -b#`'s compression speed (MB/s) and ratio.
func referenceCompression(_ file: String, level: Int) throws -> (speed: Double, ratio: Double) {
    let output = try capture(zstd, ["-b\(level)", "-i\(quick ? 1 : 3)", file])
    // The last progress line: `name : 67108864 -> 27736578 (x2.420),  414.2 MB/s, 1369.2 MB/s`.
    let line = output.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).last { $0.contains("MB/s") } ?? ""
    let words: [Substring] = line.split(whereSeparator: { (c: Character) -> Bool in " ,()".contains(c) })
    var ratio = 0.0, speed = 0.0
    if let word = words.first(where: { $0.hasPrefix("x") }), let value = Double(word.dropFirst()) { ratio = value }
    if let index = words.firstIndex(of: "MB/s"), index > 0, let value = Double(words[index - 1]) { speed = value }
    return (speed, ratio)
}
for (name, kinds) in corpora where !recordsOnly {
    let data = corpus(kinds: kinds, size: size)
    let plain = directory.appendingPathComponent("\(name).bin").path
    for level in [1, 3] {
        var frame = [UInt8]()
        let time = best(quick ? 2 : 5) { frame = Zstd.compress(data, level: level) }
        guard (try? Zstd.decompress(frame)) == data else { print("round trip failed on \(name) level \(level)!"); exit(1) }
        let reference = try referenceCompression(plain, level: level)
        let ours = Double(data.count) / Double(frame.count)
        let speed = Double(data.count) / time / 1e6
        print(name.padding(toLength: 7, withPad: " ", startingAt: 0) + String(format: " %5d   %11.3f   %10.3f   %9.3f×   %6.0f MB/s  %6.0f MB/s     %6.2f×",
            level, ours, reference.ratio, reference.ratio / ours, speed, reference.speed, speed / reference.speed))
    }
}

// MARK: Small records with a dictionary

print("")
print("Small JSON records (2000, one frame each, no checksum) with a dictionary trained on 1000 others")
let lines = piece(1, 400_000, &generatorForRecords).split(separator: UInt8(ascii: "\n")).map { Array($0) }.filter { $0.count > 20 }
let trainRecords = Array(lines.prefix(1000)), testRecords = Array(lines.dropFirst(1000).prefix(2000))
let recordDirectory = directory.appendingPathComponent("records")
try FileManager.default.createDirectory(at: recordDirectory, withIntermediateDirectories: true)
var trainPaths = [String](), testPaths = [String]()
for (i, record) in trainRecords.enumerated() {
    let path = recordDirectory.appendingPathComponent("train-\(i).json").path
    FileManager.default.createFile(atPath: path, contents: Data(record)); trainPaths.append(path)
}
for (i, record) in testRecords.enumerated() {
    let path = recordDirectory.appendingPathComponent("test-\(i).json").path
    FileManager.default.createFile(atPath: path, contents: Data(record)); testPaths.append(path)
}
let referenceDictionaryPath = directory.appendingPathComponent("zstd.dict").path
_ = try capture(zstd, ["-q", "--train"] + trainPaths + ["--maxdict=16384", "-o", referenceDictionaryPath])
let ownDictionaryBytes = try ZstdDictionary.train(samples: trainRecords, maxSize: 16384)
let ownDictionaryPath = directory.appendingPathComponent("maimo.dict").path
FileManager.default.createFile(atPath: ownDictionaryPath, contents: Data(ownDictionaryBytes))
let recordBytes = testRecords.reduce(0) { $0 + $1.count }
print("\(testRecords.count) records, \(recordBytes) bytes (mean \(recordBytes / testRecords.count))")
print("dictionary       level   maimo ratio   zstd ratio   size ratio   maimo speed   zstd speed   speed ratio")
for (label, path) in [("zstd --train", referenceDictionaryPath), ("maimo --train", ownDictionaryPath)] {
    let dictionary = try ZstdDictionary([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    for level in [1, 3] {
        var compressedBytes = 0
        // One compressor for all records, as `zstd -b` keeps one context and a prepared dictionary.
        let compressor = ZstdCompressor(dictionary: dictionary, options: .init(level: level, checksum: false))
        if CommandLine.arguments.contains("--profile-records") {
            // A long loop of nothing but record compression, for `perf record`.
            for _ in 0..<200 { for record in testRecords { _ = compressor.compressFrame(record) } }
            exit(0)
        }
        let time = best(quick ? 2 : 5) {
            compressedBytes = 0
            for record in testRecords { compressedBytes += compressor.compressFrame(record).count }
        }
        let output = try capture(zstd, ["-b\(level)", "-i\(quick ? 1 : 3)", "-D", path] + testPaths)
        let line = output.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).last { $0.contains("MB/s") } ?? ""
        let words: [Substring] = line.split(whereSeparator: { (c: Character) -> Bool in " ,()".contains(c) })
        var referenceRatio = 0.0, referenceSpeed = 0.0
        if let word = words.first(where: { $0.hasPrefix("x") }), let value = Double(word.dropFirst()) { referenceRatio = value }
        if let index = words.firstIndex(of: "MB/s"), index > 0, let value = Double(words[index - 1]) { referenceSpeed = value }
        let ours = Double(recordBytes) / Double(compressedBytes)
        let speed = Double(recordBytes) / time / 1e6
        print(label.padding(toLength: 16, withPad: " ", startingAt: 0) + String(format: " %5d   %11.3f   %10.3f   %9.3f×   %6.1f MB/s  %6.1f MB/s     %6.2f×",
            level, ours, referenceRatio, referenceRatio / ours, speed, referenceSpeed, speed / referenceSpeed))
    }
}
let plainRatio = Double(recordBytes) / Double(testRecords.reduce(0) { $0 + Zstd.compress($1, level: 3, checksum: false).count })
print(String(format: "without a dictionary, level 3: ratio %.3f", plainRatio))

if !haveMaimo { print("\n(no maimo binary at \(maimo): build it with `swift build -c release` for the CLI columns)") }
