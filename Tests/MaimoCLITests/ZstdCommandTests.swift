import Foundation
import Testing

/// `maimo zstd -d` against the reference `zstd`: the same bytes out, the same refusals.
@Suite("maimo zstd")
struct ZstdCommandTests {
    let directory: TemporaryDirectory
    let content: Data

    init() throws {
        directory = try TemporaryDirectory()
        // Text with repeats and some noise: several blocks, real matches, a checksum.
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        let words = ["maimo ", "zstd ", "frame ", "block ", "window ", "\n", "literal "].map { Array($0.utf8) }
        while bytes.count < 400_000 {
            bytes += words[Int.random(in: 0..<words.count, using: &generator)]
            if Int.random(in: 0..<50, using: &generator) == 0 { bytes.append(UInt8.random(in: 0...255, using: &generator)) }
        }
        content = Data(bytes)
        try directory.write("content", content)
    }

    func maimo(_ arguments: [String], stdin: Data = Data()) throws -> Run {
        try Tool.run(Tool.maimo, ["zstd"] + arguments, stdin: stdin, in: directory.url)
    }

    func file(_ name: String) -> Data? { try? Data(contentsOf: directory.url.appendingPathComponent(name)) }

    @Test func decompressesWhatZstdMade() throws {
        guard let zstd = Tool.reference("zstd") else { return }
        for level in ["-1", "-3", "-19"] {
            let frame = try Tool.run(zstd, ["-q", "-c", level, "content"], in: directory.url).stdout
            try directory.write("content.zst", frame)
            try? FileManager.default.removeItem(at: directory.url.appendingPathComponent("content"))
            let run = try maimo(["-d", "content.zst"])
            #expect(run.status == 0, "\(run.err)")
            #expect(file("content") == content, "level \(level)")
            #expect(run.err.contains("150") || run.err.contains("bytes"))
            // Standard streams, and the reference's own output for comparison.
            let piped = try maimo(["-d"], stdin: frame)
            let reference = try Tool.run(zstd, ["-d", "-c"], stdin: frame)
            #expect(piped.status == 0 && piped.stdout == reference.stdout && piped.stdout == content)
            #expect(try maimo(["-d", "-c", "content.zst"]).stdout == content)
            // --sync flushes before the rename; without it, as zstd, the page cache holds it.
            #expect(try maimo(["-d", "content.zst", "-o", "other", "-q"] + (level == "-3" ? ["--sync"] : [])).status == 0)
            #expect(file("other") == content)
            try FileManager.default.removeItem(at: directory.url.appendingPathComponent("other"))
        }
    }

    @Test func refusesCorruptInputAndLeavesNoOutput() throws {
        guard let zstd = Tool.reference("zstd") else { return }
        let good = try Tool.run(zstd, ["-q", "-c", "-3", "content"], in: directory.url).stdout
        var frame = good
        frame[frame.count / 2] ^= 0x10
        try directory.write("bad.zst", frame)
        let run = try maimo(["-d", "bad.zst"])
        #expect(run.status == 1)
        #expect(run.err.hasPrefix("maimo zstd: "))
        #expect(file("bad") == nil)
        #expect(try Tool.run(zstd, ["-d", "-c", "bad.zst"], in: directory.url).status != 0)
        // Truncated, empty, not zstd at all.
        try directory.write("cut.zst", good.prefix(good.count - 3))
        #expect(try maimo(["-d", "cut.zst"]).err.contains("truncated"))
        #expect(file("cut") == nil)
        #expect(try maimo(["-d"], stdin: Data()).err.contains("unexpected end of file"))
        #expect(try maimo(["-d", "-o", "x"], stdin: Data("hello world".utf8)).err.contains("unknown magic"))
        #expect(file("x") == nil)
    }

    @Test func keepsExistingOutputUnlessForced() throws {
        guard let zstd = Tool.reference("zstd") else { return }
        try directory.write("small.zst", try Tool.run(zstd, ["-q", "-c"], stdin: Data("new".utf8)).stdout)
        try directory.write("small", Data("old".utf8))
        #expect(try maimo(["-d", "small.zst"]).status == 1)
        #expect(file("small") == Data("old".utf8))
        #expect(try maimo(["-d", "-f", "small.zst"]).status == 0)
        #expect(file("small") == Data("new".utf8))
        #expect(try maimo(["-d", "content"]).err.contains("unknown suffix"))
    }

