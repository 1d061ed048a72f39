/// Writing literals as Huffman-coded backward streams (RFC 8878 §4.2.2): one stream, or four
/// with a jump table.
extension HuffmanEncodingTable {
    /// Encodes `count` literals as one backward stream; returns its size (nil if it overflows).
    func encodeStream(_ literals: UnsafePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<UInt8>, capacity: Int) -> Int? {
        var writer = BitWriter(output, capacity: capacity)
        elements.withUnsafeBufferPointer { elements in
            var i = count
            // Symbols are written last to first so that the decoder meets the first one first.
            while i >= 4 {
                for _ in 0..<4 {
                    i -= 1
                    let element = elements[Int(literals[i])]
                    writer.addClean(UInt64(element & 0xFFFF), Int(element >> 16))
                }
                writer.flush()
            }
            while i > 0 {
                i -= 1
                let element = elements[Int(literals[i])]
                writer.addClean(UInt64(element & 0xFFFF), Int(element >> 16))
            }
        }
        return writer.closeBackward()
    }

    /// Encodes `count` literals (at least 16) as the four-stream layout with its jump table. The
    /// streams are coded two side by side, each into its own scratch area with its own bit
    /// container (two independent chains of shifts keep the core busy), then put in place.
    func encodeFourStreams(_ literals: UnsafePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<UInt8>, capacity: Int) -> Int? {
        guard capacity > 6 + 4 * 8, count >= 16 else { return nil }
        let segment = (count + 3) / 4
        let lastCount = count - 3 * segment
        // Room for a whole stream at the longest code, the end marker and a last 8-byte store.
        let room = (segment * max(1, tableLog) + 7) / 8 + 16
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4 * room) { scratch -> Int? in
            let base = scratch.baseAddress!
            var sizes = (0, 0, 0, 0)
            elements.withUnsafeBufferPointer { table in
                let elements = table.baseAddress!
                // Two streams at a time: four would not fit the registers.
                let pair01 = Self.encodePair(literals, literals + segment, segment, segment, elements, base, base + room)
                let pair23 = Self.encodePair(literals + 2 * segment, literals + 3 * segment, segment, lastCount, elements,
                                             base + 2 * room, base + 3 * room)
                sizes = (pair01.0, pair01.1, pair23.0, pair23.1)
            }
            let streamSizes = [sizes.0, sizes.1, sizes.2, sizes.3]
            let total = 6 + streamSizes.reduce(0, +)
            guard total <= capacity, streamSizes[0...2].allSatisfy({ $0 <= 0xFFFF }) else { return nil }
            var written = 6
            for k in 0..<4 {
                if k < 3 {
                    output[2 * k] = UInt8(streamSizes[k] & 0xFF)
                    output[2 * k + 1] = UInt8(streamSizes[k] >> 8)
                }
                (output + written).update(from: base + k * room, count: streamSizes[k])
                written += streamSizes[k]
            }
            return written
        }
    }
}

extension HuffmanEncodingTable {
    /// Codes two streams side by side, `count0` and `count1` symbols (`count1` at most
    /// `count0`, by at most 3), each from its last symbol to its first; returns their sizes.
    @inline(__always)
    fileprivate static func encodePair(
        _ s0: UnsafePointer<UInt8>, _ s1: UnsafePointer<UInt8>, _ count0: Int, _ count1: Int, _ elements: UnsafePointer<UInt32>,
        _ out0: UnsafeMutablePointer<UInt8>, _ out1: UnsafeMutablePointer<UInt8>
    ) -> (Int, Int) {
        var w0 = StreamWriter(out0), w1 = StreamWriter(out1)
        // The first stream's symbols beyond the second's length, written first.
        var i = count0
        while i > count1 { i -= 1; w0.add(elements[Int(s0[i])]) }
        w0.flush()
        while i >= 4 {
            for _ in 0..<4 {
                i -= 1
                w0.add(elements[Int(s0[i])]); w1.add(elements[Int(s1[i])])
            }
            w0.flush(); w1.flush()
        }
        while i > 0 {
            i -= 1
            w0.add(elements[Int(s0[i])]); w1.add(elements[Int(s1[i])])
        }
        return (w0.close(from: out0), w1.close(from: out1))
    }
}

/// A bit writer for one Huffman stream in a scratch area sized for its worst case: no bounds
/// to check, three values to keep in registers.
private struct StreamWriter {
    var cursor: UnsafeMutablePointer<UInt8>
    var container: UInt64 = 0
    var count = 0

    init(_ start: UnsafeMutablePointer<UInt8>) { cursor = start }

    /// Appends a code (`element`: code in the low 16 bits, length above); at most 4 codes of up
    /// to 12 bits between flushes.
    @inline(__always)
    mutating func add(_ element: UInt32) {
        container |= UInt64(element & 0xFFFF) &<< UInt64(count)
        count &+= Int(element &>> 16)
    }

    @inline(__always)
    mutating func flush() {
        UnsafeMutableRawPointer(cursor).storeBytes(of: container.littleEndian, as: UInt64.self)
        let bytes = count &>> 3
        cursor += bytes
        container = container &>> UInt64(bytes &* 8)
        count &= 7
    }

    /// Adds the end marker, writes what is left and returns the stream's size.
    mutating func close(from start: UnsafeMutablePointer<UInt8>) -> Int {
        container |= 1 &<< UInt64(count)
        count += 1
        flush()
        if count > 0 { cursor.pointee = UInt8(truncatingIfNeeded: container); cursor += 1 }
        return cursor - start
    }
}
