/// Huffman literal decoding (RFC 8878 §4.2): the tree description, the decoding table and the
/// one- and four-stream bitstreams.
///
/// The table has `1 << tableLog` entries of `symbol << 8 | bitCount`, indexed by the next
/// `tableLog` bits of the stream.
enum Huffman {
    /// The longest code a decoder accepts: 12 bits, as the reference decoder does (dictionaries
    /// made by its trainer can hold 12-bit tables; RFC 8878 names 11 as the encoders' limit).
    static let maxTableLog = 12
    /// The longest code the fast loops take five symbols per reload for (5 × 11 ≤ 56 bits); a
    /// 12-bit table decodes through the checked path.
    static let fastTableLog = 11
    static let tableCapacity = 1 << maxTableLog

    /// Reads a Huffman tree description and builds its decoding table into `table`.
    /// Returns the table log and the bytes the description took.
    static func readTree(
        _ source: UnsafeRawBufferPointer, into table: UnsafeMutablePointer<UInt16>, offset: UInt64,
        weightsOut: UnsafeMutablePointer<[UInt8]>? = nil
    ) throws(ZstdError) -> (tableLog: Int, byteCount: Int) {
        guard source.count >= 1 else { throw .corrupt(offset: offset, reason: "Huffman tree description is missing") }
        let header = Int(source[0])
        return try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { (buffer) throws(ZstdError) in
            let weights = buffer.baseAddress!
            var weightCount: Int
            let used: Int
            if header >= 128 {
                weightCount = header - 127
                used = 1 + (weightCount + 1) / 2
                guard used <= source.count else {
                    throw .corrupt(offset: offset, reason: "Huffman weights run past the literals section")
                }
                for i in 0..<weightCount {
                    let byte = source[1 + i / 2]
                    weights[i] = i & 1 == 0 ? byte >> 4 : byte & 0xF
                }
            } else {
                used = 1 + header
                guard header > 0, used <= source.count else {
                    throw .corrupt(offset: offset, reason: "FSE-compressed Huffman weights run past the literals section")
                }
                weightCount = try readCompressedWeights(
                    UnsafeRawBufferPointer(rebasing: source[1..<used]), into: weights, offset: offset + 1)
            }
            let tableLog = try buildTable(weights: weights, count: weightCount, into: table, offset: offset)
            weightsOut?.pointee = Array(UnsafeBufferPointer(start: weights, count: weightCount + 1))
            return (tableLog, used)
        }
    }

    /// Decodes FSE-compressed weights (two interleaved states, accuracy log at most 6).
    static func readCompressedWeights(
        _ source: UnsafeRawBufferPointer, into weights: UnsafeMutablePointer<UInt8>, offset: UInt64
    ) throws(ZstdError) -> Int {
        try withUnsafeTemporaryAllocation(of: Int16.self, capacity: 256) { (counts) throws(ZstdError) -> Int in
            try withUnsafeTemporaryAllocation(of: FSECell.self, capacity: 64) { (cells) throws(ZstdError) -> Int in
                let description = try FSE.readCounts(
                    source, maxSymbol: 255, maxAccuracyLog: 6, into: counts.baseAddress!, offset: offset)
                try FSE.buildTable(
                    counts: counts.baseAddress!, symbolCount: description.symbolCount,
                    accuracyLog: description.accuracyLog, into: cells.baseAddress!, offset: offset)
                let streamStart = source.baseAddress!.assumingMemoryBound(to: UInt8.self) + description.byteCount
                guard var reader = BackwardBitReader(start: streamStart, count: source.count - description.byteCount) else {
                    throw .corrupt(offset: offset, reason: "Huffman weight bitstream has no end marker")
                }
                let log = description.accuracyLog
                var state1 = Int(reader.read(log))
                var state2 = Int(reader.read(log))
                reader.reload()
                var count = 0
                let table = cells.baseAddress!
                while true {
                    guard count <= 253 else { throw .corrupt(offset: offset, reason: "too many Huffman weights") }
                    var cell = table[state1]
                    weights[count] = cell.symbol
                    count += 1
                    state1 = Int(cell.nextState) + Int(reader.read(Int(cell.stateBits)))
                    if reader.reload() == .overflow {
                        weights[count] = table[state2].symbol
                        count += 1
                        break
                    }
                    cell = table[state2]
                    weights[count] = cell.symbol
                    count += 1
                    state2 = Int(cell.nextState) + Int(reader.read(Int(cell.stateBits)))
                    if reader.reload() == .overflow {
                        weights[count] = table[state1].symbol
                        count += 1
                        break
                    }
                }
                return count
            }
        }
    }

