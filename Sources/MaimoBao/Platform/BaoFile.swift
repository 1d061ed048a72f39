// Platform layer: a file opened by path that Bao reads and writes at offsets (`pread`,
// `pwrite`), owned and closed by this object. Not part of the Embedded Swift core.
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

/// A file opened by path, read and written at offsets: a source for ``BaoDecoder`` and slices
/// (a combined encoding, an outboard tree, or the content beside it) and a sink for
/// ``BaoEncoder``. The descriptor is the object's own and is closed when the object goes.
///
/// ```swift
/// var encoder = BaoEncoder(contentLength: size, sink: try BaoFile(path: "a.bao", mode: .create))
/// let decoder = BaoDecoder(combined: try BaoFile(path: "a.bao"), hash: root)
/// ```
public final class BaoFile: BaoByteSource, BaoByteSink, @unchecked Sendable {
    /// How the file is opened.
    public enum Mode: Sendable {
        /// Read only; the file must exist.
        case read
        /// Write only, created (mode 0644 before the umask) or emptied first.
        case create
        /// Read and write an existing file.
        case update
    }

    // Set once in init; `pread` and `pwrite` are safe to call from several threads.
    private let descriptor: Int32
    /// The path it was opened with.
    public let path: String

    /// Opens `path`.
    /// - Throws: ``BaoError/system(_:offset:code:)`` with ``BaoError/Operation/open``.
    public init(path: String, mode: Mode = .read) throws(BaoError) {
        let flags: Int32 = switch mode {
        case .read: O_RDONLY
        case .create: O_WRONLY | O_CREAT | O_TRUNC
        case .update: O_RDWR
        }
        let descriptor = open(path, flags | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .system(.open, offset: 0, code: errno) }
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// The file's length in bytes now.
    /// - Throws: ``BaoError/system(_:offset:code:)`` when the system cannot say.
    public func length() throws(BaoError) -> UInt64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .system(.read, offset: 0, code: errno) }
        return UInt64(info.st_size)
    }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file.
    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        try BaoFileSource(descriptor: descriptor).read(at: offset, into: buffer)
    }

    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(BaoError) {
        var sink = BaoFileSink(descriptor: descriptor)
        try sink.write(bytes, at: offset)
    }
}
#endif
