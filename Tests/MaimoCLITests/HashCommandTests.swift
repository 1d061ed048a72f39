import Foundation
import Testing

/// `maimo hash` must print exactly what `b3sum` prints and exit with its status.
@Suite("maimo hash against b3sum")
struct HashCommandTests {
    let directory: TemporaryDirectory
    let names = ["empty", "small.txt", "chunk", "large.bin", "back\\slash", "new\nline", "space name"]

    init() throws {
        directory = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        let sizes = [0, 11, 1024, 3 * 1024 * 1024 + 17, 100, 2000, 5]
        for (name, size) in zip(names, sizes) {
            try directory.write(name, Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }))
        }
    }

    /// Runs both tools with the same arguments and input, in the temporary directory.
    func compare(_ arguments: [String], stdin: Data = Data(), sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard let b3sum = Tool.reference("b3sum") else { return }
        let expected = try Tool.run(b3sum, arguments, stdin: stdin, in: directory.url)
        let actual = try Tool.run(Tool.maimo, ["hash"] + arguments, stdin: stdin, in: directory.url)
        #expect(actual.out == expected.out, "stdout for \(arguments)", sourceLocation: sourceLocation)
        #expect(actual.stdout == expected.stdout, "stdout bytes for \(arguments)", sourceLocation: sourceLocation)
        #expect(actual.status == expected.status, "exit status for \(arguments): \(actual.err)", sourceLocation: sourceLocation)
        #expect(actual.stderr.isEmpty == expected.stderr.isEmpty, "stderr for \(arguments): \(actual.err)", sourceLocation: sourceLocation)
    }

    @Test func plainNamesAndEscaping() throws {
        try compare(names)
        try compare(["--no-names"] + names)
        try compare(["--num-threads", "1"] + names)
        try compare(["--no-mmap", "large.bin", "chunk"])
    }

    @Test func lengthsAndRaw() throws {
        try compare(["--length", "0", "small.txt"])
        try compare(["-l", "1", "small.txt"])
        try compare(["--length", "131", "large.bin", "empty"])
        try compare(["--raw", "large.bin"])
        try compare(["--raw", "--length", "1000", "small.txt"])
    }

    @Test func modes() throws {
        try compare(["--derive-key", "maimo 2026-11-25 test context", "small.txt", "large.bin"])
        let key = Data((0..<32).map { UInt8(truncatingIfNeeded: $0 &* 9) })
        try compare(["--keyed", "small.txt", "large.bin"], stdin: key)
        try compare(["--keyed", "small.txt"], stdin: key.prefix(31))  // too short: exit 1
        try compare(["--keyed", "small.txt"], stdin: key + Data([0]))  // too long: exit 1
    }

    @Test func standardInput() throws {
        let data = Data("hello over stdin\n".utf8)
        try compare([], stdin: data)
        try compare(["-"], stdin: data)
        try compare(["--length", "64", "-"], stdin: Data(repeating: 7, count: 70_000))
    }

    @Test func missingAndUnreadableFiles() throws {
        try compare(["small.txt", "does-not-exist", "chunk"])
        try compare(["."])  // a directory: read fails with EISDIR
    }

    @Test func checkMode() throws {
        guard let b3sum = Tool.reference("b3sum") else { return }
        let sums = try Tool.run(b3sum, names, in: directory.url)
        try directory.write("good.b3", sums.stdout)
        try compare(["--check", "good.b3"])
        try compare(["-c", "--quiet", "good.b3"])
        // One changed file, one missing file, and malformed lines.
        var lines = sums.out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[1] = String(lines[1].prefix(10)) + (lines[1].dropFirst(10).first == "0" ? "1" : "0") + lines[1].dropFirst(11)
        lines.append(String(repeating: "0", count: 64) + "  no-such-file")
        lines.append("not a line")
        lines.append(String(repeating: "A", count: 64) + "  small.txt")  // uppercase hex is refused
        lines.append(String(repeating: "0", count: 64) + " single-space")
        lines.append("\\" + String(repeating: "0", count: 64) + "  bad\\escape")
        lines.append("")
        try directory.write("bad.b3", Data(lines.joined(separator: "\n").utf8))
        try compare(["--check", "bad.b3"])
        try compare(["--check", "good.b3", "bad.b3"])
        try compare(["--check", "missing.b3"])
        try compare(["--check"], stdin: sums.stdout)
    }

    @Test func misuseExitsWithStatusOne() throws {
        try compare(["--raw", "small.txt", "chunk"])
        try compare(["--check", "--length", "3", "good.b3"])
        try compare(["--quiet", "small.txt"])
    }
}
