#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MaimoBao
import MaimoBlake3
import MaimoCipher
import MaimoZstd

/// One file revision through the pipeline of Docs/Engine.md: zstd, the segmented ciphertext,
/// the Bao combined encoding; and back. Memory stays bounded (a few MiB) for any file size:
/// the compressed stream and the encoding pass through temporary files.
public enum Pipeline {
    /// What sealing a file produced.
    public struct Sealed: Sendable {
        /// The combined Bao encoding of the ciphertext, ready to upload: in a file (the caller
        /// removes it) or, for a small file, in memory.
        public let encodingPath: String?
        public let encoding: [UInt8]?
        public let encodingLength: UInt64
        /// The ciphertext's Bao root: the blob's name and all a proof of storage needs.
        public let root: Blake3.Digest
        public let plaintextHash: Blake3.Digest
        public let plaintextLength: UInt64
        public let compressedLength: UInt64
        public let ciphertextLength: UInt64
    }

    public struct Options: Sendable {
        public var level = 3
        public var dictionary: ZstdDictionary?
        public var pad = true
        public var segmentSize = SegmentedCiphertext.defaultSegmentSize
        public init() {}
    }

    static let blockSize = 1 << 20
    /// Files up to this size go through the pipeline in memory (no work files).
    public static let inMemoryLimit = 1 << 20

    /// The ciphertext length of `compressedLength` bytes sealed with these settings.
    static func ciphertextLength(logicalLength: UInt64, segmentSize: Int) -> UInt64 {
        let segments = (logicalLength + UInt64(segmentSize) - 1) / UInt64(segmentSize)
        return UInt64(SegmentedCiphertext.headerLength) + logicalLength + segments * UInt64(XChaCha8Blake3SIV.tagLength)
    }

