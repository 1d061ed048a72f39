import ArgumentParser
import MaimoZstd
#if canImport(Glibc)
import Glibc
#endif

/// `maimo zstd`: a subset of the reference `zstd` CLI with the same meanings and output bytes.
struct ZstdCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zstd",
        abstract: "Decompress zstd frames like `zstd -d` (byte-identical output).",
        discussion: """
            maimo zstd -d [-D DICT] [INPUT] [-o OUTPUT | -c]

            With no INPUT or `-`, reads standard input and writes standard output. With INPUT and
            neither -o nor -c, writes INPUT without its `.zst` suffix, as zstd does. A file OUTPUT is
            written through a temporary file and renamed only when every frame decoded and its
            checksum matched: on corrupt input the command exits 1 with a message and leaves no
            OUTPUT. An existing OUTPUT is kept unless -f is given. Compression comes with the
            encoder (a later release); today the command only decompresses.
            """)

    @Flag(name: [.customShort("d"), .long], help: "Decompress (the only mode for now).") var decompress = false
    @Option(name: .customShort("D"), help: ArgumentHelp("The dictionary the frames were made with.", valueName: "dict")) var dictionary: String?
    @Option(name: .customShort("o"), help: ArgumentHelp("Where the output goes.", valueName: "output")) var output: String?
    @Flag(name: [.customShort("c"), .customLong("stdout")], help: "Write to standard output.") var toStandardOutput = false
    @Flag(name: [.customShort("f"), .long], help: "Overwrite an existing OUTPUT.") var force = false
    @Flag(name: [.customShort("q"), .long], help: "Print nothing on success.") var quiet = false
    @Flag(name: .customLong("no-check"), help: "Do not verify content checksums.") var noCheck = false
    @Option(name: .customLong("memory"), help: "Largest window to accept, e.g. 128MB (default) or 2GB (--long=31 frames).")
    var memory: String?
    @Argument(help: "The compressed input, or `-`.") var input: String?

    func validate() throws {
        guard decompress else {
            throw ValidationError("only decompression (-d) is implemented so far")
        }
        if output != nil && toStandardOutput { throw ValidationError("-o and -c exclude each other") }
    }

    func run() throws {
        try CLIFile.run(prefix: "maimo zstd") {
            var options = ZstdDecompressionOptions(verifiesChecksum: !noCheck)
            if let memory { options.maxWindowSize = try Self.parseSize(memory) }
            let dictionary = try self.dictionary.map { path in try ZstdDictionary(try CLIFile.readAll(path)) }
            let inputName = input ?? "-"
            let destination: String? = try {
                if toStandardOutput || inputName == "-" { return output }
                if let output { return output }
                guard inputName.hasSuffix(".zst"), inputName.count > 4 else {
                    throw CLIFile.Failure(description: "\(inputName): unknown suffix (expected .zst); use -o or -c")
                }
                return String(inputName.dropLast(4))
            }()
            let source = try CLIFile.open(inputName)
            defer { source.close() }
            let shownInput = inputName == "-" ? "standard input" : inputName
            let decode = { (descriptor: Int32, shownOutput: String) throws -> Zstd.Transfer in
                let transfer = try Zstd.decompress(
                    from: source.descriptor, to: descriptor, dictionary: dictionary, options: options,
                    inputName: shownInput, outputName: shownOutput)
                if transfer.bytesRead == 0 { throw CLIFile.Failure(description: "\(shownInput): unexpected end of file") }
                return transfer
            }
            guard let destination, destination != "-" else {
                _ = try decode(1, "standard output")
                return
            }
            if !force && access(destination, F_OK) == 0 {
                throw CLIFile.Failure(description: "\(destination) already exists; not overwritten (use -f)")
            }
            let mode = mode_t(0o666) & ~Self.umaskValue
            let transfer = try CLIFile.writeAtomically(to: destination, mode: mode) { descriptor in try decode(descriptor, destination) }
            if !quiet { Console.error("\(inputName): \(transfer.bytesWritten) bytes") }
        }
    }

    /// The process's umask (read by setting it and putting it back).
    static var umaskValue: mode_t {
        let value = umask(0o022)
        umask(value)
        return value
    }

    /// `128MB`, `2GB`, `512KiB`, or a plain byte count.
    static func parseSize(_ text: String) throws -> Int {
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30), ("K", 1 << 10), ("M", 1 << 20), ("G", 1 << 30)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Int(text.dropLast(suffix.count)), value > 0 { return value * scale }
        }
        if let value = Int(text), value > 0 { return value }
        throw CLIFile.Failure(description: "invalid --memory size \(text) (e.g. 128MB, 2GB)")
    }
}