    @Test func usesDictionariesAndTheMemoryLimit() throws {
        guard let zstd = Tool.reference("zstd") else { return }
        var samples = [String]()
        for i in 0..<200 {
            let name = "sample\(i).json"
            try directory.write(name, Data("{\"id\": \(i), \"name\": \"file\(i * 7)\", \"kind\": \"sample\", \"size\": \(i * 991)}".utf8))
            samples.append(name)
        }
        #expect(try Tool.run(zstd, ["-q", "--train"] + samples + ["-o", "dict", "--maxdict=4096"], in: directory.url).status == 0)
        let record = Data("{\"id\": 5000, \"name\": \"file35000\", \"kind\": \"sample\", \"size\": 4955000}".utf8)
        let frame = try Tool.run(zstd, ["-q", "-c", "-D", "dict"], stdin: record, in: directory.url).stdout
        #expect(try maimo(["-d", "-D", "dict"], stdin: frame).stdout == record)
        let missing = try maimo(["-d"], stdin: frame)
        #expect(missing.status == 1 && missing.err.contains("needs dictionary"))

        let long = try Tool.run(zstd, ["-q", "-c", "--long=27"], stdin: content).stdout
        let refused = try maimo(["-d", "--memory", "1MB"], stdin: long)
        #expect(refused.status == 1 && refused.err.contains("window"))
        #expect(try maimo(["-d", "--memory", "128MB"], stdin: long).stdout == content)
    }
}

/// `maimo zstd` compressing and training: what it writes, the reference reads.
@Suite("maimo zstd compression")
struct ZstdCompressionCommandTests {
    let directory: TemporaryDirectory
    let content: Data

    init() throws {
        directory = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        var text = ""
        let words = ["maimo", "zstd", "frame", "block", "window", "literal", "offset", "tor", "onion"]
        while text.utf8.count < 3_000_000 {
            text += words[Int.random(in: 0..<words.count, using: &generator)] + (Int.random(in: 0..<12, using: &generator) == 0 ? ".\n" : " ")
        }
        content = Data(text.utf8)
        try directory.write("content", content)
        // The slow levels (9 and up, unoptimised in a debug build) get the first 300 kB.
        try directory.write("small", content.prefix(300_000))
    }

    func maimo(_ arguments: [String], stdin: Data = Data()) throws -> Run {
        try Tool.run(Tool.maimo, ["zstd"] + arguments, stdin: stdin, in: directory.url)
    }

    func file(_ name: String) -> Data? { try? Data(contentsOf: directory.url.appendingPathComponent(name)) }

    @Test func compressesForTheReference() throws {
        guard let zstd = Tool.reference("zstd") else { return }
        // Level 1 cuts 2 MiB chunks for threads: 3 MB makes two frames.
        for arguments in [["-1"], [], ["-1", "-T", "2"], ["-9", "-T", "0"], ["--level", "3", "-T", "2"], ["-19", "--no-check"],
                          ["--fast"], ["--fast=7"], ["--ultra", "-22"], ["--ultra", "-20", "-T", "2"], ["-3", "--block-size", "4K"],
                          ["--fast=2", "--block-size", "1024"]] {
            let slow = arguments.contains { ["-9", "-19", "-20", "-22"].contains($0) }
            let name = slow ? "small" : "content", expected = slow ? content.prefix(300_000) : content
            try? FileManager.default.removeItem(at: directory.url.appendingPathComponent(name + ".zst"))
            let run = try maimo(arguments + [name])
            #expect(run.status == 0, "\(arguments): \(run.err)")
            #expect(run.err.contains(name + " :"), "\(run.err)")
            let decoded = try Tool.run(zstd, ["-d", "-c", name + ".zst"], in: directory.url)
            #expect(decoded.status == 0 && decoded.stdout == expected, "\(arguments)")
            #expect(try maimo(["-d", "-c", name + ".zst"]).stdout == expected)
        }
        // Piped, and refusing to overwrite.
        let piped = try maimo(["-3"], stdin: content)
        #expect(try Tool.run(zstd, ["-d", "-c"], stdin: piped.stdout).stdout == content)
        #expect(try maimo(["content"]).status == 1)
        #expect(try maimo(["-25", "content"]).status != 0)
        let withoutUltra = try maimo(["-21", "-c", "content"])
        #expect(withoutUltra.status != 0 && withoutUltra.err.contains("--ultra"), "\(withoutUltra.err)")
        #expect(try maimo(["--block-size", "100", "-c", "content"]).status != 0)
        #expect(try maimo(["--block-size", "1M", "-c", "content"]).status != 0)
    }

