// maimo-bench: every comparison in one run, one report.
//
//   swift run -c release --package-path Benchmarks maimo-bench [--quick] [--only blake3,zstd] [--out DIR]
//                                                               [--build LABEL] [--maimo PATH]
//                                                               [--blake3-c DIR] [--list]
//
// Each figure is Maimo's measurement of an operation and, right after it in the same run, the
// same operation by the tool a user would otherwise pick; the pair is repeated (3 times with
// --quick, 7 otherwise) and the report gives min, median and max of each side and the ratio of
// the medians. It prints a Markdown table and writes maimo-bench.json and maimo-bench.html
// (one self-contained page with SVG charts) into the current directory or --out DIR.
import BenchReport
import CompareSupport
import Foundation

let suites: [any Suite.Type] = [Blake3Suite.self, BaoSuite.self, CipherSuite.self, ZstdSuite.self, ErasureSuite.self, StoresSuite.self, EngineSuite.self, RedundancySuite.self]

let arguments = CommandLine.arguments
func value(_ name: String) -> String? {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
}

if arguments.contains("--list") {
    for suite in suites { print("\(suite.name)\t\(suite.summary)") }
    exit(0)
}
if arguments.contains("--help") || arguments.contains("-h") {
    print("""
    usage: maimo-bench [--quick] [--only SUITE[,SUITE…]] [--out DIR] [--build LABEL] [--maimo PATH]
                       [--blake3-c DIR] [--list]
      --quick     fewer repetitions, smaller inputs (about 2 minutes on 2 cores)
      --only      run these suites (see --list)
      --out       where maimo-bench.json and maimo-bench.html go (default: the current directory)
      --build     how the benchmarks were built, for the report (default: "release")
      --maimo     the maimo executable for the command comparisons (default: the repository's
                  .build/release/maimo; give a -target-cpu build's to measure it)
      --blake3-c  a copy of github.com/BLAKE3-team/BLAKE3 (or its c/ folder): built with cc in the
                  run, its SSE2 path and its full dispatch measured beside MaimoBlake3
    """)
    exit(0)
}
let quick = arguments.contains("--quick")
let only = value("--only").map { Set($0.split(separator: ",").map { $0.lowercased() }) }
if let only, let unknown = only.first(where: { name in !suites.contains { $0.name == name } }) {
    FileHandle.standardError.write(Data("maimo-bench: no suite \(unknown) (see --list)\n".utf8))
    exit(2)
}
let out = value("--out") ?? FileManager.default.currentDirectoryPath

let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: scratch) }
// The repository's release `maimo`, for the command comparisons.
let maimoPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/release/maimo").path
let maimo = value("--maimo") ?? maimoPath
var bench = Bench(quick: quick, repetitions: quick ? 3 : 7, directory: scratch,
                  maimo: FileManager.default.isExecutableFile(atPath: maimo) ? maimo : nil)
bench.blake3C = value("--blake3-c")

let started = ISO8601DateFormatter().string(from: Date())
var report = Report(command: (["maimo-bench"] + arguments.dropFirst()).joined(separator: " "), started: started,
                    machine: Machine.describe(build: value("--build") ?? "release"), mode: bench.mode)
let clock = ContinuousClock()
let begin = clock.now
for suite in suites where only?.contains(suite.name) ?? true {
    print("\(suite.name): \(suite.summary)")
    fflush(nil)
    let start = clock.now
    report.figures += try suite.run(bench)
    print("  (\(String(format: "%.1f", seconds(clock.now - start))) s)")
}
print("")
print(report.markdown())
let (json, html) = try report.write(toDirectory: out)
print("Wrote \(json) and \(html) in \(String(format: "%.0f", seconds(clock.now - begin))) s.")
