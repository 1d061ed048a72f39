// Platform layer: segmented ciphertext between the operating system's files, and key files.
// Not part of the Embedded Swift core.
#if !hasFeature(Embedded)
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#elseif canImport(WASILibc)
import WASILibc
#endif

extension SegmentedCiphertext {
    /// Encrypts the file at `input` into a new file at `output` (mode 0600, replaced if it
    /// exists), `threadCount` segments at a time sealed in parallel (memory: about two segments
    /// per thread).
    /// - Throws: ``SegmentedError/system(_:path:code:)`` naming the file that cannot be opened,
    ///   read or written, or any error of the format.
    public static func encrypt(
        fileAtPath input: String, to output: String, key: CipherKey,
        segmentSize: Int = defaultSegmentSize, pad: Bool = false, threadCount: Int = 1
    ) throws(SegmentedError) {
        let source = try openFile(input, O_RDONLY)
        defer { close(source) }
        var info = stat()
        guard fstat(source, &info) == 0 else { throw .system(.stat, path: input, code: errno) }
        let destination = try openFile(output, O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(destination) }
        try naming(input: input, output: output) { () throws(SegmentedError) in
            try encrypt(from: source, length: UInt64(info.st_size), to: destination, key: key,
                        segmentSize: segmentSize, pad: pad, threadCount: threadCount)
        }
    }

    /// Decrypts the file at `input` into a new file at `output` (mode 0600, replaced if it
    /// exists). Each segment is written only after it verified; on an error, what was written is
    /// a verified prefix and the error says where.
    public static func decrypt(fileAtPath input: String, to output: String, key: CipherKey, threadCount: Int = 1) throws(SegmentedError) {
        let source = try openFile(input, O_RDONLY)
        defer { close(source) }
        let destination = try openFile(output, O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(destination) }
        try naming(input: input, output: output) { () throws(SegmentedError) in
            try decrypt(from: source, to: destination, key: key, threadCount: threadCount)
        }
    }

    /// Runs `body`, putting the file's path into a read or write failure that has none.
    static func naming(input: String, output: String, _ body: () throws(SegmentedError) -> Void) throws(SegmentedError) {
        do {
            try body()
        } catch {
            guard case .system(let operation, nil, let code) = error else { throw error }
            throw .system(operation, path: operation == .write ? output : input, code: code)
        }
    }

    static func openFile(_ path: String, _ flags: Int32) throws(SegmentedError) -> Int32 {
        let descriptor = open(path, flags | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .system(.open, path: path, code: errno) }
        return descriptor
    }

    /// Encrypts `length` bytes read from `input` into `output` (descriptors the caller keeps),
    /// `threadCount` segments at a time sealed in parallel (memory: about two segments per thread).
    package static func encrypt(
        from input: Int32, length: UInt64, to output: Int32, key: CipherKey,
        segmentSize: Int = defaultSegmentSize, pad: Bool = false, threadCount: Int = 1
    ) throws(SegmentedError) {
        var encryptor = try SegmentedEncryptor(key: key, contentLength: length, segmentSize: segmentSize, pad: pad)
        encryptor.threadCount = max(1, threadCount)
        try writeAll(output, encryptor.header)
        var buffer = [UInt8](repeating: 0, count: segmentSize * max(1, threadCount))
        var done: UInt64 = 0
        while done < length {
            let want = Int(min(UInt64(buffer.count), length - done))
            let n = try readSome(input, &buffer, want)
            if n == 0 { throw .lengthMismatch(expected: length, received: done) }
            try writeAll(output, try encryptor.update(Array(buffer[..<n])))
            done += UInt64(n)
        }
        try writeAll(output, try encryptor.finalize())
    }

    /// Decrypts everything from `input` into `output`. Each segment is written only after it
    /// verified; on an error, what was written is a verified prefix and the error says where.
    package static func decrypt(from input: Int32, to output: Int32, key: CipherKey, threadCount: Int = 1) throws(SegmentedError) {
        var decryptor = SegmentedDecryptor(key: key)
        decryptor.threadCount = max(1, threadCount)
        var buffer = [UInt8](repeating: 0, count: (1 << 20) * max(1, threadCount))
        while true {
            let n = try readSome(input, &buffer, buffer.count)
            if n == 0 { break }
            try writeAll(output, try decryptor.update(Array(buffer[..<n])))
        }
        try writeAll(output, try decryptor.finalize())
    }

    static func readSome(_ descriptor: Int32, _ buffer: inout [UInt8], _ count: Int) throws(SegmentedError) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, count) }
            if n >= 0 { return n }
            if errno != EINTR { throw .system(.read, path: nil, code: errno) }
        }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) throws(SegmentedError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(.write, path: nil, code: errno)
            }
            done += n
        }
    }
}

/// A key file: `MAIMOKEY`, u16le version 1, u16le 0, then the 32 key bytes (44 bytes), mode 0600.
public enum KeyFile {
    /// The eight bytes a key file starts with.
    public static let magic = Array("MAIMOKEY".utf8)
    /// A key file's exact length in bytes.
    public static let length = 44

    /// Writes a new random key to `path` with mode 0600; refuses to replace an existing file.
    public static func generate(at path: String) throws(SegmentedError) {
        try write(CipherKey(), to: path)
    }

    /// Writes `key` to a new file at `path` with mode 0600; refuses to replace an existing file.
    public static func write(_ key: CipherKey, to path: String) throws(SegmentedError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw errno == EEXIST ? .keyFileExists(path: path) : .system(.open, path: path, code: errno)
        }
        defer { close(descriptor) }
        var bytes = magic + [1, 0, 0, 0]
        key.withUnsafeBytes { bytes += $0 }
        defer { bytes.zeroize() }
        try SegmentedCiphertext.writeAll(descriptor, bytes)
        guard fsync(descriptor) == 0 else { throw .system(.sync, path: path, code: errno) }
    }

    /// Reads the key at `path`, refusing a file that its group or others may read or write (as
    /// ssh refuses such private keys).
    public static func load(from path: String) throws(SegmentedError) -> CipherKey {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system(.open, path: path, code: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .system(.stat, path: path, code: errno) }
        guard status.st_mode & 0o077 == 0 else {
            throw .keyFileAccessibleToOthers(path: path, mode: UInt32(status.st_mode))
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64)
        defer {
            bytes.zeroize()
            chunk.zeroize()
        }
        while bytes.count <= length {
            let n = try SegmentedCiphertext.readSome(descriptor, &chunk, chunk.count)
            if n == 0 { break }
            bytes += chunk[..<n]
        }
        guard bytes.count == length, Array(bytes[0..<8]) == magic, bytes[8] == 1, bytes[9] == 0 else {
            throw .notAKeyFile(path: path)
        }
        do { return try CipherKey(bytes: bytes[12..<44]) } catch { throw .cipher(error) }
    }
}
#endif
