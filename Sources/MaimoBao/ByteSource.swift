#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random-access bytes a Bao decoder or slicer reads: a buffer, a file, later a network stream.
public protocol BaoByteSource {
    /// Reads up to `buffer.count` bytes at `offset`; returns how many were read, 0 at the end.
    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int
}

extension BaoByteSource {
    /// Reads exactly `buffer.count` bytes at `offset`.
    /// - Throws: ``BaoError/truncated(offset:needed:)`` when the source ends first.
    func readExactly(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) {
        var done = 0
        while done < buffer.count {
            let n = try read(at: offset + UInt64(done), into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            if n == 0 { throw .truncated(offset: offset + UInt64(done), needed: buffer.count - done) }
            done += n
        }
    }
}

extension BaoByteSource {
    /// Exactly `count` bytes at `offset`, as an array.
    /// - Throws: ``BaoError/truncated(offset:needed:)`` when the source ends first.
    public func readBytes(at offset: UInt64, count: Int) throws(BaoError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var failure: BaoError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(BaoError) { try readExactly(at: offset, into: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        return bytes
    }
}

/// `body` over the bytes of `array`, keeping `BaoError` as the thrown type (the standard
/// library's `withUnsafeBytes` rethrows as `any Error`).
func withBytes<R>(of array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(BaoError) -> R) throws(BaoError) -> R {
    let result: Result<R, BaoError> = array.withUnsafeBytes { buffer in
        Result { () throws(BaoError) in try body(buffer) }
    }
    return try result.get()
}

/// Bytes in memory.
public struct BaoBufferSource: BaoByteSource, Sendable {
    public let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        guard offset < UInt64(bytes.count) else { return 0 }
        let start = Int(offset)
        let n = min(buffer.count, bytes.count - start)
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: n)
        }
        return n
    }
}

/// An open file read with `pread`; the descriptor stays owned by the caller.
public struct BaoFileSource: BaoByteSource, Sendable {
    public let descriptor: Int32

    public init(descriptor: Int32) { self.descriptor = descriptor }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        while true {
            let n = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            if n >= 0 { return n }
            if errno != EINTR { throw .source(String(cString: strerror(errno))) }
        }
    }
}

/// A file mapped into memory once and read with plain copies: the fastest source for a provider
/// answering many slice requests from the same encoding. The mapping lives as long as this object.
public final class BaoMappedFileSource: BaoByteSource, @unchecked Sendable {
    // Immutable after init and read-only mapped: safe to share between threads.
    private let base: UnsafeRawPointer?
    public let count: Int

    /// Maps the file open as `descriptor` (which may be closed afterwards).
    public init(descriptor: Int32) throws(BaoError) {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .source(String(cString: strerror(errno))) }
        count = Int(info.st_size)
        guard count > 0 else {
            base = nil
            return
        }
        guard let mapping = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0), mapping != MAP_FAILED else {
            throw .source(String(cString: strerror(errno)))
        }
        base = UnsafeRawPointer(mapping)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        guard let base, offset < UInt64(count) else { return 0 }
        let n = min(buffer.count, count - Int(offset))
        buffer.baseAddress!.copyMemory(from: base + Int(offset), byteCount: n)
        return n
    }
}