    /// `--long` frames and `--patch-from` patches, read by the reference, and its patches by us.
    @Test func longMatchingAndPatchesWithTheReference() throws {
        guard let zstd = Tool.reference("zstd") else { return }
        // The content twice, 3 MB apart: beyond level 3's 2 MiB window, within --long's.
        let noise = try #require(FileHandle(forReadingAtPath: "/dev/urandom")).readData(ofLength: 3_000_000)
        try directory.write("twice", content + noise + content)
        let long = try maimo(["--long", "twice", "-o", "twice.long.zst"])
        let plain = try maimo(["twice", "-o", "twice.zst"])
        #expect(long.status == 0 && plain.status == 0, "\(long.err) \(plain.err)")
        let longSize = file("twice.long.zst")?.count ?? 0, plainSize = file("twice.zst")?.count ?? 0
        #expect(longSize + content.count / 20 < plainSize, "--long \(longSize) bytes, without \(plainSize)")
        let decoded = try Tool.run(zstd, ["-d", "-c", "twice.long.zst"], in: directory.url)
        #expect(decoded.status == 0 && decoded.stdout == file("twice"))
        #expect(try maimo(["-d", "-c", "--long=27", "twice.long.zst"]).stdout == file("twice"))
        #expect(try maimo(["--long=32", "-c", "twice"]).status != 0)

        // A new version: a few edits of the content.
        var edited = content
        for at in stride(from: 1_000, to: edited.count, by: 37_000) { edited[at] &+= 1 }
        edited.insert(contentsOf: Data("an inserted line\n".utf8), at: 200_000)
        try directory.write("new", edited)
        let patch = try maimo(["--patch-from", "content", "new", "-o", "new.patch"])
        #expect(patch.status == 0, "\(patch.err)")
        let patchSize = file("new.patch")?.count ?? .max
        #expect(patchSize < edited.count / 100, "a patch of \(patchSize) bytes for \(edited.count)")
        let applied = try Tool.run(zstd, ["-d", "-c", "--patch-from=content", "new.patch"], in: directory.url)
        #expect(applied.status == 0 && applied.stdout == edited)
        let theirs = try Tool.run(zstd, ["-q", "-c", "--patch-from=content", "new"], in: directory.url)
        try directory.write("theirs.patch", theirs.stdout)
        #expect(try maimo(["-d", "-c", "--patch-from=content", "theirs.patch"]).stdout == edited)
        // Without the old version there is nothing to patch.
        #expect(try maimo(["-d", "-c", "new.patch"]).status != 0)
        #expect(try maimo(["--patch-from", "content", "-D", "content", "-c", "new"]).status != 0)
    }

    @Test func trainsDictionariesTheReferenceLoads() throws {
        guard let zstd = Tool.reference("zstd") else { return }
        var samples = [String]()
        for i in 0..<300 {
            let name = "sample\(i).json"
            try directory.write(name, Data("{\"id\": \(i), \"name\": \"file\(i * 7)\", \"kind\": \"sample\", \"size\": \(i * 991), \"tags\": [\"maimo\", \"zstd\"]}".utf8))
            samples.append(name)
        }
        let trained = try maimo(["--train"] + samples + ["-o", "dict", "--maxdict", "4096"])
        #expect(trained.status == 0, "\(trained.err)")
        let record = Data("{\"id\": 5000, \"name\": \"file35000\", \"kind\": \"sample\", \"size\": 4955000, \"tags\": [\"maimo\"]}".utf8)
        let ours = try maimo(["-3", "-D", "dict"], stdin: record)
        #expect(try Tool.run(zstd, ["-d", "-c", "-D", "dict"], stdin: ours.stdout, in: directory.url).stdout == record)
        let theirs = try Tool.run(zstd, ["-q", "-c", "-D", "dict"], stdin: record, in: directory.url)
        #expect(theirs.status == 0)
        #expect(try maimo(["-d", "-D", "dict"], stdin: theirs.stdout).stdout == record)
        #expect(ours.stdout.count < 60, "a \(record.count)-byte record took \(ours.stdout.count) bytes")
    }
}
