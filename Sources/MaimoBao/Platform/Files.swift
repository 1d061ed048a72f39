// Platform layer: Bao over the operating system's files and streams (`pread`, `pwrite`,
// `mmap`, `read`). Not part of the Embedded Swift core; WASI has no `mmap`.
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
import MaimoBlake3


// Descriptor-based sources and sinks are package-internal: the CLI streams standard input and
// output through them. Importers use ``BaoFile`` and paths, and never hold a raw descriptor.

/// A source read front to back (a pipe, a socket, standard input): reading at an offset ahead
/// skips to it, reading behind it is an error. Encodings and slices are verified in order, so
/// whole-file decoding and slice decoding work from a stream.
package final class BaoForwardSource: BaoByteSource {
    let descriptor: Int32
    private(set) var position: UInt64 = 0

    /// A source reading `descriptor` from its current position; the descriptor stays the caller's.
    package init(descriptor: Int32) { self.descriptor = descriptor }

    package func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        guard offset >= position else {
            throw .notSeekable(position: position, requested: offset)
        }
        var skip = [UInt8](repeating: 0, count: 64 * 1024)
        while position < offset {
            let want = Int(min(UInt64(skip.count), offset - position))
            let n = try withMutableBytes(of: &skip) { bytes throws(BaoError) in
                try readSome(UnsafeMutableRawBufferPointer(rebasing: bytes[..<want]))
            }
            if n == 0 { return 0 }
        }
        return try readSome(buffer)
    }

    private func readSome(_ buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        while true {
            let n = systemRead(descriptor, buffer.baseAddress, buffer.count)
            if n >= 0 {
                position += UInt64(n)
                return n
            }
            if errno != EINTR { throw .system(.read, offset: position, code: errno) }
        }
    }
}

/// An open file written with `pwrite`; the descriptor stays owned by the caller.
package struct BaoFileSink: BaoByteSink, Sendable {
    /// The open file written to.
    package let descriptor: Int32

    /// A sink writing to `descriptor`, which stays open and the caller's.
    package init(descriptor: Int32) { self.descriptor = descriptor }

    package mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(BaoError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(.write, offset: offset + UInt64(done), code: errno)
            }
            done += n
        }
    }
}

/// An open file read with `pread`; the descriptor stays owned by the caller.
package struct BaoFileSource: BaoByteSource, Sendable {
    /// The open file read from.
    package let descriptor: Int32

    /// A source reading `descriptor`, which stays open and the caller's.
    package init(descriptor: Int32) { self.descriptor = descriptor }

    package func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        while true {
            let n = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw .system(.read, offset: offset, code: errno) }
        }
    }
}

#if !os(WASI)
/// A file mapped into memory once and read with plain copies: the fastest source for a provider
/// answering many slice requests from the same encoding. The mapping lives as long as this object.
public final class BaoMappedFileSource: BaoByteSource, @unchecked Sendable {
    // Immutable after init and read-only mapped: safe to share between threads.
    private let base: UnsafeRawPointer?
    /// The file's length in bytes when it was mapped.
    public let count: Int

    /// Maps the file at `path` (the mapping outlives the descriptor, which is closed at once).
    /// - Throws: ``BaoError/system(_:offset:code:)`` when it cannot be opened or mapped.
    public convenience init(path: String) throws(BaoError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system(.open, offset: 0, code: errno) }
        defer { close(descriptor) }
        try self.init(descriptor: descriptor)
    }

    /// Maps the file open as `descriptor` (which may be closed afterwards).
    package init(descriptor: Int32) throws(BaoError) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .system(.map, offset: 0, code: errno) }
        count = Int(info.st_size)
        guard count > 0 else {
            base = nil
            return
        }
        guard let mapping = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0), mapping != MAP_FAILED else {
            throw .system(.map, offset: 0, code: errno)
        }
        base = UnsafeRawPointer(mapping)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        guard let base, offset < UInt64(count), let destination = buffer.baseAddress else { return 0 }
        let n = min(buffer.count, count - Int(offset))
        destination.copyMemory(from: base + Int(offset), byteCount: n)
        return n
    }
}
#endif

