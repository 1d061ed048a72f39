/// A seekable destination for an encoding: the encoder writes every node once, at its final
/// position, so the output needs random access but is never read back.
public protocol BaoByteSink {
    /// Writes all of `bytes` at `offset`.
    mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(BaoError)

    /// Lets `body` fill `count` bytes at `offset` in place. The default fills a temporary buffer
    /// and writes it; sinks backed by memory hand out their own bytes and save the copy.
    mutating func fill(at offset: UInt64, count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) throws(BaoError)
}

extension BaoByteSink {
    public mutating func fill(at offset: UInt64, count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) throws(BaoError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        defer { buffer.deallocate() }
        body(buffer)
        try write(UnsafeRawBufferPointer(buffer), at: offset)
    }
}

/// Memory the caller owns and sized for the whole encoding (see `Bao.encodedSize`): nodes are
/// written straight into it.
public struct BaoMemorySink: BaoByteSink {
    /// The caller's memory the encoding is written into.
    public let destination: UnsafeMutableRawBufferPointer

    /// A sink over `destination`, which must outlive it and hold the whole encoding.
    public init(_ destination: UnsafeMutableRawBufferPointer) { self.destination = destination }

    public mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(BaoError) {
        guard offset <= UInt64(destination.count), bytes.count <= destination.count - Int(offset) else {
            throw .outOfBounds(offset: offset, count: bytes.count, capacity: destination.count)
        }
        if let base = bytes.baseAddress, let target = destination.baseAddress {
            (target + Int(offset)).copyMemory(from: base, byteCount: bytes.count)
        }
    }

    public mutating func fill(at offset: UInt64, count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) throws(BaoError) {
        guard offset <= UInt64(destination.count), count <= destination.count - Int(offset) else {
            throw .outOfBounds(offset: offset, count: count, capacity: destination.count)
        }
        body(UnsafeMutableRawBufferPointer(rebasing: destination[Int(offset)..<(Int(offset) + count)]))
    }
}

/// An in-memory destination that grows as needed.
public struct BaoBufferSink: BaoByteSink, Sendable {
    /// Everything written so far, gaps filled with zeros.
    public private(set) var bytes: [UInt8]

    /// An empty sink.
    /// - Parameter capacity: bytes to reserve up front (the encoded size, if known).
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
