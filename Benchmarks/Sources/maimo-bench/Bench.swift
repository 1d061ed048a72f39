import BenchReport
import CompareSupport
import Foundation

/// What every suite gets: the mode, a scratch directory, and the measuring helpers.
struct Bench {
    /// `--quick`: fewer repetitions and smaller inputs (the whole run ≤ 2 minutes on 2 cores).
    let quick: Bool
    /// Repetitions of each pair (ours, then theirs): min, median and max come from these.
    let repetitions: Int
    /// A scratch directory, removed at the end of the run.
    let directory: String
    /// The repository's `maimo` release build, when it exists (for CLI comparisons).
    let maimo: String?
    /// `--blake3-c DIR`: a copy of the official BLAKE3 repository (or its `c/` folder) to build
    /// and measure as the C reference.
    var blake3C: String? = nil

    /// `quick` or `full` for the report.
    var mode: String { quick ? "quick" : "full" }

    /// A lean executable built beside `maimo` (`maimo-hash`, `maimo-zstd`), when it exists.
    func sibling(_ name: String) -> String? {
        guard let maimo else { return nil }
        let path = (maimo as NSString).deletingLastPathComponent + "/" + name
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    /// MB/s (10⁶ bytes per second) of `body` on `bytes` bytes: the best of `inner` calls.
    func throughput(bytes: Int, inner: Int, _ body: () throws -> Void) rethrows -> Double {
        Double(bytes) / (try best(max(1, inner), body)) / 1e6
    }

    /// `repetitions` rounds of `ours` then `theirs` (each returning one value), so that a
    /// machine that slows down in the middle of the run slows both sides alike.
    /// `theirs` returns nil when the reference cannot run (it is then not asked again).
    func pairs(_ ours: () throws -> Double, _ theirs: () throws -> Double?) rethrows -> (Sample, Sample?) {
        var mine: [Double] = [], reference: [Double] = []
        var referenceWorks = true
        for _ in 0..<repetitions {
            mine.append(try ours())
            if referenceWorks {
                if let value = try theirs() { reference.append(value) } else { referenceWorks = false }
            }
        }
        return (Sample(mine), referenceWorks && !reference.isEmpty ? Sample(reference) : nil)
    }

    /// `count` bytes of mixed content (prose, JSON records, tables, noise), the same every run.
    func corpus(_ count: Int, seed: UInt64 = 20_261_206) -> [UInt8] {
        var generator = Generator(state: seed)
        var out = [UInt8]()
        out.reserveCapacity(count)
        var kind = 0
        while out.count < count {
            let piece = CompareSupport.piece(kind % 4, min(count - out.count, 64 << 10), &generator)
            out += piece
            kind += 1
        }
        return out
    }

    /// `count` random bytes (incompressible).
    func random(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { raw in
            var i = 0
            while i + 8 <= raw.count { raw.storeBytes(of: generator.next() as UInt64, toByteOffset: i, as: UInt64.self); i += 8 }
            while i < raw.count { raw[i] = UInt8.random(in: 0...255, using: &generator); i += 1 }
        }
        return bytes
    }

    /// Writes `bytes` to a file in the scratch directory and returns its path.
    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = directory + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The first line a tool prints for `--version` (for the report's reference names).
    func version(_ tool: String, _ arguments: [String] = ["--version"]) -> String {
        guard let path = which(tool), let (output, _) = try? capture(path, arguments, mergingErrors: true) else { return tool }
        return String(output.split(separator: "\n").first ?? Substring(tool)).trimmingCharacters(in: .whitespaces)
    }

    /// A Python with `module` importable (a pyenv shim may shadow Debian's), or nil.
    func python(with module: String) -> String? {
        for candidate in [which("python3"), "/usr/bin/python3"].compactMap({ $0 }) {
            if let (_, status) = try? capture(candidate, ["-c", "import \(module)"]), status == 0 { return candidate }
        }
        return nil
    }
}

/// A suite: the figures of one module (or two that share a reference).
protocol Suite {
    /// The name `--only` takes (lowercase: blake3, bao, cipher, zstd, erasure, …).
    static var name: String { get }
    /// What it compares, for `--list`.
    static var summary: String { get }
    /// Measures and returns the figures, printing a line per figure as it goes.
    static func run(_ bench: Bench) throws -> [Figure]
}
