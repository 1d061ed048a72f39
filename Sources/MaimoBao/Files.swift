#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MaimoBlake3

/// A source read front to back (a pipe, a socket, standard input): reading at an offset ahead
/// skips to it, reading behind it is an error. Encodings and slices are verified in order, so
/// whole-file decoding and slice decoding work from a stream.
public final class BaoForwardSource: BaoByteSource {
    let descriptor: Int32
    private(set) var position: UInt64 = 0

    public init(descriptor: Int32) { self.descriptor = descriptor }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        guard offset >= position else {
            throw .source("cannot seek backwards in a stream (at \(position), asked for \(offset)); use a file")
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
            if errno != EINTR { throw .source(String(cString: strerror(errno))) }
        }
    }
}

extension Bao {
    /// Encodes `length` bytes read front to back from `input` into `output` (a seekable file),
    /// in bounded memory; returns the root hash.
    public static func encode(
        from input: Int32, length: UInt64, to output: Int32, outboard: Bool = false
    ) throws(BaoError) -> Blake3.Digest {
        var encoder = BaoEncoder(contentLength: length, outboard: outboard, sink: BaoFileSink(descriptor: output))
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        let source = BaoForwardSource(descriptor: input)
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

    /// Writes up to `count` verified bytes from `decoder` to `output`; returns how many. On a
    /// failure everything written before it was verified.
    @discardableResult
    public static func decode<Tree>(
        _ decoder: inout BaoDecoder<Tree>, to output: Int32, count: UInt64 = .max
    ) throws(BaoError) -> UInt64 {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var written: UInt64 = 0
        while written < count {
            let want = Int(min(UInt64(buffer.count), count - written))
            let n = try withMutableBytes(of: &buffer) { bytes throws(BaoError) in
                try decoder.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[..<want]))
            }
            if n == 0 { break }
            try writeAll(output, buffer, count: n)
            written += UInt64(n)
        }
        return written
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], count: Int) throws(BaoError) {
        var done = 0
        while done < count {
            let n = bytes.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress! + done, count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .source(String(cString: strerror(errno)))
            }
            done += n
        }
    }
}

#if canImport(Glibc)
let systemRead = Glibc.read
let systemWrite = Glibc.write
#else
let systemRead = Darwin.read
let systemWrite = Darwin.write
#endif

/// `body` over the mutable bytes of `array`, keeping `BaoError` as the thrown type.
func withMutableBytes<R>(
    of array: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(BaoError) -> R
) throws(BaoError) -> R {
    let result: Result<R, BaoError> = array.withUnsafeMutableBytes { buffer in
        Result { () throws(BaoError) in try body(buffer) }
    }
    return try result.get()
}
