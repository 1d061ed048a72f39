import BenchReport
import CompareSupport
import Foundation
import MaimoBlake3

/// BLAKE3 in memory against the Rust crate (the reference implementation, with its AVX-512
/// assembly, through the `blake3` Python package: the call overhead is far below these
/// sizes' times), one thread and two; and the `maimo hash` command against `b3sum` on a file in
/// the page cache, each minus its own start-up time.
enum Blake3Suite: Suite {
    static let name = "blake3"
    static let summary = "MaimoBlake3 against the Rust crate in memory and b3sum as a command"

    static func run(_ bench: Bench) throws -> [Figure] {
        let sizes = bench.quick ? [1 << 10, 64 << 10, 1 << 20, 16 << 20] : [1 << 10, 16 << 10, 64 << 10, 1 << 20, 16 << 20, 64 << 20]
        let input = bench.random(sizes.max()!)
        let python = bench.python(with: "blake3")
        let reference = python.map { _ in "Rust crate (blake3 \(pythonVersion(bench) ?? "?"), via Python)" }
        var figures: [Figure] = []
        for threads in [1, 2] {
            let measured = threads == 1 ? sizes : sizes.filter { $0 >= 1 << 20 }
            var ours = [[Double]](repeating: [], count: measured.count)
            var theirs = [[Double]](repeating: [], count: measured.count)
            for _ in 0..<bench.repetitions {
                input.withUnsafeBytes { raw in
                    for (i, size) in measured.enumerated() {
                        let slice = UnsafeRawBufferPointer(rebasing: raw[..<size])
                        ours[i].append(bench.throughput(bytes: size, inner: inner(size)) {
                            _ = threads == 1 ? Blake3.hash(slice) : Blake3.hash(slice, threadCount: threads)
                        })
                    }
                }
                if let python, let speeds = try? rust(python, sizes: measured, threads: threads) {
                    for (i, speed) in speeds.enumerated() { theirs[i].append(speed) }
                }
            }
            for (i, size) in measured.enumerated() {
                let figure = Figure(module: "MaimoBlake3", name: threads == 1 ? "hash in memory, 1 thread" : "hash in memory, 2 threads",
                                    size: size, unit: "MB/s", ours: Sample(ours[i]), reference: theirs[i].isEmpty ? nil : reference,
                                    theirs: theirs[i].isEmpty ? nil : Sample(theirs[i]),
                                    note: python == nil ? "pip install blake3 for the Rust crate" : nil)
                figures.append(figure)
                report(figure)
            }
        }
        figures += official(bench, input: input, sizes: sizes)
        figures += try command(bench)
        return figures
    }

