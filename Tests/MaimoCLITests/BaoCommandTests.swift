import Foundation
import Testing

/// `maimo bao` end to end through files and pipes. The `bao` CLI itself is not packaged for
/// Debian; byte compatibility is proven by the vector tests of MaimoBao, and these tests check
/// that the command moves the same bytes in and out.
@Suite("maimo bao")
struct BaoCommandTests {
    let directory: TemporaryDirectory
    let content: Data

    init() throws {
        directory = try TemporaryDirectory()
        var generator = SystemRandomNumberGenerator()
        content = Data((0..<(300 * 1024 + 123)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try directory.write("content", content)
    }

    func maimo(_ arguments: [String], stdin: Data = Data()) throws -> Run {
        try Tool.run(Tool.maimo, ["bao"] + arguments, stdin: stdin, in: directory.url)
    }

    @Test func hashMatchesMaimoHash() throws {
        let bao = try maimo(["hash", "content"])
        let b3 = try Tool.run(Tool.maimo, ["hash", "--no-names", "content"], in: directory.url)
        #expect(bao.status == 0 && bao.out == b3.out)
        let piped = try maimo(["hash"], stdin: content)
        #expect(piped.out == bao.out)
        let several = try maimo(["hash", "content", "content"])
        let digest = bao.out.trimmingCharacters(in: .newlines)
        #expect(several.out == "\(digest)  content\n\(digest)  content\n")
        #expect(try maimo(["hash", "missing"]).status == 1)
    }

    @Test func encodeDecodeRoundTrips() throws {
        let digest = try maimo(["hash", "content"]).out.trimmingCharacters(in: .newlines)
        #expect(try maimo(["encode", "content", "content.bao"]).status == 0)
        #expect(try maimo(["encode", "content", "--outboard", "content.obao"]).status == 0)
        #expect(try maimo(["decode", digest, "content.bao"]).stdout == content)
        #expect(try maimo(["decode", digest, "content", "--outboard", "content.obao"]).stdout == content)
        let encoding = try Data(contentsOf: directory.url.appendingPathComponent("content.bao"))
        #expect(try maimo(["decode", digest], stdin: encoding).stdout == content)
        #expect(try maimo(["encode", "-", "piped.bao"], stdin: content).status == 0)
        #expect(try Data(contentsOf: directory.url.appendingPathComponent("piped.bao")) == encoding)
        let part = try maimo(["decode", digest, "content.bao", "--start", "100000", "--count", "5000"])
        #expect(part.stdout == content[100_000..<105_000])
        #expect(try maimo(["encode", "content", "-"]).status != 0)  // the output must be a file
    }

    @Test func corruptionStopsAtTheBadChunk() throws {
        let digest = try maimo(["hash", "content"]).out.trimmingCharacters(in: .newlines)
        _ = try maimo(["encode", "content", "content.bao"])
        var encoding = try Data(contentsOf: directory.url.appendingPathComponent("content.bao"))
        encoding[encoding.count - 10] ^= 0x40
        try directory.write("bad.bao", encoding)
        let run = try maimo(["decode", digest, "bad.bao", "out"])
        #expect(run.status == 1)
        #expect(run.err.contains("hash mismatch in chunk 300"))
        let written = try Data(contentsOf: directory.url.appendingPathComponent("out"))
        #expect(written.count == 300 * 1024 && written == content.prefix(300 * 1024))
        var wrong = Array(digest)
        wrong[0] = wrong[0] == "0" ? "1" : "0"
        #expect(try maimo(["decode", String(wrong), "content.bao"]).stdout.isEmpty)
        #expect(try maimo(["decode", "not-hex", "content.bao"]).status == 1)
    }

    @Test func slicesVerify() throws {
        let digest = try maimo(["hash", "content"]).out.trimmingCharacters(in: .newlines)
        _ = try maimo(["encode", "content", "content.bao"])
        _ = try maimo(["encode", "content", "--outboard", "content.obao"])
        let slice = try maimo(["slice", "200000", "4096", "content.bao"])
        #expect(slice.status == 0)
        #expect(try maimo(["slice", "200000", "4096", "content", "--outboard", "content.obao"]).stdout == slice.stdout)
        let decoded = try maimo(["decode-slice", digest, "200000", "4096"], stdin: slice.stdout)
        #expect(decoded.stdout == content[200_000..<204_096])
        var bad = slice.stdout
        bad[bad.count - 1] ^= 1
        let refused = try maimo(["decode-slice", digest, "200000", "4096"], stdin: bad)
        #expect(refused.status == 1 && refused.stdout.isEmpty)
    }
}
