import ArgumentParser
import MaimoBao
import MaimoBlake3
#if canImport(Glibc)
import Glibc
#endif

/// File handling shared by the subcommands that read and write files (`bao`, `encrypt`, `decrypt`): `-` and absent paths mean the standard
/// streams, errors become one line on standard error and exit status 1.
package struct CLIFile {
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
        package init(description: String) { self.description = description }
    }

    /// The processors online: the default thread count of the commands that use several.
    package static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    package let descriptor: Int32
    package let path: String
    package let owned: Bool

    /// Runs `body`; any error becomes one line `PREFIX: error` on standard error and exit status 1.
    package static func run(prefix: String = "maimo bao", _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            Console.error("\(prefix): \(error)")
            throw ExitCode.failure
        }
    }

    /// `run` with the input opened (standard input for none or `-`) and the output created
    /// (standard output for none or `-`), both closed afterwards.
    package static func run(input: String?, output: String?, _ body: (CLIFile, CLIFile) throws -> Void) throws {
        try run { try withFiles(input: input, output: output, body) }
    }

    /// The input opened and the output created as `run(input:output:_:)` does, errors thrown.
    package static func withFiles(input: String?, output: String?, _ body: (CLIFile, CLIFile) throws -> Void) throws {
        let source = try open(input)
        defer { source.close() }
        let destination = try create(output, requireFile: false)
        defer { destination.close() }
        try body(source, destination)
    }

    package static func open(_ path: String?) throws -> CLIFile {
        guard let path, path != "-" else { return CLIFile(descriptor: 0, path: "-", owned: false) }
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: "\(path): \(String(cString: strerror(errno)))") }
        return CLIFile(descriptor: descriptor, path: path, owned: true)
    }

    package static func create(_ path: String?, requireFile: Bool) throws -> CLIFile {
        guard let path, path != "-" else {
            if requireFile { throw Failure(description: "output must be a real file") }
            return CLIFile(descriptor: 1, path: "-", owned: false)
        }
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(description: "\(path): \(String(cString: strerror(errno)))") }
        return CLIFile(descriptor: descriptor, path: path, owned: true)
    }

    package func close() {
        if owned { _ = Glibc.close(descriptor) }
    }

    package var isRegularFile: Bool {
        var info = stat()
        return fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// A random-access source for a regular file, a forward-only one for streams.
    package func source(seekable: Bool) throws -> any BaoByteSource {
        if isRegularFile { return BaoFileSource(descriptor: descriptor) }
        if seekable { throw Failure(description: "\(path == "-" ? "standard input" : path) must be a real file here") }
        return BaoForwardSource(descriptor: descriptor)
    }

    /// The descriptor and content length; a stream is first copied to an unlinked temporary file,
    /// because the encoder must know the length before it writes the first node.
    package func withKnownLength() throws -> (Int32, UInt64) {
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

    package static func write(_ bytes: [UInt8], to descriptor: Int32) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw Failure(description: "write failed: \(String(cString: strerror(errno)))") }
            done += n
        }
    }

    package func write(_ bytes: [UInt8], to descriptor: Int32) throws { try Self.write(bytes, to: descriptor) }

    /// The whole file at `path`.
    package static func readAll(_ path: String) throws -> [UInt8] {
        let file = try open(path)
        defer { file.close() }
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(file.descriptor, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw Failure(description: "\(path): \(String(cString: strerror(errno)))") }
            if n == 0 { return bytes }
            bytes += buffer[..<n]
        }
    }

    /// Runs `body` on a temporary file beside `path`, then fsyncs it (unless `sync` is false) and
    /// renames it to `path`; on any error the temporary file is removed and `path` is left as it was.
    /// - Parameter mode: the permissions of the result (`nil`: 0600 from mkstemp).
    package static func writeAtomically<R>(to path: String, mode: mode_t? = nil, sync: Bool = true, _ body: (Int32) throws -> R) throws -> R {
        var template = Array((path + ".maimo-XXXXXX").utf8CString)
        let temporary = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard temporary >= 0 else {
            throw Failure(description: "\(path): cannot create a temporary file: \(String(cString: strerror(errno)))")
        }
        let temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var renamed = false
        defer {
            Glibc.close(temporary)
            if !renamed { unlink(temporaryPath) }
        }
        let result = try body(temporary)
        if let mode { fchmod(temporary, mode) }
        guard !sync || fsync(temporary) == 0, rename(temporaryPath, path) == 0 else {
            throw Failure(description: "\(path): \(String(cString: strerror(errno)))")
        }
        renamed = true
        return result
    }

    package static func parseHash(_ hex: String) throws -> Blake3.Digest {
        do { return try Blake3.Digest(hex: hex) } catch { throw Failure(description: "invalid hash: \(error)") }
    }

    /// The BLAKE3 hash of a file (mapped and multi-threaded) or of standard input.
    package static func hash(_ path: String?) throws -> Blake3.Digest {
        var hasher = Blake3(threadCount: max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
        if let path, path != "-" {
            try hasher.update(contentsOfFileAtPath: path)
        } else {
            try hasher.update(fileDescriptor: 0)
        }
        return hasher.finalize()
    }
}
