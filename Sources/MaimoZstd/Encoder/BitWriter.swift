/// Writes a bitstream least significant bit first into a buffer: the form every zstd stream
/// takes on the wire (RFC 8878 §4.1). Backward streams are written forwards and closed with a
/// marker bit, so that the decoder, reading from the end, meets the last-written bits first.
///
/// The buffer needs 8 bytes of slack past `capacity`: a flush stores a whole 64-bit word.
/// Writing past `capacity` sets ``overflowed`` instead of writing out of bounds.
struct BitWriter {
    let start: UnsafeMutablePointer<UInt8>
    let limit: UnsafeMutablePointer<UInt8>
    var cursor: UnsafeMutablePointer<UInt8>
    var container: UInt64 = 0
    var count = 0
    var overflowed = false

    init(_ start: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.start = start
        cursor = start
        limit = start + capacity
    }

    /// Appends the low `bits` bits of `value` (at most 64 minus what is pending: flush often; a
    /// flush after a full 64 bits writes them all).
    @inline(__always)
    mutating func add(_ value: UInt64, _ bits: Int) {
        container |= (value & ((1 &<< UInt64(bits)) &- 1)) &<< UInt64(count)
        count &+= bits
    }

    /// Appends bits known to be clean above `bits`.
    @inline(__always)
    mutating func addClean(_ value: UInt64, _ bits: Int) {
        container |= value &<< UInt64(count)
        count &+= bits
    }

    /// Moves whole bytes to the buffer.
    @inline(__always)
    mutating func flush() {
        let bytes = count &>> 3
        if cursor + bytes > limit {
            overflowed = true
            cursor = start
        }
        UnsafeMutableRawPointer(cursor).storeBytes(of: container.littleEndian, as: UInt64.self)
        cursor += bytes
        container = bytes == 8 ? 0 : container &>> UInt64(bytes &* 8)
        count &= 7
    }

    /// Adds the end marker of a backward stream and returns the stream's size (nil on overflow).
    mutating func closeBackward() -> Int? {
        add(1, 1)
        return finish()
    }

    /// Flushes the last partial byte and returns the size written (nil on overflow).
    mutating func finish() -> Int? {
        flush()
        if count > 0 {
            if cursor + 1 > limit { return nil }
            cursor.pointee = UInt8(truncatingIfNeeded: container)
            cursor += 1
            count = 0
        }
        return overflowed ? nil : cursor - start
    }
}
