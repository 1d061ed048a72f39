import ArgumentParser
import MaimoBlake3
#if canImport(FoundationEssentials)
import FoundationEssentials  // not Foundation: it would load ICU and triple the start-up time
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// `maimo hash`: a drop-in for `b3sum` 1.x, with the same flags, output bytes and exit codes.
package struct HashCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "hash",
        abstract: "Print or check BLAKE3 checksums, exactly like b3sum.",
        discussion: """
            Output is byte-identical to b3sum's for the same arguments: `HASH  NAME` per file,
            with a leading backslash when the name had to be escaped (backslash as \\\\,
            newline as \\n). Exit status 1 when any file failed, as b3sum.
            """
    )

    @Argument(help: "Files to hash, or checkfiles to check. When no file is given, or when - is given, read standard input.")
    var files: [String] = []

    @Option(name: [.customShort("l"), .long], help: ArgumentHelp("The number of output bytes, prior to hex encoding (default 32).", valueName: "LEN"))
    var length: UInt64?

    @Option(name: .customLong("num-threads"), help: ArgumentHelp("The maximum number of threads to use. By default, this is the number of logical cores. If this flag is omitted, or if its value is 0, RAYON_NUM_THREADS is also respected.", valueName: "NUM"))
    var numThreads: Int?

    @Flag(help: "Uses the keyed mode. The secret key is read from standard input, and it must be exactly 32 raw bytes.")
    var keyed = false

    @Option(name: .customLong("derive-key"), help: ArgumentHelp("Uses the key derivation mode, with the given context string. Cannot be used with --keyed.", valueName: "CONTEXT"))
    var deriveKey: String?

    @Flag(name: .customLong("no-mmap"), help: "Disables memory mapping. Currently this also disables multithreading.")
    var noMmap = false

    @Flag(name: .customLong("no-names"), help: "Omits filenames in the output.")
    var noNames = false

    @Flag(help: "Writes raw output bytes to stdout, rather than hex. --no-names is implied. In this case, only a single input is allowed.")
    var raw = false

    @Flag(name: [.customShort("c"), .long], help: "Reads BLAKE3 sums from the [file]s and checks them.")
    var check = false

    @Flag(help: "Skips printing OK for each successfully verified file. Must be used with --check.")
    var quiet = false

    package init() {}

    package func run() throws {
        do {
            try validateCombination()
            let runner = try HashRunner(command: self)
            let failed = runner.run()
            Console.flush()
            if failed { throw ExitCode.failure }
        } catch let error as HashUsageError {
            Console.error("Error: \(error.message)")
            throw ExitCode.failure
        }
    }

    /// b3sum's (clap's) argument rules, reported with its exit status 1.
    private func validateCombination() throws(HashUsageError) {
        if keyed && deriveKey != nil { throw HashUsageError("--keyed cannot be used with --derive-key") }
        if check {
            for (present, name) in [
                (deriveKey != nil, "--derive-key"), (keyed, "--keyed"), (length != nil, "--length"),
                (raw, "--raw"), (noNames, "--no-names"),
            ] where present {
                throw HashUsageError("--check cannot be used with \(name)")
            }
        }
        if quiet && !check { throw HashUsageError("--quiet requires --check") }
        if keyed && files.isEmpty { throw HashUsageError("--keyed requires at least one FILE (the key is read from standard input)") }
        if raw && files.count > 1 { throw HashUsageError("Only one filename can be provided when using --raw") }
    }
}

struct HashUsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Does the work of `maimo hash` once the arguments are known to fit together.
struct HashRunner {
    let command: HashCommand
    let baseHasher: Blake3
    let outputLength: UInt64

    init(command: HashCommand) throws(HashUsageError) {
        self.command = command
        outputLength = command.length ?? 32
        var threads = command.numThreads ?? 0
        if threads == 0 {
            threads = ProcessInfo.processInfo.environment["RAYON_NUM_THREADS"].flatMap { Int($0) } ?? 0
        }
        if threads <= 0 { threads = ProcessInfo.processInfo.activeProcessorCount }
        if command.noMmap { threads = 1 }
        if command.keyed {
            baseHasher = Blake3(key: try Self.readKeyFromStandardInput(), threadCount: threads)
        } else if let context = command.deriveKey {
            baseHasher = Blake3(deriveKeyContext: context, threadCount: threads)
        } else {
            baseHasher = Blake3(threadCount: threads)
        }
    }

