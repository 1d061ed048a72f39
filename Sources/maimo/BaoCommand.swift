import ArgumentParser
import MaimoLeanCommands
import MaimoBao
import MaimoBlake3
#if canImport(Glibc)
import Glibc
#endif

/// `maimo bao`: a drop-in for the `bao` 0.13 CLI (same arguments, defaults and bytes).
struct BaoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bao",
        abstract: "Bao verified streaming, like the bao CLI: hash, encode, decode, slice, decode-slice.",
        discussion: "Inputs and outputs default to standard input and output, or `-`. Encoding and slicing need real files where bao needs them.",
        subcommands: [Hash.self, Encode.self, Decode.self, Slice.self, DecodeSlice.self]
    )

    struct Hash: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "hash", abstract: "Print the Bao root hash (BLAKE3) of each input; with several, `HASH  NAME` lines.")
        @Argument(help: "Files to hash (standard input when none).") var inputs: [String] = []

        func run() throws {
            if inputs.isEmpty {
                print(try CLIFile.hash(nil))
                return
            }
            var failed = false
            for input in inputs {
                do {
                    let digest = try CLIFile.hash(input)
                    print(inputs.count > 1 ? "\(digest)  \(input)" : "\(digest)")
                } catch {
                    failed = true
                    Console.error("maimo bao: \(input): \(error)")
                }
            }
            if failed { throw ExitCode.failure }
        }
    }

    struct Encode: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "encode", abstract: "Encode INPUT into OUTPUT (combined), or into an outboard tree with --outboard.")
        @Argument(help: "The content (`-` for standard input).") var input: String
        @Argument(help: "The combined encoding (a file).") var output: String?
        @Option(help: "Write an outboard tree to this file instead.") var outboard: String?

        func validate() throws {
            if (output == nil) == (outboard == nil) { throw ValidationError("give either OUTPUT or --outboard FILE") }
        }

        func run() throws {
            let target = outboard ?? output!
            try CLIFile.run {
                let source = try CLIFile.open(input)
                defer { source.close() }
                let destination = try CLIFile.create(target, requireFile: true)
                defer { destination.close() }
                let (descriptor, length) = try source.withKnownLength()
                defer { if descriptor != source.descriptor { close(descriptor) } }
                _ = try Bao.encode(from: descriptor, length: length, to: destination.descriptor, outboard: outboard != nil)
            }
        }
    }

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "decode",
            abstract: "Verify and decode an encoding (or data with --outboard) against HASH.",
            discussion: "Writes only verified bytes. On corruption it stops, says where, and exits 1.")
        @Argument(help: "The root hash, 64 hex digits.") var hash: String
        @Argument(help: "The encoding, or with --outboard the data (`-` for standard input).") var input: String?
        @Argument(help: "Where the content goes (standard output by default).") var output: String?
        @Option(help: "The outboard tree for INPUT.") var outboard: String?
        @Option(help: "Start at this content offset (needs a file input).") var start: UInt64?
        @Option(help: "Decode at most this many bytes.") var count: UInt64?

        func run() throws {
            try CLIFile.run(input: input, output: output) { source, destination in
                let root = try CLIFile.parseHash(hash)
                let data = try source.source(seekable: start != nil)
                if let outboard {
                    let tree = try CLIFile.open(outboard)
                    defer { tree.close() }
                    try decode(tree: try tree.source(seekable: start != nil), data: data, root: root, to: destination.descriptor)
                } else {
                    try decode(combined: data, root: root, to: destination.descriptor)
                }
            }
        }

        // The existential sources are opened as concrete types for the generic decoder.
        private func decode(tree: some BaoByteSource, data: some BaoByteSource, root: Blake3.Digest, to output: Int32) throws {
            var decoder = BaoDecoder(outboard: tree, data: data, hash: root)
            try write(&decoder, to: output)
        }

        private func decode(combined: some BaoByteSource, root: Blake3.Digest, to output: Int32) throws {
            var decoder = BaoDecoder(combined: combined, hash: root)
            try write(&decoder, to: output)
        }

        private func write(_ decoder: inout BaoDecoder<some BaoByteSource, some BaoByteSource>, to output: Int32) throws {
            if let start { decoder.seek(to: start) }
            try Bao.decode(&decoder, to: output, count: count ?? .max)
        }
    }

    struct Slice: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "slice", abstract: "Extract the slice proving COUNT bytes from START.")
        @Argument(help: "The first content byte.") var start: UInt64
        @Argument(help: "How many bytes (0 still proves one).") var count: UInt64
        @Argument(help: "The encoding, or with --outboard the data (a file).") var input: String?
        @Argument(help: "Where the slice goes (standard output by default).") var output: String?
        @Option(help: "The outboard tree for INPUT.") var outboard: String?

        func run() throws {
            try CLIFile.run(input: input, output: output) { source, destination in
                let slice: [UInt8]
                if let outboard {
                    let tree = try CLIFile.open(outboard)
                    defer { tree.close() }
                    slice = try Bao.slice(from: try tree.source(seekable: true), data: try source.source(seekable: true), start: start, count: count)
                } else {
                    slice = try Bao.slice(from: try source.source(seekable: true), start: start, count: count)
                }
                try CLIFile.write(slice, to: destination.descriptor)
            }
        }
    }

    struct DecodeSlice: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "decode-slice", abstract: "Verify a slice against HASH and write the bytes it proves.")
        @Argument(help: "The root hash, 64 hex digits.") var hash: String
        @Argument(help: "The first content byte the slice was made for.") var start: UInt64
        @Argument(help: "The count the slice was made for.") var count: UInt64
        @Argument(help: "The slice (`-` for standard input).") var input: String?
        @Argument(help: "Where the content goes (standard output by default).") var output: String?

        func run() throws {
            try CLIFile.run(input: input, output: output) { source, destination in
                let root = try CLIFile.parseHash(hash)
                let bytes = try Bao.decodeSlice(try source.source(seekable: false), hash: root, start: start, count: count)
                try CLIFile.write(bytes, to: destination.descriptor)
            }
        }
    }
}
