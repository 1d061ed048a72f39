import ArgumentParser
import Testing
@testable import MaimoLeanCommands

/// The lean executables' quick parse builds exactly the command ArgumentParser builds, and
/// leaves everything outside its plain forms to ArgumentParser.
@Suite("Quick parsing of maimo-hash and maimo-zstd arguments")
struct QuickParsingTests {
    func fields(_ c: HashCommand) -> [String] {
        [c.files, c.length as Any, c.numThreads as Any, c.keyed, c.deriveKey as Any, c.noMmap, c.noNames, c.raw,
         c.check, c.quiet].map { String(describing: $0) }
    }

    func fields(_ c: ZstdCommand) -> [String] {
        [c.decompress, c.level, c.ultra, c.blockSize as Any, c.threads, c.dictionary as Any, c.output as Any,
         c.toStandardOutput, c.force, c.quiet, c.sync, c.noCheck, c.memory as Any, c.longWindowLog as Any,
         c.patchFrom as Any, c.train, c.maxDictionary, c.inputs].map { String(describing: $0) }
    }

    @Test func hashArguments() throws {
        let quick: [[String]] = [
            [], ["a"], ["a", "b c", "d"], ["--num-threads", "2", "a"], ["a", "--num-threads", "0"],
            ["--num-threads", "16", "a", "b"],
        ]
        for arguments in quick {
            let fast = try #require(HashCommand.quickParse(arguments[...]), "\(arguments)")
            #expect(fields(fast) == fields(try HashCommand.parse(arguments)), "\(arguments)")
        }
        let left: [[String]] = [
            ["--no-names", "a"], ["--num-threads", "x", "a"], ["--num-threads", "2", "--num-threads", "3", "a"],
            ["-", "a"], ["--", "a"], ["--num-threads=2", "a"], ["--num-threads"], ["-l", "8", "a"], ["--help"],
            ["--version"], ["--num-threads", "-1", "a"], ["--num-threads", "9999999999", "a"],
        ]
        for arguments in left { #expect(HashCommand.quickParse(arguments[...]) == nil, "\(arguments)") }
    }

    /// As `maimo-zstd` sees them: after the level flags are rewritten.
    func rewritten(_ arguments: [String]) -> [String] {
        Array(ZstdCommand.rewriteLevelFlags(["zstd"] + arguments).dropFirst())
    }

    @Test func zstdArguments() throws {
        let quick: [[String]] = [
            [], ["-d", "-c", "f.zst"], ["-19", "-c", "f"], ["--fast=5", "f"], ["-d", "f.zst", "-o", "out"],
            ["-D", "dict", "-d", "f"], ["-T", "2", "-3", "f"], ["--ultra", "-22", "f"],
            ["-f", "-q", "--no-check", "--decompress", "f"], ["--stdout", "--force", "--quiet", "f"], ["-d", "a", "-o", "b"],
        ]
        for arguments in quick.map(rewritten) {
            let fast = try #require(ZstdCommand.quickParse(arguments[...]), "\(arguments)")
            #expect(fields(fast) == fields(try ZstdCommand.parse(arguments)), "\(arguments)")
        }
        let left: [[String]] = [
            ["-dc", "f"], ["-d", "-d", "f"], ["-d", "--decompress", "f"], ["--long", "f"], ["-o", "-x", "f"],
            ["--train", "a", "b", "-o", "d"], ["-3", "-19", "f"], ["--memory", "2GB", "-d", "f"], ["-", "-d"],
            ["--block-size", "4K", "f"], ["--patch-from", "old", "f"], ["-T"], ["-h"], ["--level=x", "f"],
        ]
        for arguments in left.map(rewritten) { #expect(ZstdCommand.quickParse(arguments[...]) == nil, "\(arguments)") }
        // Parsed quickly, then refused by the same validation ArgumentParser runs.
        for arguments in [["a", "b"], ["-c", "-o", "x", "f"], ["-22", "f"]].map(rewritten) {
            var fast = try #require(ZstdCommand.quickParse(arguments[...]), "\(arguments)")
            #expect(throws: ValidationError.self, "\(arguments)") { try fast.validate() }
            #expect(throws: (any Error).self, "\(arguments)") { try ZstdCommand.parse(arguments) }
        }
    }
}
