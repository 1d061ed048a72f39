import ArgumentParser
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
        static let configuration = CommandConfiguration(abstract: "Print the Bao root hash (BLAKE3) of each input; with several, `HASH  NAME` lines.")
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
        static let configuration = CommandConfiguration(abstract: "Encode INPUT into OUTPUT (combined), or into an outboard tree with --outboard.")
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
                    try decode(tree: data, data: nil, root: root, to: destination.descriptor)
                }
            }
        }

        /// Opens the existential source as a concrete type for the generic decoder.
        private func decode<Tree: BaoByteSource>(tree: Tree, data: (any BaoByteSource)?, root: Blake3.Digest, to output: Int32) throws {
            var decoder = data.map { BaoDecoder(outboard: tree, data: $0, hash: root) } ?? BaoDecoder(combined: tree, hash: root)
            if let start { decoder.seek(to: start) }
            try Bao.decode(&decoder, to: output, count: count ?? .max)
        }
    }

    struct Slice: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Extract the slice proving COUNT bytes from START.")
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

/// File handling shared by the `maimo bao` subcommands: `-` and absent paths mean the standard
/// streams, errors become one line on standard error and exit status 1.
struct CLIFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let descriptor: Int32
    let path: String
    let owned: Bool

    static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            Console.error("maimo bao: \(error)")
            throw ExitCode.failure
        }
    }

    /// `run` with the input opened (standard input for none or `-`) and the output created
    /// (standard output for none or `-`), both closed afterwards.
    static func run(input: String?, output: String?, _ body: (CLIFile, CLIFile) throws -> Void) throws {
        try run { try withFiles(input: input, output: output, body) }
    }

    /// The input opened and the output created as `run(input:output:_:)` does, errors thrown.
    static func withFiles(input: String?, output: String?, _ body: (CLIFile, CLIFile) throws -> Void) throws {
        let source = try open(input)
        defer { source.close() }
        let destination = try create(output, requireFile: false)
        defer { destination.close() }
        try body(source, destination)
    }

    static func open(_ path: String?) throws -> CLIFile {
        guard let path, path != "-" else { return CLIFile(descriptor: 0, path: "-", owned: false) }
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "\(path): \(String(cString: strerror(errno)))") }
        return CLIFile(descriptor: descriptor, path: path, owned: true)
    }

    static func create(_ path: String?, requireFile: Bool) throws -> CLIFile {
        guard let path, path != "-" else {
            if requireFile { throw Failure(description: "output must be a real file") }
            return CLIFile(descriptor: 1, path: "-", owned: false)
        }
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(description: "\(path): \(String(cString: strerror(errno)))") }
        return CLIFile(descriptor: descriptor, path: path, owned: true)
    }

    func close() {
        if owned { _ = Glibc.close(descriptor) }
    }

    var isRegularFile: Bool {
        var info = stat()
        return fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// A random-access source for a regular file, a forward-only one for streams.
    func source(seekable: Bool) throws -> any BaoByteSource {
        if isRegularFile { return BaoFileSource(descriptor: descriptor) }
        if seekable { throw Failure(description: "\(path == "-" ? "standard input" : path) must be a real file here") }
        return BaoForwardSource(descriptor: descriptor)
    }

    /// The descriptor and content length; a stream is first copied to an unlinked temporary file,
    /// because the encoder must know the length before it writes the first node.
    func withKnownLength() throws -> (Int32, UInt64) {
        var info = stat()
        if fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
            let here = lseek(descriptor, 0, SEEK_CUR)
            return (descriptor, UInt64(info.st_size - max(0, here)))
        }
        var template = Array("/tmp/maimo-bao-XXXXXX".utf8CString)
        let spool = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard spool >= 0 else { throw Failure(description: "cannot create a temporary file: \(String(cString: strerror(errno)))") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total: UInt64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw Failure(description: "reading standard input: \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            try write(Array(buffer[..<n]), to: spool)
            total += UInt64(n)
        }
        _ = lseek(spool, 0, SEEK_SET)
        return (spool, total)
    }

    static func write(_ bytes: [UInt8], to descriptor: Int32) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw Failure(description: "write failed: \(String(cString: strerror(errno)))") }
            done += n
        }
    }

    func write(_ bytes: [UInt8], to descriptor: Int32) throws { try Self.write(bytes, to: descriptor) }

    static func parseHash(_ hex: String) throws -> Blake3.Digest {
        do { return try Blake3.Digest(hex: hex) } catch { throw Failure(description: "invalid hash: \(error)") }
    }

    /// The BLAKE3 hash of a file (mapped and multi-threaded) or of standard input.
    static func hash(_ path: String?) throws -> Blake3.Digest {
        var hasher = Blake3.Hasher(threadCount: max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
        if let path, path != "-" {
            try hasher.update(contentsOfFileAtPath: path)
        } else {
            try hasher.update(fileDescriptor: 0)
        }
        return hasher.finalize()
    }
}