    static func readKeyFromStandardInput() throws(HashUsageError) -> Blake3.Key {
        var bytes = [UInt8](repeating: 0, count: 33)
        var count = 0
        while count < 33 {
            let n = bytes.withUnsafeMutableBytes { read(0, $0.baseAddress! + count, 33 - count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            count += n
        }
        if count < 32 { throw HashUsageError("expected 32 key bytes from stdin, found \(count)") }
        if count > 32 { throw HashUsageError("read more than 32 key bytes from stdin") }
        defer { for i in bytes.indices { bytes[i] = 0 } }
        do { return try Blake3.Key(bytes[..<32]) } catch { throw HashUsageError("\(error)") }
    }

    /// Hashes or checks every argument; true when anything failed.
    func run() -> Bool {
        var failed = false
        for path in command.files.isEmpty ? ["-"] : command.files {
            if command.check {
                do {
                    try checkFile(path, failed: &failed)
                } catch {
                    Console.error("maimo hash: \(path): \(error)")
                    return true
                }
            } else {
                do {
                    try hashOne(path)
                } catch {
                    failed = true
                    Console.error("maimo hash: \(path): \(error)")
                }
            }
        }
        return failed
    }

    func hasher(for path: String) throws -> Blake3.OutputReader {
        var hasher = baseHasher
        if path == "-" {
            if command.keyed { throw HashUsageError("Cannot open `-` in keyed mode") }
            try hasher.update(fileDescriptor: 0, path: "-", useMemoryMap: !command.noMmap)
        } else {
            try hasher.update(contentsOfFileAtPath: path, useMemoryMap: !command.noMmap)
        }
        return hasher.finalizeXOF()
    }

    func hashOne(_ path: String) throws {
        var output = try hasher(for: path)
        if command.raw {
            var remaining = outputLength
            var block = [UInt8](repeating: 0, count: 64 * 1024)
            while remaining > 0 {
                let n = Int(min(remaining, UInt64(block.count)))
                block.withUnsafeMutableBytes { output.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<n])) }
                block.withUnsafeBytes { Console.write(bytes: UnsafeRawBufferPointer(rebasing: $0[..<n])) }
                remaining -= UInt64(n)
            }
            return
        }
        if command.noNames {
            writeHex(&output)
            Console.write("\n")
            return
        }
        let (name, escaped) = Self.escapedName(path)
        if escaped { Console.write("\\") }
        writeHex(&output)
        Console.write("  \(name)\n")
    }

    func writeHex(_ output: inout Blake3.OutputReader) {
        var remaining = outputLength
        while remaining > 0 {
            let n = Int(min(remaining, 4096))
            Console.write(hexString(output.read(count: n)))
            remaining -= UInt64(n)
        }
    }

    /// b3sum's escaping: backslashes and newlines are escaped, and the line gets a leading `\`.
    static func escapedName(_ path: String) -> (String, Bool) {
        guard path.contains("\\") || path.contains("\n") else { return (path, false) }
        return (path.replacing("\\", with: "\\\\").replacing("\n", with: "\\n"), true)
    }

    func checkFile(_ path: String, failed: inout Bool) throws {
        let contents: [UInt8]
        if path == "-" {
            contents = try Self.readAll(descriptor: 0, path: path)
        } else {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw Blake3.FileError(path: path, code: errno) }
            defer { close(descriptor) }
            contents = try Self.readAll(descriptor: descriptor, path: path)
        }
        var start = contents.startIndex
        while start < contents.endIndex {
            let end = contents[start...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? contents.endIndex
            if !checkLine(contents[start..<end]) { failed = true }
            start = end
        }
    }

    static func readAll(descriptor: Int32, path: String) throws(Blake3.FileError) -> [UInt8] {
        var result = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if n == 0 { return result }
            if n < 0 {
                if errno == EINTR { continue }
                throw Blake3.FileError(path: path, code: errno)
            }
            result.append(contentsOf: buffer[..<n])
        }
    }

    /// One line of a checkfile; prints its verdict and returns whether it passed.
    func checkLine(_ rawLine: ArraySlice<UInt8>) -> Bool {
        let parsed: CheckLine
        do {
            parsed = try CheckLine(rawLine)
        } catch {
            Console.error("maimo hash: \(error.message)")
            return false
        }
        let shown = (parsed.isEscaped ? "\\" : "") + parsed.fileString
        do {
            var output = try hasher(for: parsed.filePath)
            let found = try Blake3.Digest(bytes: output.read(count: 32))
            if found == parsed.expected {  // constant-time
                if !command.quiet { Console.write("\(shown): OK\n") }
                return true
            }
            Console.write("\(shown): FAILED\n")
        } catch {
            Console.write("\(shown): FAILED (\(error))\n")
        }
        return false
    }
}