    /// Seals the file at `path` with `key`, writing the encoding into `workDirectory`.
    public static func seal(path: String, key: CipherKey, options: Options = Options(), workDirectory: String) throws(MaimoError) -> Sealed {
        let input = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw .io("opening \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(input) }
        var info = stat()
        if fstat(input, &info) == 0, info.st_size <= inMemoryLimit,
           let sealed = try sealInMemory(input, path: path, expected: Int(info.st_size), key: key, options: options) {
            return sealed
        }
        let compressed = try TemporaryFile(in: workDirectory, "zst")
        defer { compressed.remove() }
        // 1. Read once: hash the plaintext and compress it.
        var hasher = Blake3.Hasher()
        let compressor = ZstdCompressor(dictionary: options.dictionary, options: ZstdCompressionOptions(level: options.level))
        var buffer = [UInt8](repeating: 0, count: blockSize)
        var plaintextLength: UInt64 = 0
        var compressedLength: UInt64 = 0
        var sinkFailure: MaimoError?
        let write: (UnsafeRawBufferPointer) throws(ZstdError) -> Void = { bytes throws(ZstdError) in
            if let failure = Pipeline.failure(of: { () throws(MaimoError) in try compressed.append(bytes) }) {
                sinkFailure = failure
                throw .io(operation: "writing", path: compressed.path, errno: 0)
            }
            compressedLength += UInt64(bytes.count)
        }
        do {
            while true {
                let n = try readSome(input, &buffer, path)
                if n == 0 { break }
                plaintextLength += UInt64(n)
                let block = n == buffer.count ? buffer : Array(buffer[..<n])
                hasher.update(block)
                try compressor.compress(block, to: write)
            }
            try compressor.finish(to: write)
        } catch let error as MaimoError {
            throw error
        } catch {
            throw sinkFailure ?? .io("compressing \(path): \(error)")
        }
        // 2. Encrypt the compressed stream and 3. encode the ciphertext, in one pass.
        let encoding = try TemporaryFile(in: workDirectory, "bao")
        do {
            var encryptor = try SegmentedEncryptor(key: key, contentLength: compressedLength, segmentSize: options.segmentSize, pad: options.pad)
            let ciphertextLength = Self.ciphertextLength(logicalLength: encryptor.logicalLength, segmentSize: options.segmentSize)
            var encoder = BaoEncoder(contentLength: ciphertextLength, sink: BaoFileSink(descriptor: encoding.descriptor))
            try encoder.update(encryptor.header)
            var offset: UInt64 = 0
            while offset < compressedLength {
                let want = Int(min(UInt64(blockSize), compressedLength - offset))
                let n = buffer.withUnsafeMutableBytes { pread(compressed.descriptor, $0.baseAddress, want, off_t(offset)) }
                guard n > 0 else { throw MaimoError.io("reading back the compressed stream: \(String(cString: strerror(errno)))") }
                offset += UInt64(n)
                try encoder.update(try encryptor.update(Array(buffer[..<n])))
            }
            try encoder.update(try encryptor.finalize())
            let root = try encoder.finalize()
            return Sealed(
                encodingPath: encoding.path, encoding: nil, encodingLength: encoder.encodedSize, root: root, plaintextHash: hasher.finalize(),
                plaintextLength: plaintextLength, compressedLength: compressedLength, ciphertextLength: ciphertextLength)
        } catch let error as MaimoError {
            encoding.remove()
            throw error
        } catch {
            encoding.remove()
            throw .io("encrypting \(path): \(error)")
        }
    }

    /// The small-file path: everything in memory. Nil when the file turns out larger than the
    /// limit while it is read (it grew): then the streaming path starts over.
    static func sealInMemory(_ input: Int32, path: String, expected: Int, key: CipherKey, options: Options) throws(MaimoError) -> Sealed? {
        // Sized for the file as fstat saw it, plus one byte to notice that it grew; grown to the
        // limit only then (a 100-byte file must not cost a 1 MiB buffer).
        var plaintext = [UInt8](repeating: 0, count: min(expected, inMemoryLimit) + 1)
        var length = 0
        while length < inMemoryLimit + 1 {
            if length == plaintext.count { plaintext += repeatElement(0, count: inMemoryLimit + 1 - length) }
            let n = plaintext.withUnsafeMutableBytes { read(input, $0.baseAddress! + length, $0.count - length) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw .io("reading \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            length += n
        }
        guard length <= inMemoryLimit else {
            guard lseek(input, 0, SEEK_SET) == 0 else { throw .io("rewinding \(path): \(String(cString: strerror(errno)))") }
            return nil
        }
        plaintext.removeLast(plaintext.count - length)
        let compressor = ZstdCompressor(dictionary: options.dictionary,
                                        options: ZstdCompressionOptions(level: options.level, contentSize: UInt64(length)))
        let compressed = compressor.compressFrame(plaintext)
        do {
            var encryptor = try SegmentedEncryptor(key: key, contentLength: UInt64(compressed.count), segmentSize: options.segmentSize, pad: options.pad)
            let ciphertext = encryptor.header + (try encryptor.update(compressed)) + (try encryptor.finalize())
            let (encoding, root) = Bao.encode(ciphertext)
            return Sealed(
                encodingPath: nil, encoding: encoding, encodingLength: UInt64(encoding.count), root: root,
                plaintextHash: Blake3.hash(plaintext), plaintextLength: UInt64(length), compressedLength: UInt64(compressed.count),
                ciphertextLength: UInt64(ciphertext.count))
        } catch {
            throw .io("encrypting \(path): \(error)")
        }
    }

    /// Opens a combined encoding (a file the caller downloaded): verifies every chunk against
    /// `root` before use, decrypts, decompresses into `output`, and checks the plaintext hash
    /// and length. `dictionaries` finds a dictionary by the ID zstd frames name.
    public static func open(
        encodingPath: String, root: Blake3.Digest, key: CipherKey, to output: Int32,
        expectedHash: Blake3.Digest, expectedLength: UInt64, dictionary: ZstdDictionary?
    ) throws(MaimoError) {
        let descriptor = Glibc.open(encodingPath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io("opening \(encodingPath): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(descriptor) }
        try open(encoding: BaoFileSource(descriptor: descriptor), root: root, key: key, to: output,
                 expectedHash: expectedHash, expectedLength: expectedLength, dictionary: dictionary)
    }

    /// ``open(encodingPath:root:key:to:expectedHash:expectedLength:dictionary:)`` from any source
    /// (an encoding downloaded into memory).
    public static func open(
        encoding source: some BaoByteSource, root: Blake3.Digest, key: CipherKey, to output: Int32,
        expectedHash: Blake3.Digest, expectedLength: UInt64, dictionary: ZstdDictionary?
    ) throws(MaimoError) {
        var decoder = BaoDecoder(combined: source, hash: root)
        var decryptor = SegmentedDecryptor(key: key)
        let decompressor = ZstdDecompressor(dictionary: dictionary)
        var hasher = Blake3.Hasher()
        var length: UInt64 = 0
        var buffer = [UInt8](repeating: 0, count: blockSize)
        var sinkFailure: MaimoError?
        let sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void = { bytes throws(ZstdError) in
            hasher.update(bytes)
            length += UInt64(bytes.count)
            let failure = length > expectedLength ? MaimoError.integrity("more plaintext than the catalogue recorded")
                : Pipeline.failure { () throws(MaimoError) in try writeAll(output, bytes) }
            if let failure {
                sinkFailure = failure
                throw .outputTooLarge(limit: 0)
            }
        }
        do {
            while true {
                let n: Int
                do {
                    n = try buffer.withUnsafeMutableBytes { (raw) throws(BaoError) -> Int in try decoder.read(into: raw) }
                } catch {
                    throw MaimoError.integrity("the provider's bytes do not match the stored root: \(error)")
                }
                if n == 0 { break }
                let plain: [UInt8]
                do { plain = try decryptor.update(Array(buffer[..<n])) } catch {
                    throw MaimoError.integrity("the ciphertext does not open (wrong key or damaged): \(error)")
                }
                try decompressor.decompress(plain, to: sink)
            }
            let last: [UInt8]
            do { last = try decryptor.finalize() } catch {
                throw MaimoError.integrity("the ciphertext does not open (wrong key or damaged): \(error)")
            }
            try decompressor.decompress(last, to: sink)
            try decompressor.finish()
        } catch let error as MaimoError {
            throw error
        } catch {
            throw sinkFailure ?? .integrity("the compressed stream does not decode: \(error)")
        }
        guard length == expectedLength, hasher.finalize() == expectedHash else {
            throw .integrity("the restored file's hash or length (\(length) bytes) differs from the catalogue's")
        }
    }

    /// The error `body` threw, if any (a closure that throws `ZstdError` cannot catch another
    /// typed error inline without crashing this compiler).
    static func failure(of body: () throws(MaimoError) -> Void) -> MaimoError? {
        do { try body() } catch { return error }
        return nil
    }

    static func readSome(_ descriptor: Int32, _ buffer: inout [UInt8], _ what: String) throws(MaimoError) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if n >= 0 { return n }
            if errno != EINTR { throw .io("reading \(what): \(String(cString: strerror(errno)))") }
        }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(MaimoError) {
        var done = 0
        while done < bytes.count {
            let n = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .io("writing: \(String(cString: strerror(errno)))") }
            done += n
        }
    }
}

/// A file in a work directory, removed by ``remove()``.
final class TemporaryFile {
    let path: String
    let descriptor: Int32
    private var removed = false

    init(in directory: String, _ suffix: String) throws(MaimoError) {
        var generator = SystemRandomNumberGenerator()
        path = directory + "/.maimo-\(String(generator.next(), radix: 36)).\(suffix)"
        descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .io("creating a temporary file in \(directory): \(String(cString: strerror(errno)))") }
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws(MaimoError) {
        try Pipeline.writeAll(descriptor, bytes)
    }

    func append(_ bytes: [UInt8]) throws(MaimoError) {
        let result: Result<Void, MaimoError> = bytes.withUnsafeBytes { raw in
            Result { () throws(MaimoError) in try Pipeline.writeAll(descriptor, raw) }
        }
        try result.get()
    }

    /// Closes; the file stays (for ``Pipeline/Sealed``) unless removed.
    func remove() {
        guard !removed else { return }
        removed = true
        Glibc.close(descriptor)
        unlink(path)
    }
}
