import ArgumentParser
import MaimoZstd
#if canImport(Glibc)
import Glibc
#endif

/// `maimo zstd`: a subset of the reference `zstd` CLI with the same meanings.
package struct ZstdCommand: ParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "zstd",
        abstract: "Compress, decompress and train dictionaries like the reference zstd CLI.",
        discussion: """
            maimo zstd [-1 … -19 | --ultra -20 … -22 | --fast[=N]] [--long[=N]] [--block-size N] [-T N] [-D DICT | --patch-from OLD] [INPUT] [-o OUTPUT | -c]
            maimo zstd -d [--long[=N]] [-D DICT | --patch-from OLD] [INPUT] [-o OUTPUT | -c]
            maimo zstd --train FILE... -o DICT [--maxdict N]

            With no INPUT or `-`, reads standard input and writes standard output. With INPUT and neither -o nor -c, compression writes INPUT.zst and decompression writes INPUT without its `.zst` suffix, as zstd does.

            Frames are standard: `zstd -d` reads what this writes, and the other way round. A file OUTPUT is written through a temporary file and renamed only when everything succeeded (for decompression: every frame decoded and its checksum matched), so corrupt input leaves no OUTPUT. An existing OUTPUT is kept unless -f.

            -T N compresses N chunks at once (four windows of the level, at least 1 MiB), each its own frame.

            Levels 20 to 22 use windows of 32 to 128 MiB and need --ultra, as in zstd (decompressing them needs --memory when the window is over 128 MB). --fast=N (N ≥ 1, default 1) selects the negative level -N: faster and larger than -1.

            --long[=N] (N from 10 to 31, default 27) finds repeats of 64 bytes or more anywhere in a window of 2^N bytes, on one thread. Decompressing needs a window as large: --long=N (or --memory) when N is over 27.

            --patch-from OLD compresses INPUT against OLD (a raw-content dictionary, with long-distance matching over a window that holds the larger of the two), so that a new version costs about what changed; decompressing needs the same OLD. A window over 2 GiB is not possible, so OLD and INPUT must each be under 2 GiB, and decompression accepts a window up to twice OLD's size (--memory for more).
            """)

    @Flag(name: [.customShort("d"), .long], help: "Decompress.") var decompress = false
    @Option(name: .long, help: ArgumentHelp("Compression level, 1-19, 20-22 with --ultra, negative for --fast (also written -1 … -22).", valueName: "level"))
    var level = 3
    @Flag(name: .customLong("ultra"), help: "Allow levels 20 to 22.") var ultra = false
    @Option(name: .customLong("block-size"), help: ArgumentHelp("Largest block in bytes of input, 1024 to 131072 (K and M suffixes accepted).", valueName: "size"))
    var blockSize: String?
    @Option(name: .customShort("T"), help: ArgumentHelp("Threads for compression (0: one per core).", valueName: "threads"))
    var threads = 1
    @Option(name: .customShort("D"), help: ArgumentHelp("The dictionary to compress with, or that the frames were made with.", valueName: "dict"))
    var dictionary: String?
    @Option(name: .customShort("o"), help: ArgumentHelp("Where the output goes.", valueName: "output")) var output: String?
    @Flag(name: [.customShort("c"), .customLong("stdout")], help: "Write to standard output.") var toStandardOutput = false
    @Flag(name: [.customShort("f"), .long], help: "Overwrite an existing OUTPUT.") var force = false
    @Flag(name: [.customShort("q"), .long], help: "Print nothing on success.") var quiet = false
    @Flag(name: .customLong("sync"), help: "Flush OUTPUT to the disk before it replaces what was at its path (zstd does not; the output is always written beside it and renamed into place).")
    var sync = false
    @Flag(name: .customLong("no-check"), help: "Decompression: do not verify checksums. Compression: write none.") var noCheck = false
    @Option(name: .customLong("memory"), help: "Largest window to accept when decompressing, e.g. 128MB (default) or 2GB.")
    var memory: String?
    @Option(name: .customLong("long-window"), help: ArgumentHelp("Long-distance matching in a window of 2^log bytes, 10-31 (also written --long[=log]; --long is 27).", valueName: "log"))
    var longWindowLog: Int?
    @Option(name: .customLong("patch-from"), help: ArgumentHelp("Compress against OLD, or decompress a patch made against it.", valueName: "old"))
    var patchFrom: String?
    @Flag(name: .customLong("train"), help: "Train a dictionary from the sample FILEs into -o DICT.") var train = false
    @Option(name: .customLong("maxdict"), help: ArgumentHelp("Largest dictionary to train, in bytes.", valueName: "size"))
    var maxDictionary = 112_640
    @Argument(help: "The input, or `-`; with --train, the sample files.") var parsedInputs: [String] = []

    /// The inputs ArgumentParser was spared (see ``separateInputs(_:)``), then its own.
    var inputs: [String] { Self.separatedInputs + parsedInputs }
    nonisolated(unsafe) static var separatedInputs: [String] = []

    /// The options whose value is the next argument.
    static let valueOptions: Set<String> = [
        "--level", "--block-size", "-T", "-D", "-o", "--memory", "--maxdict", "--long-window", "--patch-from",
    ]
    static let flagOptions: Set<String> = [
        "-d", "--decompress", "--ultra", "-c", "--stdout", "-f", "--force", "-q", "--quiet", "--no-check", "--train",
        "-h", "--help",
    ]

    /// Takes the input paths out of `maimo zstd`'s arguments (after ``rewriteLevelFlags(_:)``)
    /// into ``separatedInputs``: ArgumentParser's time grows with the square of the positional
    /// arguments (3.9 s for `--train` with 10,000 sample files). Arguments it cannot classify
    /// (an unknown option) are all left to ArgumentParser, which then reports them.
    package static func separateInputs(_ arguments: [String]) -> [String] {
        guard arguments.first == "zstd", arguments.count > 64 else { return arguments }
        var options = ["zstd"], inputs = [String]()
        var index = 1
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                inputs += arguments[index...]
                break
            } else if argument == "-" || !argument.hasPrefix("-") {
                inputs.append(argument)
            } else if valueOptions.contains(argument) {
                guard index < arguments.count else { return arguments }
                options += [argument, arguments[index]]
                index += 1
            } else if flagOptions.contains(argument) || argument.hasPrefix("--") && valueOptions.contains(String(argument.prefix { $0 != "=" })) {
                options.append(argument)
            } else {
                return arguments
            }
        }
        separatedInputs = inputs
        return options
    }

    /// zstd's `-#` level flags and `--fast[=N]`, rewritten to `--level #` before parsing.
    package static func rewriteLevelFlags(_ arguments: [String]) -> [String] {
        guard arguments.first == "zstd" else { return arguments }
        return arguments.map { argument in
            if argument.count >= 2, argument.first == "-", let value = Int(argument.dropFirst()), value >= 1, value <= 22 {
                return "--level=\(value)"
            }
            if argument == "--fast" { return "--level=-1" }
            if argument == "--long" { return "--long-window=27" }
            if argument.hasPrefix("--long=") { return "--long-window=" + argument.dropFirst(7) }
            if argument.hasPrefix("--patch-from=") { return "--patch-from=" + argument.dropFirst(13) }
            if argument.hasPrefix("--fast="), let value = Int(argument.dropFirst(7)), value >= 1 { return "--level=-\(value)" }
            return argument
        }
    }

    package func validate() throws {
        if output != nil && toStandardOutput { throw ValidationError("-o and -c exclude each other") }
        if level == 0 || level < -(1 << 17) || level > ZstdParameters.maxLevel {
            throw ValidationError("levels go from 1 to 19, 20 to 22 with --ultra, and --fast=1 to --fast=131072")
        }
        if level > 19 && !ultra { throw ValidationError("level \(level) needs --ultra (windows of 32 to 128 MiB)") }
        if let longWindowLog, !(10...31).contains(longWindowLog) { throw ValidationError("--long=N takes N from 10 to 31") }
        if patchFrom != nil && dictionary != nil { throw ValidationError("-D and --patch-from exclude each other") }
        if let blockSize {
            guard let bytes = try? Self.parseSize(blockSize), (1024...131_072).contains(bytes) else {
                throw ValidationError("--block-size must be 1024 to 131072 bytes (1K to 128K)")
            }
        }
        if train {
            if output == nil { throw ValidationError("--train needs -o DICT") }
            if inputs.isEmpty { throw ValidationError("--train needs sample files") }
        } else if inputs.count > 1 {
            throw ValidationError("one INPUT at a time")
        }
    }

    package init() {}

    package func run() throws {
        try CLIFile.run(prefix: "maimo zstd") {
            if train { return try trainDictionary() }
            let reference = try patchFrom.map { path in try CLIFile.readAll(path) }
            let dictionary = try reference.map(ZstdDictionary.init(rawContent:))
                ?? self.dictionary.map { path in try ZstdDictionary(try CLIFile.readAll(path)) }
            let inputName = inputs.first ?? "-"
            let destination: String? = try {
                if toStandardOutput || inputName == "-" { return output }
                if let output { return output }
                if !decompress { return inputName + ".zst" }
                guard inputName.hasSuffix(".zst"), inputName.count > 4 else {
                    throw CLIFile.Failure(description: "\(inputName): unknown suffix (expected .zst); use -o or -c")
                }
                return String(inputName.dropLast(4))
            }()
            let source = try CLIFile.open(inputName)
            defer { source.close() }
            let shownInput = inputName == "-" ? "standard input" : inputName
            let work = { (descriptor: Int32, shownOutput: String) throws -> Zstd.Transfer in
                if decompress {
                    var options = ZstdDecompressionOptions(verifiesChecksum: !noCheck)
                    if let memory {
                        options.maxWindowSize = try Self.parseSize(memory)
                    } else {
                        if let longWindowLog { options.maxWindowSize = max(options.maxWindowSize, 1 << longWindowLog) }
                        if let reference { options.maxWindowSize = max(options.maxWindowSize, Self.patchWindow(for: reference.count)) }
                    }
                    let transfer = try Zstd.decompress(
                        from: source.descriptor, to: descriptor, dictionary: dictionary, options: options,
                        inputName: shownInput, outputName: shownOutput)
                    if transfer.bytesRead == 0 { throw CLIFile.Failure(description: "\(shownInput): unexpected end of file") }
                    return transfer
                }
                let size: UInt64? = source.isRegularFile ? Self.remainingSize(source.descriptor) : nil
                let threadCount = threads == 0 ? CLIFile.cores : max(1, threads)
                var options = ZstdCompressionOptions(
                    level: level, checksum: !noCheck, contentSize: size, maxBlockSize: try blockSize.map(Self.parseSize),
                    longWindowLog: longWindowLog)
                if let reference {
                    // As zstd's --patch-from: a window that holds the larger file, searched by
                    // long-distance matching.
                    let largest = max(UInt64(reference.count), size ?? 0)
                    let covering = min(31, max(10, UInt64.bitWidth - largest.leadingZeroBitCount))
                    options.longWindowLog = max(longWindowLog ?? 10, covering)
                    options.includesDictionaryID = false
                }
                return try Zstd.compress(
                    from: source.descriptor, to: descriptor, dictionary: dictionary, options: options,
                    threadCount: threadCount, inputName: shownInput, outputName: shownOutput)
            }
            guard let destination, destination != "-" else {
                _ = try work(1, "standard output")
                return
            }
            if !force && access(destination, F_OK) == 0 {
                throw CLIFile.Failure(description: "\(destination) already exists; not overwritten (use -f)")
            }
            let mode = mode_t(0o666) & ~Self.umaskValue
            let transfer = try CLIFile.writeAtomically(to: destination, mode: mode, sync: sync) { descriptor in try work(descriptor, destination) }
            if !quiet {
                if decompress {
                    Console.error("\(inputName): \(transfer.bytesWritten) bytes")
                } else {
                    let percent = transfer.bytesRead == 0 ? 0 : Double(transfer.bytesWritten) * 100 / Double(transfer.bytesRead)
                    let shown = (percent * 100).rounded() / 100
                    Console.error("\(inputName) : \(shown)%   (\(transfer.bytesRead) => \(transfer.bytesWritten) bytes, \(destination))")
                }
            }
        }
    }

    func trainDictionary() throws {
        var samples = [[UInt8]]()
        for path in inputs { samples.append(try CLIFile.readAll(path)) }
        let dictionary = try ZstdDictionary.train(samples: samples, maxSize: maxDictionary, level: level)
        guard let output else { return }
        if !force && access(output, F_OK) == 0 {
            throw CLIFile.Failure(description: "\(output) already exists; not overwritten (use -f)")
        }
        let mode = mode_t(0o666) & ~Self.umaskValue
        try CLIFile.writeAtomically(to: output, mode: mode) { descriptor in try CLIFile.write(dictionary, to: descriptor) }
        if !quiet { Console.error("Save dictionary of size \(dictionary.count) into file \(output)") }
    }

    /// The largest window a patch against an `oldSize`-byte file is accepted with: twice the
    /// old file, rounded up to a power of two (at most 2 GiB).
    static func patchWindow(for oldSize: Int) -> Int {
        1 << min(31, Int.bitWidth - max(1, 2 * oldSize - 1).leadingZeroBitCount)
    }

    static func remainingSize(_ descriptor: Int32) -> UInt64? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        let here = lseek(descriptor, 0, SEEK_CUR)
        return UInt64(max(0, Int64(info.st_size) - Int64(max(0, here))))
    }

    /// The process's umask (read by setting it and putting it back).
    static var umaskValue: mode_t {
        let value = umask(0o022)
        umask(value)
        return value
    }

    /// `128MB`, `2GB`, `512KiB`, or a plain byte count.
    package static func parseSize(_ text: String) throws -> Int {
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Int(text.dropLast(suffix.count)), value > 0 { return value * scale }
        }
        if let value = Int(text), value > 0 { return value }
        throw CLIFile.Failure(description: "invalid --memory size \(text) (e.g. 128MB, 2GB)")
    }
}