    /// Completes the weights with the implied last one and builds the decoding table.
    static func buildTable(
        weights: UnsafeMutablePointer<UInt8>, count: Int, into table: UnsafeMutablePointer<UInt16>, offset: UInt64
    ) throws(ZstdError) -> Int {
        guard count >= 1, count <= 255 else { throw .corrupt(offset: offset, reason: "bad Huffman weight count \(count)") }
        var total = 0
        var ranks = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        try withUnsafeMutableBytes(of: &ranks) { (raw) throws(ZstdError) in
            let rankCount = raw.baseAddress!.assumingMemoryBound(to: Int.self)
            for i in 0..<count {
                let weight = Int(weights[i])
                guard weight <= maxTableLog else { throw .corrupt(offset: offset, reason: "Huffman weight \(weight) exceeds \(maxTableLog)") }
                rankCount[weight] += 1
                if weight > 0 { total += 1 << (weight - 1) }
            }
        }
        guard total > 0 else { throw .corrupt(offset: offset, reason: "Huffman weights are all zero") }
        let tableLog = Int.bitWidth - total.leadingZeroBitCount
        guard tableLog <= maxTableLog else { throw .corrupt(offset: offset, reason: "Huffman codes longer than \(maxTableLog) bits") }
        let rest = (1 << tableLog) - total
        guard rest > 0, rest & (rest - 1) == 0 else {
            throw .corrupt(offset: offset, reason: "Huffman weights do not form a complete prefix code")
        }
        let lastWeight = Int.bitWidth - rest.leadingZeroBitCount
        weights[count] = UInt8(lastWeight)
        let symbolCount = count + 1
        return try withUnsafeMutableBytes(of: &ranks) { (raw) throws(ZstdError) -> Int in
            let rankCount = raw.baseAddress!.assumingMemoryBound(to: Int.self)
            rankCount[lastWeight] += 1
            // The reference decoder requires an even number (at least two) of the longest codes.
            guard rankCount[1] >= 2, rankCount[1] & 1 == 0 else {
                throw .corrupt(offset: offset, reason: "Huffman weights give an odd number of the longest codes")
            }
            var start = 0
            for weight in 1...tableLog {
                let width = rankCount[weight] << (weight - 1)
                rankCount[weight] = start
                start += width
            }
            for symbol in 0..<symbolCount {
                let weight = Int(weights[symbol])
                guard weight > 0 else { continue }
                let length = 1 << (weight - 1)
                let entry = UInt16(symbol << 8 | (tableLog + 1 - weight))
                (table + rankCount[weight]).update(repeating: entry, count: length)
                rankCount[weight] += length
            }
            return tableLog
        }
    }

    @inline(__always)
    static func decodeSymbol(_ reader: inout BackwardBitReader, _ table: UnsafePointer<UInt16>, _ log: Int) -> UInt8 {
        let entry = table[Int(truncatingIfNeeded: reader.peek(log))]
        reader.consumed &+= Int(entry & 0xFF)
        return UInt8(truncatingIfNeeded: entry >> 8)
    }

    /// Decodes one stream of `count` symbols into `output`; the stream must be consumed exactly.
    static func decodeStream(
        _ stream: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>, count: Int,
        table: UnsafePointer<UInt16>, tableLog: Int, offset: UInt64
    ) throws(ZstdError) {
        guard var reader = BackwardBitReader(start: stream.baseAddress!.assumingMemoryBound(to: UInt8.self), count: stream.count) else {
            throw .corrupt(offset: offset, reason: "Huffman stream has no end marker")
        }
        var out = output
        let end = output + count
        while tableLog <= fastTableLog {
            let rounds = min((reader.position - reader.start) / 7, (end - out) / 5)
            if rounds <= 0 { break }
            for _ in 0..<rounds {
                for i in 0..<5 { out[i] = decodeSymbol(&reader, table, tableLog) }
                out += 5
                reader.reloadFast()
            }
        }
        try finish(&reader, from: out, to: end, table: table, tableLog: tableLog, offset: offset)
    }

    @inline(__always)
    static func finish(
        _ reader: inout BackwardBitReader, from start: UnsafeMutablePointer<UInt8>, to end: UnsafeMutablePointer<UInt8>,
        table: UnsafePointer<UInt16>, tableLog: Int, offset: UInt64
    ) throws(ZstdError) {
        var out = start
        while out < end {
            guard reader.reload() != .overflow else { throw .corrupt(offset: offset, reason: "Huffman stream is too short") }
            out.pointee = decodeSymbol(&reader, table, tableLog)
            out += 1
        }
        reader.reload()
        guard reader.isFinished else {
            throw .corrupt(offset: offset, reason: "Huffman stream length does not match its symbols")
        }
    }

