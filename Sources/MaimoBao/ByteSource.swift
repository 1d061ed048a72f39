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
    /// The bytes read.
    public let bytes: [UInt8]

    /// A source reading `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        guard offset < UInt64(bytes.count), !buffer.isEmpty else { return 0 }
        let start = Int(offset)
        let n = min(buffer.count, bytes.count - start)
        bytes.withUnsafeBytes { source in
            buffer.baseAddress!.copyMemory(from: source.baseAddress! + start, byteCount: n)
        }
        return n
    }
}

/// `body` over the mutable bytes of `array`, keeping `BaoError` as the thrown type.
func withMutableBytes<R>(
    of array: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(BaoError) -> R
) throws(BaoError) -> R {
    let result: Result<R, BaoError> = array.withUnsafeMutableBytes { buffer in
        Result { () throws(BaoError) in try body(buffer) }
    }
    return try result.get()
}