extension ZstdCommand: QuickParsing {
    /// After ``rewriteLevelFlags(_:)``: `-d`, `-c`, `-f`, `-q`, `--ultra`, `--no-check`, a level,
    /// `-o OUTPUT`, `-D DICT`, `-T N` and input paths — how zstd is mostly called.
    package static func quickParse(_ arguments: ArraySlice<String>) -> ZstdCommand? {
        var reader = QuickArguments(arguments)
        // Every property is given a value: ArgumentParser's wrappers trap on one that has none.
        var command = ZstdCommand()
        command.decompress = false
        command.level = 3
        command.ultra = false
        command.blockSize = nil
        command.threads = 1
        command.dictionary = nil
        command.output = nil
        command.toStandardOutput = false
        command.force = false
        command.quiet = false
        command.sync = false
        command.noCheck = false
        command.memory = nil
        command.longWindowLog = nil
        command.patchFrom = nil
        command.train = false
        command.maxDictionary = 112_640
        while let option = reader.nextOption() {
            switch option {
            case "-d", "--decompress": guard reader.once("-d") else { return nil }; command.decompress = true
            case "-c", "--stdout": guard reader.once("-c") else { return nil }; command.toStandardOutput = true
            case "-f", "--force": guard reader.once("-f") else { return nil }; command.force = true
            case "-q", "--quiet": guard reader.once("-q") else { return nil }; command.quiet = true
            case "--ultra": guard reader.once(option) else { return nil }; command.ultra = true
            case "--no-check": guard reader.once(option) else { return nil }; command.noCheck = true
            case "-o":
                guard reader.once(option), let value = reader.value() else { return nil }
                command.output = value
            case "-D":
                guard reader.once(option), let value = reader.value() else { return nil }
                command.dictionary = value
            case "-T":
                guard reader.once(option), let value = reader.value(), let count = QuickArguments.integer(value) else {
                    return nil
                }
                command.threads = count
            default:
                guard option.hasPrefix("--level="), reader.once("--level"),
                    let level = QuickArguments.integer(option.dropFirst(8))
                else { return nil }
                command.level = level
            }
        }
        guard separatedInputs.isEmpty else { return nil }
        command.parsedInputs = reader.plain
        return command
    }
}