    /// With `--blake3-c DIR`: MaimoBlake3 against the official C implementation built in this run,
    /// its SSE2 path alone (what a baseline x86-64 build can use, like ours in a default build)
    /// and with every kernel its dispatch picks; one thread, pair by pair.
    static func official(_ bench: Bench, input: [UInt8], sizes: [Int]) -> [Figure] {
        guard let directory = bench.blake3C else { return [] }
        var figures: [Figure] = []
        for sse2Only in [true, false] {
            let library: Blake3C
            switch Blake3C.build(from: directory, into: bench.directory, sse2Only: sse2Only) {
            case .success(let built): library = built
            case .failure(let error):
                print("  official C BLAKE3 not built: \(error)")
                return figures
            }
            let label = "official C \(library.version), \(sse2Only ? "SSE2 only" : "all kernels") (cc -O3)"
            input.withUnsafeBytes { raw in
                for size in sizes {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[..<size])
                    // Both must give the same hash before either is timed.
                    guard library.hash(slice) == Array(Blake3.hash(slice)) else {
                        print("  official C BLAKE3 disagrees with MaimoBlake3 at \(size) bytes: not compared")
                        return
                    }
                    let (ours, theirs) = bench.pairs({
                        bench.throughput(bytes: size, inner: inner(size)) { _ = Blake3.hash(slice) }
                    }, {
                        bench.throughput(bytes: size, inner: inner(size)) { _ = library.hash(slice) }
                    })
                    let figure = Figure(module: "MaimoBlake3", name: "hash in memory, 1 thread, against C \(sse2Only ? "SSE2" : "dispatch")",
                                        size: size, unit: "MB/s", ours: ours, reference: label, theirs: theirs)
                    figures.append(figure)
                    report(figure)
                }
            }
        }
        return figures
    }

    /// Calls per measurement: about 30 ms of hashing.
    static func inner(_ size: Int) -> Int { max(3, min(20_000, 30_000_000 / max(size, 1))) }

    static func pythonVersion(_ bench: Bench) -> String? {
        guard let python = bench.python(with: "blake3"),
              let (output, status) = try? capture(python, ["-c", "import blake3; print(blake3.__version__)"]), status == 0 else { return nil }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The Rust crate's MB/s at each size, best of the same number of calls as ours.
    static func rust(_ python: String, sizes: [Int], threads: Int) throws -> [Double] {
        let script = """
        import sys, time, os, blake3
        threads = int(sys.argv[1])
        data = os.urandom(max(int(s) for s in sys.argv[2:]))
        view = memoryview(data)
        for s in sys.argv[2:]:
            size = int(s); piece = view[:size]
            runs = max(3, min(20000, 30000000 // size))
            best = 1e9
            for _ in range(runs):
                start = time.perf_counter(); blake3.blake3(piece, max_threads=threads).digest(); best = min(best, time.perf_counter() - start)
            print(size / best / 1e6)
        """
        let (output, status) = try capture(python, ["-c", script, "\(threads)"] + sizes.map(String.init))
        let speeds = output.split(separator: "\n").compactMap { Double($0) }
        guard status == 0, speeds.count == sizes.count else { throw CocoaError(.fileReadUnknown) }
        return speeds
    }

    /// `maimo hash` against `b3sum` on one file in the page cache, one and two threads.
    static func command(_ bench: Bench) throws -> [Figure] {
        guard let b3sum = which("b3sum") else {
            print("  b3sum not found (apt-get install b3sum): no command comparison")
            return []
        }
        guard let maimo = bench.maimo else {
            print("  no release maimo (swift build -c release in the repository): no command comparison")
            return []
        }
        let size = bench.quick ? 128 << 20 : 512 << 20
        let path = try bench.file("blake3-\(size >> 20)MiB", bench.random(size))
        let empty = try bench.file("empty", [])
        let runs = bench.quick ? 3 : 5
        var figures: [Figure] = []
        let b3Version = bench.version("b3sum")
        for threads in [1, 2] {
            let b3Arguments = ["--num-threads", "\(threads)"], maimoArguments = ["hash", "--num-threads", "\(threads)"]
            let b3Start = timeCommand(b3sum, b3Arguments + [empty], runs: runs)
            let maimoStart = timeCommand(maimo, maimoArguments + [empty], runs: runs)
            let (ours, theirs) = bench.pairs({
                Double(size) / max(timeCommand(maimo, maimoArguments + [path], runs: runs) - maimoStart, 1e-9) / 1e6
            }, {
                Double(size) / max(timeCommand(b3sum, b3Arguments + [path], runs: runs) - b3Start, 1e-9) / 1e6
            })
            let figure = Figure(module: "MaimoBlake3", name: "maimo hash FILE, \(threads) thread\(threads == 1 ? "" : "s")", size: size,
                                unit: "MB/s", ours: ours, reference: "\(b3Version) --num-threads \(threads)", theirs: theirs,
                                note: "a file in the page cache, start-up subtracted")
            figures.append(figure)
            report(figure)
        }
        // The lean executable against b3sum as a user waits for them: start-up included.
        if let lean = bench.sibling("maimo-hash") {
            for threads in [1, 2] {
                let arguments = ["--num-threads", "\(threads)", path]
                let (ours, theirs) = bench.pairs({
                    Double(size) / timeCommand(lean, arguments, runs: runs) / 1e6
                }, {
                    Double(size) / timeCommand(b3sum, arguments, runs: runs) / 1e6
                })
                let figure = Figure(module: "MaimoBlake3", name: "maimo-hash FILE, \(threads) thread\(threads == 1 ? "" : "s")", size: size,
                                    unit: "MB/s", ours: ours, reference: "\(b3Version) --num-threads \(threads)", theirs: theirs,
                                    note: "a file in the page cache, start-up included")
                figures.append(figure)
                report(figure)
            }
        }
        return figures
    }
}

/// One line per figure as the run goes.
func report(_ figure: Figure) {
    let size = figure.size.map { " " + formattedSize($0) } ?? ""
    let theirs = figure.theirs.map { "  \(figure.reference ?? "reference") \(formatted($0.median))" } ?? ""
    let ratio = figure.ratio.map { String(format: "  %.2f×", $0) } ?? ""
    print("  \(figure.module) \(figure.name)\(size): \(formatted(figure.ours.median)) \(figure.unit)\(theirs)\(ratio)")
    // A line at a time even into a file or a pipe: the run is long and reports as it goes.
    fflush(nil)
}