/// A parsed `HASH  NAME` line of a checkfile, with b3sum's rules: lowercase hex, two spaces,
/// an optional leading backslash that turns on unescaping, no NUL or U+FFFD in the name.
struct CheckLine {
    struct ParseError: Error { let message: String }

    let fileString: String
    let isEscaped: Bool
    let filePath: String
    let expected: Blake3.Digest

    init(_ rawLine: ArraySlice<UInt8>) throws(ParseError) {
        var line = rawLine
        while line.last == UInt8(ascii: "\n") { line = line.dropLast() }
        guard let first = line.first else { throw ParseError(message: "Empty line") }
        isEscaped = first == UInt8(ascii: "\\")
        if isEscaped { line = line.dropFirst() }
        let hexLength = 64
        let prefixLength = hexLength + 2
        guard line.count > prefixLength else { throw ParseError(message: "Short line") }
        guard line.prefix(prefixLength).allSatisfy({ $0 < 0x80 }) else { throw ParseError(message: "Non-ASCII prefix") }
        let start = line.startIndex
        guard line[start + hexLength] == 0x20, line[start + hexLength + 1] == 0x20 else {
            throw ParseError(message: "Invalid space")
        }
        for c in line[start..<(start + hexLength)] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c) else {
                throw ParseError(message: "Invalid hex")
            }
        }
        do {
            expected = try Blake3.Digest(hex: String(decoding: line[start..<(start + hexLength)], as: UTF8.self))
        } catch {
            throw ParseError(message: "Invalid hex")
        }
        fileString = String(decoding: line[(start + prefixLength)...], as: UTF8.self)
        filePath = isEscaped ? try Self.unescape(fileString) : fileString
        if filePath.contains("\0") { throw ParseError(message: "Null character in path") }
        if filePath.contains("\u{FFFD}") { throw ParseError(message: "Unicode replacement character in path") }
    }

    static func unescape(_ path: String) throws(ParseError) -> String {
        var result = ""
        var iterator = path.makeIterator()
        while let c = iterator.next() {
            guard c == "\\" else { result.append(c); continue }
            switch iterator.next() {
            case "n": result.append("\n")
            case "\\": result.append("\\")
            default: throw ParseError(message: "Invalid backslash escape")
            }
        }
        return result
    }
}

extension HashCommand: QuickParsing {
    /// File names and `--num-threads N`, the form a benchmark or a script uses most.
    package static func quickParse(_ arguments: ArraySlice<String>) -> HashCommand? {
        var reader = QuickArguments(arguments)
        var threads: Int?
        while let option = reader.nextOption() {
            guard option == "--num-threads", reader.once(option), let value = reader.value(),
                let count = QuickArguments.integer(value)
            else { return nil }
            threads = count
        }
        // Every property is given a value: ArgumentParser's wrappers trap on one that has none.
        var command = HashCommand()
        command.files = reader.plain
        command.length = nil
        command.numThreads = threads
        command.keyed = false
        command.deriveKey = nil
        command.noMmap = false
        command.noNames = false
        command.raw = false
        command.check = false
        command.quiet = false
        return command
    }
}