extension Bao {
    /// Encodes the file at `input` into a new file at `output` (replaced if it exists), in
    /// bounded memory; returns the root hash.
    /// - Parameters:
    ///   - input: the content.
    ///   - output: where the combined encoding (or, with `outboard`, the tree alone) goes.
    ///   - outboard: write the outboard tree instead of the combined encoding.
    /// - Throws: ``BaoError/system(_:offset:code:)`` when a file cannot be opened, read or
    ///   written; ``BaoError/lengthMismatch(expected:received:)`` when the input shrank meanwhile.
    public static func encode(fileAtPath input: String, to output: String, outboard: Bool = false) throws(BaoError) -> Blake3.Digest {
        let source = try BaoFile(path: input)
        let sink = try BaoFile(path: output, mode: .create)
        return try encode(from: source, length: try source.length(), to: sink, outboard: outboard)
    }

    /// Encodes `length` bytes read front to back from `input` into `output` (a seekable file),
    /// in bounded memory; returns the root hash. The descriptors stay the caller's.
    package static func encode(
        from input: Int32, length: UInt64, to output: Int32, outboard: Bool = false
    ) throws(BaoError) -> Blake3.Digest {
        try encode(from: BaoForwardSource(descriptor: input), length: length, to: BaoFileSink(descriptor: output), outboard: outboard)
    }

    static func encode<Source: BaoByteSource, Sink: BaoByteSink>(
        from source: Source, length: UInt64, to sink: Sink, outboard: Bool
    ) throws(BaoError) -> Blake3.Digest {
        var encoder = BaoEncoder(contentLength: length, outboard: outboard, sink: sink)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var done: UInt64 = 0
        while done < length {
            let want = Int(min(UInt64(buffer.count), length - done))
            let n = try withMutableBytes(of: &buffer) { bytes throws(BaoError) in
                try source.read(at: done, into: UnsafeMutableRawBufferPointer(rebasing: bytes[..<want]))
            }
            if n == 0 { throw .lengthMismatch(expected: length, received: done) }
            try withBytes(of: buffer) { bytes throws(BaoError) in try encoder.update(UnsafeRawBufferPointer(rebasing: bytes[..<n])) }
            done += UInt64(n)
        }
        return try encoder.finalize()
    }

    /// Writes up to `count` verified bytes from `decoder` into `sink` from offset 0 (a
    /// ``BaoFile`` made with `mode: .create`, say); returns how many. On a failure everything
    /// written before it was verified.
    @discardableResult
    public static func decode<Tree, Data, Sink: BaoByteSink>(
        _ decoder: inout BaoDecoder<Tree, Data>, to sink: inout Sink, count: UInt64 = .max
    ) throws(BaoError) -> UInt64 {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var written: UInt64 = 0
        while written < count {
            let want = Int(min(UInt64(buffer.count), count - written))
            let n = try withMutableBytes(of: &buffer) { bytes throws(BaoError) in
                try decoder.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[..<want]))
            }
            if n == 0 { break }
            try withBytes(of: buffer) { bytes throws(BaoError) in try sink.write(UnsafeRawBufferPointer(rebasing: bytes[..<n]), at: written) }
            written += UInt64(n)
        }
        return written
    }

    /// Writes up to `count` verified bytes from `decoder` to `output` (a pipe or file, written
    /// in order); returns how many. On a failure everything written before it was verified.
    @discardableResult
    package static func decode<Tree, Data>(
        _ decoder: inout BaoDecoder<Tree, Data>, to output: Int32, count: UInt64 = .max
    ) throws(BaoError) -> UInt64 {
        var sink = BaoStreamSink(descriptor: output)
        return try decode(&decoder, to: &sink, count: count)
    }
}

/// A sink written in order with `write` (a pipe, standard output): each write must start where
/// the last ended. Errors name the offset in the stream.
struct BaoStreamSink: BaoByteSink {
    let descriptor: Int32

    mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(BaoError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = systemWrite(descriptor, base + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .system(.write, offset: offset + UInt64(done), code: errno)
            }
            done += n
        }
    }
}

#if canImport(Glibc)
let systemRead = Glibc.read
let systemWrite = Glibc.write
#elseif canImport(Musl)
let systemRead = Musl.read
let systemWrite = Musl.write
#elseif canImport(Darwin)
let systemRead = Darwin.read
let systemWrite = Darwin.write
#elseif canImport(WASILibc)
let systemRead = WASILibc.read
let systemWrite = WASILibc.write
#endif
#endif
