#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A seekable destination for an encoding: the encoder writes every node once, at its final
/// position, so the output needs random access but is never read back.
public protocol BaoByteSink {
    /// Writes all of `bytes` at `offset`.
    mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(BaoError)
}

/// An in-memory destination that grows as needed.
public struct BaoBufferSink: BaoByteSink, Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ source: UnsafeRawBufferPointer, at offset: UInt64) throws(BaoError) {
        let end = Int(offset) + source.count
        if bytes.count < end { bytes.append(contentsOf: repeatElement(0, count: end - bytes.count)) }
        bytes.withUnsafeMutableBytes { destination in
            if let base = source.baseAddress { (destination.baseAddress! + Int(offset)).copyMemory(from: base, byteCount: source.count) }
        }
    }
}

/// An open file written with `pwrite`; the descriptor stays owned by the caller.
public struct BaoFileSink: BaoByteSink, Sendable {
    public let descriptor: Int32

    public init(descriptor: Int32) { self.descriptor = descriptor }

    public mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(BaoError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .source(String(cString: strerror(errno)))
            }
            done += n
        }
    }
}
