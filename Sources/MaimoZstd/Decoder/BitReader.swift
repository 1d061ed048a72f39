/// Reads a zstd backward bitstream (RFC 8878 §4.1): written forwards, read from its last byte
/// towards its first, whose highest set bit marks where the data begins. The reader keeps 64
/// bits in a register and refills it with one unaligned load; it never reads outside
/// `start..<start+count`. Reading past the end yields zeros or garbage bits but never faults:
/// callers check ``isFinished`` or the ``reload()`` status to reject such streams.
struct BackwardBitReader {
    /// The 64 bits most recently loaded; bits are consumed from the top.
    var container: UInt64
    /// How many of the container's top bits have been consumed (more than 64 means overrun).
    var consumed: Int
    /// Where the container was loaded from.
    var position: UnsafePointer<UInt8>
    let start: UnsafePointer<UInt8>

    enum Status { case unfinished, endOfBuffer, completed, overflow }

    /// Starts reading `count` bytes at `start`; returns nil when the stream is empty or its last
    /// byte is zero (no end marker).
    @inline(__always)
    init?(start: UnsafePointer<UInt8>, count: Int) {
        guard count >= 1, start[count - 1] != 0 else { return nil }
        self.start = start
        if count >= 8 {
            position = start + count - 8
            container = UInt64(littleEndian: UnsafeRawPointer(position).loadUnaligned(as: UInt64.self))
        } else {
            position = start
            var value: UInt64 = 0
            for i in 0..<count { value |= UInt64(start[i]) &<< UInt64(8 * i) }
            container = value
        }
        consumed = container.leadingZeroBitCount + 1
    }

    /// The next `n` bits (0...56 after a reload), without consuming them.
    @inline(__always)
    func peek(_ n: Int) -> UInt64 {
        ((container &<< UInt64(truncatingIfNeeded: consumed)) &>> 1) &>> UInt64(truncatingIfNeeded: 63 - n)
    }

    /// The next `n` bits, consumed.
    @inline(__always)
    mutating func read(_ n: Int) -> UInt64 {
        let value = peek(n)
        consumed &+= n
        return value
    }

    /// Refills the container so that at least 57 bits are available while the stream lasts.
    @inline(__always)
    @discardableResult
    mutating func reload() -> Status {
        if consumed > 64 { return .overflow }
        if position >= start + 8 {
            position -= consumed &>> 3
            consumed &= 7
            container = UInt64(littleEndian: UnsafeRawPointer(position).loadUnaligned(as: UInt64.self))
            return .unfinished
        }
        if position == start { return consumed < 64 ? .endOfBuffer : .completed }
        var bytes = consumed &>> 3
        var status = Status.unfinished
        if position - bytes < start {
            bytes = position - start
            status = .endOfBuffer
        }
        position -= bytes
        consumed -= bytes * 8
        container = UInt64(littleEndian: UnsafeRawPointer(position).loadUnaligned(as: UInt64.self))
        return status
    }

    /// Refills without checks: the caller knows that at least `consumed / 8` bytes remain before
    /// `position` (and that no more than 64 bits were consumed).
    @inline(__always)
    mutating func reloadFast() {
        position -= consumed &>> 3
        consumed &= 7
        container = UInt64(littleEndian: UnsafeRawPointer(position).loadUnaligned(as: UInt64.self))
    }

    /// Takes back the state of a marker-bit loop (see `Huffman.decodeFourStreams`): the
    /// container was loaded at `position`, and the marker's trailing zeros count the bits used.
    @inline(__always)
    mutating func resume(at position: UnsafePointer<UInt8>, bits: UInt64) {
        self.position = position
        container = UInt64(littleEndian: UnsafeRawPointer(position).loadUnaligned(as: UInt64.self))
        consumed = bits.trailingZeroBitCount
    }

    /// True when every bit of the stream has been consumed, exactly.
    var isFinished: Bool { position == start && consumed == 64 }
}

/// Reads bits forwards, least significant first (the FSE table descriptions of RFC 8878 §4.1.1).
/// Bits beyond the end read as zero; ``overrun`` tells whether that happened.
struct ForwardBitReader {
    let bytes: UnsafeRawBufferPointer
    /// Bits consumed so far, from the first byte.
    var bitPosition = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// The next 32 bits (zeros past the end), not consumed.
    func peek32() -> UInt32 {
        let byte = bitPosition >> 3
        var value: UInt64 = 0
        for i in 0..<5 where byte + i < bytes.count {
            value |= UInt64(bytes[byte + i]) << UInt64(8 * i)
        }
        return UInt32(truncatingIfNeeded: value >> UInt64(bitPosition & 7))
    }

    mutating func skip(_ bits: Int) { bitPosition += bits }

    var overrun: Bool { bitPosition > bytes.count * 8 }
    /// Whole bytes consumed, counting a partly used last byte.
    var bytesConsumed: Int { (bitPosition + 7) >> 3 }
}