    /// Decodes the four-stream layout: a 6-byte jump table, then four streams that each decode a
    /// quarter of `count` (the last one the rest).
    static func decodeFourStreams(
        _ source: UnsafeRawBufferPointer, into output: UnsafeMutablePointer<UInt8>, count: Int,
        table: UnsafePointer<UInt16>, tableLog: Int, offset: UInt64
    ) throws(ZstdError) {
        guard source.count >= 10 else { throw .corrupt(offset: offset, reason: "four-stream literals are too short") }
        let size1 = Int(source[0]) | Int(source[1]) << 8
        let size2 = Int(source[2]) | Int(source[3]) << 8
        let size3 = Int(source[4]) | Int(source[5]) << 8
        let size4 = source.count - 6 - size1 - size2 - size3
        guard size1 > 0, size2 > 0, size3 > 0, size4 > 0 else {
            throw .corrupt(offset: offset, reason: "Huffman jump table sizes exceed the literals section")
        }
        let base = source.baseAddress!.assumingMemoryBound(to: UInt8.self) + 6
        let starts = (base, base + size1, base + size1 + size2, base + size1 + size2 + size3)
        let offsets = (offset + 6, offset + 6 + UInt64(size1), offset + 6 + UInt64(size1 + size2),
                       offset + 6 + UInt64(size1 + size2 + size3))
        guard var r1 = BackwardBitReader(start: starts.0, count: size1) else {
            throw .corrupt(offset: offsets.0, reason: "Huffman stream has no end marker")
        }
        guard var r2 = BackwardBitReader(start: starts.1, count: size2) else {
            throw .corrupt(offset: offsets.1, reason: "Huffman stream has no end marker")
        }
        guard var r3 = BackwardBitReader(start: starts.2, count: size3) else {
            throw .corrupt(offset: offsets.2, reason: "Huffman stream has no end marker")
        }
        guard var r4 = BackwardBitReader(start: starts.3, count: size4) else {
            throw .corrupt(offset: offsets.3, reason: "Huffman stream has no end marker")
        }
        let segment = (count + 3) / 4
        let end = output + count
        let end1 = output + min(segment, count)
        let end2 = output + min(2 * segment, count)
        let end3 = output + min(3 * segment, count)
        var o1 = output, o2 = end1, o3 = end2, o4 = end3
        // Fast loop: each round decodes 5 symbols per stream (at most 55 bits, so a reload moves
        // a stream back at most 7 bytes). The number of rounds that can run without any bounds
        // check is computed up front from the bytes left before each stream's start and the room
        // left in the output; streams 1-3 have `segment` symbols, stream 4 at most as many.
        // In the loop each stream is two registers: its load position and its bits, left-aligned
        // with a marker bit below them whose trailing-zero count is the bits consumed.
        var rounds = tableLog > fastTableLog ? 0 : min(
            min((r1.position - r1.start) / 7, (r2.position - r2.start) / 7),
            min((r3.position - r3.start) / 7, (r4.position - r4.start) / 7),
            min((end1 - o1) / 5, (end - o4) / 5))
        if rounds > 0 {
            var p1 = r1.position, p2 = r2.position, p3 = r3.position, p4 = r4.position
            var b1 = (r1.container | 1) &<< UInt64(r1.consumed), b2 = (r2.container | 1) &<< UInt64(r2.consumed)
            var b3 = (r3.container | 1) &<< UInt64(r3.consumed), b4 = (r4.container | 1) &<< UInt64(r4.consumed)
            let shift = UInt64(64 - tableLog)
            @inline(__always) func step(_ bits: inout UInt64) -> UInt8 {
                let entry = table[Int(truncatingIfNeeded: bits &>> shift)]
                bits &<<= UInt64(entry & 0xFF)
                return UInt8(truncatingIfNeeded: entry >> 8)
            }
            @inline(__always) func refill(_ bits: inout UInt64, _ position: inout UnsafePointer<UInt8>) {
                let consumed = bits.trailingZeroBitCount
                position -= consumed &>> 3
                bits = (UInt64(littleEndian: UnsafeRawPointer(position).loadUnaligned(as: UInt64.self)) | 1) &<< UInt64(consumed & 7)
            }
            while rounds > 0 {
                for _ in 0..<rounds {
                    for i in 0..<5 {
                        o1[i] = step(&b1)
                        o2[i] = step(&b2)
                        o3[i] = step(&b3)
                        o4[i] = step(&b4)
                    }
                    o1 += 5; o2 += 5; o3 += 5; o4 += 5
                    refill(&b1, &p1); refill(&b2, &p2); refill(&b3, &p3); refill(&b4, &p4)
                }
                rounds = min(
                    min((p1 - r1.start) / 7, (p2 - r2.start) / 7), min((p3 - r3.start) / 7, (p4 - r4.start) / 7),
                    min((end1 - o1) / 5, (end - o4) / 5))
            }
            r1.resume(at: p1, bits: b1); r2.resume(at: p2, bits: b2)
            r3.resume(at: p3, bits: b3); r4.resume(at: p4, bits: b4)
        }
        try finish(&r1, from: o1, to: end1, table: table, tableLog: tableLog, offset: offsets.0)
        try finish(&r2, from: o2, to: end2, table: table, tableLog: tableLog, offset: offsets.1)
        try finish(&r3, from: o3, to: end3, table: table, tableLog: tableLog, offset: offsets.2)
        try finish(&r4, from: o4, to: end, table: table, tableLog: tableLog, offset: offsets.3)
    }
}
