import Foundation
import Testing

/// `maimo-hash` and `maimo-zstd` are `maimo hash` and `maimo zstd` in executables that link
/// nothing of the engine: the same output, status and files, and no Foundation loaded.
@Suite("maimo-hash and maimo-zstd")
struct LeanCommandTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        let text = (0..<4000).map { "line \($0) of text that compresses \($0 % 17)\n" }.joined()
        try directory.write("text.txt", Data(text.utf8))
        try directory.write("noise.bin", Data((0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) }))
    }

    @Test func hashPrintsWhatMaimoHashPrints() throws {
        for arguments in [["text.txt", "noise.bin"], ["--no-names", "text.txt"], ["--length", "100", "noise.bin"],
                          ["--num-threads", "1", "noise.bin"], ["--derive-key", "context", "text.txt"], ["missing"], ["--bogus"]] {
            let full = try Tool.run(Tool.maimo, ["hash"] + arguments, in: directory.url)
            let lean = try Tool.run(Tool.maimoHash, arguments, in: directory.url)
            #expect(lean.stdout == full.stdout, "stdout for \(arguments)")
            #expect(lean.status == full.status, "status for \(arguments): \(lean.err)")
            #expect(lean.stderr.isEmpty == full.stderr.isEmpty, "stderr for \(arguments): \(lean.err)")
        }
        let version = try Tool.run(Tool.maimoHash, ["--version"])
        let fullVersion = try Tool.run(Tool.maimo, ["--version"])
        #expect(version.status == 0 && version.out == fullVersion.out)
    }

    @Test func zstdRoundTripsWithMaimoZstd() throws {
        let original = try #require(try? Data(contentsOf: directory.url.appendingPathComponent("text.txt")))
        let compressed = try Tool.run(Tool.maimoZstd, ["-19", "-c", "text.txt"], in: directory.url)
        #expect(compressed.status == 0, "\(compressed.err)")
        #expect(compressed.stdout.count < original.count / 5)
        let back = try Tool.run(Tool.maimo, ["zstd", "-d", "-c"], stdin: compressed.stdout)
        #expect(back.status == 0 && back.stdout == original)
        let leanBack = try Tool.run(Tool.maimoZstd, ["-d", "-c"], stdin: compressed.stdout)
        #expect(leanBack.status == 0 && leanBack.stdout == original)
        if let zstd = Tool.reference("zstd") {
            let reference = try Tool.run(zstd, ["-d", "-c"], stdin: compressed.stdout)
            #expect(reference.status == 0 && reference.stdout == original, "the reference decodes maimo-zstd's frame")
        }
        // Files, as `maimo zstd`: FILE.zst next to FILE, refused when it exists, kept with -f.
        #expect(try Tool.run(Tool.maimoZstd, ["-q", "noise.bin"], in: directory.url).status == 0)
        #expect(try Tool.run(Tool.maimoZstd, ["-q", "noise.bin"], in: directory.url).status != 0)
        #expect(try Tool.run(Tool.maimoZstd, ["-q", "-f", "noise.bin"], in: directory.url).status == 0)
        let bad = try Tool.run(Tool.maimoZstd, ["-d", "-c"], stdin: Data([0x28, 0xB5, 0x2F, 0xFD, 0, 0, 0]))
        #expect(bad.status != 0 && bad.stdout.isEmpty)
    }

    /// What makes them start as fast as b3sum and zstd: Foundation (and its ICU data) is not
    /// among the libraries they load.
    @Test func linkNoFoundation() throws {
        guard let ldd = Tool.reference("ldd") else { return }
        for executable in [Tool.maimoHash, Tool.maimoZstd] {
            let libraries = try Tool.run(ldd, [executable.path]).out
            #expect(!libraries.isEmpty)
            #expect(!libraries.contains("libFoundation.so") && !libraries.contains("ICU"), "\(executable.lastPathComponent): \(libraries)")
        }
    }
}
