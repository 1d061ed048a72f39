import ArgumentParser
import MaimoLeanCommands
import MaimoCipher
#if canImport(Glibc)
import Glibc
#endif

/// `maimo keygen KEYFILE`: a new random key, mode 0600, never overwriting.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Write a new random 256-bit key to KEYFILE (mode 0600; refuses to overwrite).")
    @Argument(help: "Where to write the key.") var keyFile: String

    func run() throws {
        try CipherCLI.run { try KeyFile.generate(at: keyFile) }
    }
}

/// `maimo encrypt --key KEYFILE [--pad] IN OUT`: Maimo's segmented XChaCha8-Blake3-SIV format.
struct EncryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt", abstract: "Encrypt IN to OUT in Maimo's segmented format (XChaCha8-Blake3-SIV); `-` for stdin/stdout.")
    @Option(help: "The key file (from `maimo keygen`).") var key: String
    @Flag(help: "Pad the size up (Padmé) to hide the exact length.") var pad = false
    @Option(help: "Plaintext bytes per segment.") var segmentSize = SegmentedCiphertext.defaultSegmentSize
    @Argument(help: "The file to encrypt, or `-`.") var input: String
    @Argument(help: "Where the ciphertext goes, or `-`.") var output: String

    func run() throws {
        try CipherCLI.run {
            let secret = try KeyFile.load(from: key)
            try CLIFile.withFiles(input: input, output: output) { source, destination in
                let (descriptor, length) = try source.withKnownLength()
                defer { if descriptor != source.descriptor { close(descriptor) } }
                try SegmentedCiphertext.encrypt(
                    from: descriptor, length: length, to: destination.descriptor, key: secret, segmentSize: segmentSize, pad: pad,
                    threadCount: CLIFile.cores)
            }
        }
    }
}

/// `maimo decrypt --key KEYFILE IN OUT`: OUT appears only after every segment verified.
struct DecryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt",
        abstract: "Decrypt and verify IN to OUT; `-` for stdin/stdout.",
        discussion: "A file OUT is written through a temporary file in its folder and renamed only after the last segment verified: on a wrong key or any corruption, OUT does not exist. To standard output, verified segments stream out and a failure exits 1.")
    @Option(help: "The key file.") var key: String
    @Argument(help: "The ciphertext, or `-`.") var input: String
    @Argument(help: "Where the plaintext goes, or `-`.") var output: String

    func run() throws {
        try CipherCLI.run {
            let secret = try KeyFile.load(from: key)
            if output == "-" {
                try CLIFile.withFiles(input: input, output: nil) { source, destination in
                    try SegmentedCiphertext.decrypt(from: source.descriptor, to: destination.descriptor, key: secret, threadCount: CLIFile.cores)
                }
                return
            }
            let source = try CLIFile.open(input)
            defer { source.close() }
            try CLIFile.writeAtomically(to: output) { temporary in
                try SegmentedCiphertext.decrypt(from: source.descriptor, to: temporary, key: secret, threadCount: CLIFile.cores)
            }
        }
    }
}

enum CipherCLI {
    /// One line on standard error and exit status 1 for any failure.
    static func run(_ body: () throws -> Void) throws {
        try CLIFile.run(prefix: "maimo", body)
    }
}
