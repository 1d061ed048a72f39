/// Compressed blocks (RFC 8878 §3.1.1.3): a literals section, then a sequences section whose
/// sequences are executed straight into the history buffer.
extension ZstdDecompressor {
    /// Decodes one compressed block at `history + position`; returns the bytes it produced.
    func decodeCompressedBlock(_ block: UnsafeRawBufferPointer, limit: Int, offset: UInt64) throws(ZstdError) -> Int {
        let (literals, literalCount, literalsSize) = try decodeLiterals(block, limit: limit, offset: offset)
        let rest = UnsafeRawBufferPointer(rebasing: block[literalsSize...])
        return try decodeSequences(
            rest, literals: literals, literalCount: literalCount, limit: limit, offset: offset + UInt64(literalsSize))
    }

    /// Decodes the literals section; returns where the literals are, their count and the
    /// section's size. Raw literals followed by at least 32 bytes of the block are used where
    /// they lie (the wild copies read up to 16 bytes past them), as the reference does; all
    /// others are decoded or copied into `literals`.
    func decodeLiterals(
        _ block: UnsafeRawBufferPointer, limit: Int, offset: UInt64
    ) throws(ZstdError) -> (UnsafePointer<UInt8>, Int, Int) {
        let byte0 = Int(block[0])
        let type = byte0 & 3
        let sizeFormat = (byte0 >> 2) & 3
        if type < 2 {
            let headerSize: Int
            let regenerated: Int
            switch sizeFormat {
            case 0, 2:
                headerSize = 1
                regenerated = byte0 >> 3
            case 1:
                headerSize = 2
                guard block.count >= 2 else { throw .corrupt(offset: offset, reason: "literals header is truncated") }
                regenerated = byte0 >> 4 | Int(block[1]) << 4
            default:
                headerSize = 3
                guard block.count >= 3 else { throw .corrupt(offset: offset, reason: "literals header is truncated") }
                regenerated = byte0 >> 4 | Int(block[1]) << 4 | Int(block[2]) << 12
            }
            guard regenerated <= limit else {
                throw .corrupt(offset: offset, reason: "\(regenerated) literals exceed the block maximum \(limit)")
            }
            if type == 0 {
                guard headerSize + regenerated <= block.count else {
                    throw .corrupt(offset: offset, reason: "raw literals run past the block")
                }
                let raw = block.baseAddress!.assumingMemoryBound(to: UInt8.self) + headerSize
                if headerSize + regenerated + 32 <= block.count { return (raw, regenerated, headerSize + regenerated) }
                if regenerated > 0 { literals.update(from: raw, count: regenerated) }
                return (UnsafePointer(literals), regenerated, headerSize + regenerated)
            }
            guard headerSize < block.count else { throw .corrupt(offset: offset, reason: "RLE literals byte is missing") }
            literals.update(repeating: block[headerSize], count: regenerated)
            return (UnsafePointer(literals), regenerated, headerSize + 1)
        }

        let headerSize = sizeFormat < 2 ? 3 : sizeFormat + 2
        guard block.count >= headerSize else { throw .corrupt(offset: offset, reason: "literals header is truncated") }
        // Up to 5 header bytes (40 bits): a UInt64, so 32-bit targets keep the top byte.
        var header: UInt64 = 0
        for i in 0..<headerSize { header |= UInt64(block[i]) << (8 * i) }
        let fieldBits = [10, 10, 14, 18][sizeFormat]
        let mask: UInt64 = (1 << fieldBits) - 1
        let regenerated = Int((header >> 4) & mask)
        let compressed = Int((header >> UInt64(4 + fieldBits)) & mask)
        let streamCount = sizeFormat == 0 ? 1 : 4
        guard regenerated <= limit else {
            throw .corrupt(offset: offset, reason: "\(regenerated) literals exceed the block maximum \(limit)")
        }
        guard headerSize + compressed <= block.count else {
            throw .corrupt(offset: offset, reason: "compressed literals run past the block")
        }
        var streams = UnsafeRawBufferPointer(rebasing: block[headerSize..<(headerSize + compressed)])
        var streamsOffset = offset + UInt64(headerSize)
        if type == 2 {
            hasHuffman = false
            let tree = try Huffman.readTree(streams, into: huffmanTable, offset: streamsOffset)
            huffmanLog = tree.tableLog
            hasHuffman = true
            streams = UnsafeRawBufferPointer(rebasing: streams[tree.byteCount...])
            streamsOffset += UInt64(tree.byteCount)
        } else {
            guard hasHuffman else {
                throw .corrupt(offset: offset, reason: "treeless literals without a previous Huffman table")
            }
        }
        guard streams.count > 0 else { throw .corrupt(offset: streamsOffset, reason: "Huffman streams are missing") }
        if streamCount == 1 {
            try Huffman.decodeStream(
                streams, into: literals, count: regenerated, table: huffmanTable, tableLog: huffmanLog, offset: streamsOffset)
        } else {
            try Huffman.decodeFourStreams(
                streams, into: literals, count: regenerated, table: huffmanTable, tableLog: huffmanLog, offset: streamsOffset)
        }
        return (UnsafePointer(literals), regenerated, headerSize + compressed)
    }

    /// Reads the sequences section header and tables, then decodes and executes the sequences.
    func decodeSequences(
        _ section: UnsafeRawBufferPointer, literals: UnsafePointer<UInt8>, literalCount: Int, limit: Int, offset: UInt64
    ) throws(ZstdError) -> Int {
        guard section.count >= 1 else { throw .corrupt(offset: offset, reason: "sequences section is missing") }
        let byte0 = Int(section[0])
        var sequenceCount: Int
        var cursor: Int
        if byte0 < 128 {
            sequenceCount = byte0
            cursor = 1
        } else if byte0 < 255 {
            guard section.count >= 2 else { throw .corrupt(offset: offset, reason: "sequences header is truncated") }
            sequenceCount = (byte0 - 128) << 8 + Int(section[1])
            cursor = 2
        } else {
            guard section.count >= 3 else { throw .corrupt(offset: offset, reason: "sequences header is truncated") }
            sequenceCount = Int(section[1]) + Int(section[2]) << 8 + 0x7F00
            cursor = 3
        }
        if sequenceCount == 0 {
            guard cursor == section.count else {
                throw .corrupt(offset: offset, reason: "bytes follow a sequences section without sequences")
            }
            guard literalCount <= limit else { throw .corrupt(offset: offset, reason: "literals exceed the block maximum") }
            if literalCount > 0 { (history + position).update(from: literals, count: literalCount) }
            return literalCount
        }
        guard cursor < section.count else { throw .corrupt(offset: offset, reason: "symbol compression modes are missing") }
        let modes = Int(section[cursor])
        guard modes & 3 == 0 else { throw .corrupt(offset: offset + UInt64(cursor), reason: "reserved bits of the symbol compression modes are set") }
        cursor += 1
        cursor += try readTable(&literalLengths, kind: .literalLength, mode: modes >> 6, section, at: cursor, offset: offset)
        cursor += try readTable(&offsets, kind: .offset, mode: (modes >> 4) & 3, section, at: cursor, offset: offset)
        cursor += try readTable(&matchLengths, kind: .matchLength, mode: (modes >> 2) & 3, section, at: cursor, offset: offset)
        guard cursor < section.count else { throw .corrupt(offset: offset + UInt64(cursor), reason: "sequence bitstream is missing") }
        let bitstream = UnsafeRawBufferPointer(rebasing: section[cursor...])
        return try executeSequences(
            bitstream, count: sequenceCount, literals: literals, literalCount: literalCount, limit: limit,
            offset: offset + UInt64(cursor))
    }

    /// Sets up one sequence table by its mode; returns the bytes its description took.
    func readTable(
        _ table: inout SequenceTable, kind: SequenceKind, mode: Int, _ section: UnsafeRawBufferPointer, at cursor: Int,
        offset: UInt64
    ) throws(ZstdError) -> Int {
        let here = offset + UInt64(cursor)
        switch mode {
        case 0:
            let table0 = ZstdDecompressor.predefined[kind.rawValue]
            table.cells.update(from: table0.cells, count: 1 << table0.accuracyLog)
            table.accuracyLog = table0.accuracyLog
            table.isValid = true
            return 0
        case 1:
            guard cursor < section.count else { throw .corrupt(offset: here, reason: "RLE symbol of the \(kind.name) is missing") }
            let symbol = Int(section[cursor])
            guard symbol <= kind.maxSymbol else {
                throw .corrupt(offset: here, reason: "RLE symbol \(symbol) of the \(kind.name) is out of range")
            }
            kind.fillRLE(table.cells, symbol: symbol)
            table.accuracyLog = 0
            table.isValid = true
            return 1
        case 2:
            table.isValid = false
            let description = try FSE.readCounts(
                UnsafeRawBufferPointer(rebasing: section[cursor...]), maxSymbol: kind.maxSymbol,
                maxAccuracyLog: kind.maxAccuracyLog, into: counts, offset: here)
            try FSE.buildTable(
                counts: counts, symbolCount: description.symbolCount, accuracyLog: description.accuracyLog,
                into: scratchCells, offset: here)
            kind.fill(table.cells, from: scratchCells, accuracyLog: description.accuracyLog)
            table.accuracyLog = description.accuracyLog
            table.isValid = true
            return description.byteCount
        default:
            guard table.isValid else {
                throw .corrupt(offset: here, reason: "repeat mode for the \(kind.name) without a previous table")
            }
            return 0
        }
    }

    /// Decodes `count` sequences from the bitstream and executes each at once into the history.
    func executeSequences(
        _ bitstream: UnsafeRawBufferPointer, count: Int, literals: UnsafePointer<UInt8>, literalCount: Int, limit: Int,
        offset: UInt64
    ) throws(ZstdError) -> Int {
        guard var reader = BackwardBitReader(start: bitstream.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bitstream.count) else {
            throw .corrupt(offset: offset, reason: "sequence bitstream has no end marker")
        }
        // States index the one buffer of all three tables, whose cells' next states include
        // their table's place in it: one base pointer for the loop to hold.
        let cells = sequenceCells
        var llState = SequenceKind.literalLength.tableOffset &+ Int(reader.read(literalLengths.accuracyLog))
        var ofState = SequenceKind.offset.tableOffset &+ Int(reader.read(offsets.accuracyLog))
        var mlState = SequenceKind.matchLength.tableOffset &+ Int(reader.read(matchLengths.accuracyLog))
        reader.reload()

        var (rep1, rep2, rep3) = repeats
        var literal = literals
        let literalEnd = literals + literalCount
        let start = history + position
        var out = start
        let end = start + limit
        // Where writes must stop, the wild copies' overshoot included: the buffer's end. Inside
        // the decompressor's history, slack past every block keeps the wild copies clear of it;
        // decoding into a caller's buffer, the last sequences copy exactly.
        let hardEnd = history + historyCapacity
        let lowest = history + historyStart

        // One comparison admits a sequence to the fast path: its literals are there, its bytes
        // fit the block, and the wild copies' overshoot stays inside the buffer. Anything else
        // (the last sequences of a caller's buffer, or corrupt input) goes through
        // `executeExactly`, which checks each bound alone and copies byte for byte.
        let fastEnd = min(end, hardEnd - 32)
        var remaining = count
        while remaining > 0 {
            remaining &-= 1
            let ll = cells[llState], ml = cells[mlState], of = cells[ofState]
            let offsetBits = Int(of.extraBits), matchBits = Int(ml.extraBits), literalBits = Int(ll.extraBits)
            let offsetValue = Int(of.baseValue) &+ Int(truncatingIfNeeded: reader.read(offsetBits))
            let matchLength = Int(ml.baseValue) &+ Int(truncatingIfNeeded: reader.read(matchBits))
            if offsetBits &+ matchBits &+ literalBits >= 31 { reader.reload() }
            let literalLength = Int(ll.baseValue) &+ Int(truncatingIfNeeded: reader.read(literalBits))

            // Offset values 1...3 name repeats (shifted by one when there are no literals, the
            // fourth being the first repeat minus one); larger ones are new offsets.
            let matchOffset: Int
            if offsetBits > 1 {
                matchOffset = offsetValue &- 3
                rep3 = rep2; rep2 = rep1; rep1 = matchOffset
            } else if offsetBits == 0 && literalLength != 0 {
                // Offset code 0 after literals, the commonest repeat: the first, unchanged.
                matchOffset = rep1
            } else {
                let index = offsetValue &- (literalLength == 0 ? 0 : 1)
                switch index {
                case 0: matchOffset = rep1
                case 1: matchOffset = rep2; rep2 = rep1; rep1 = matchOffset
                case 2: matchOffset = rep3; rep3 = rep2; rep2 = rep1; rep1 = matchOffset
                default: matchOffset = rep1 &- 1; rep3 = rep2; rep2 = rep1; rep1 = matchOffset
                }
            }

            if remaining > 0 {
                llState = Int(ll.nextState) &+ Int(truncatingIfNeeded: reader.read(Int(ll.stateBits)))
                mlState = Int(ml.nextState) &+ Int(truncatingIfNeeded: reader.read(Int(ml.stateBits)))
                ofState = Int(of.nextState) &+ Int(truncatingIfNeeded: reader.read(Int(of.stateBits)))
                reader.reload()
            }

            let matchStart = out + literalLength
            if literalLength <= literalEnd - literal, literalLength &+ matchLength <= fastEnd - out,
               UInt(bitPattern: matchOffset &- 1) < UInt(bitPattern: matchStart - lowest)
            {
                wildCopy16(out, literal, literalLength)
                literal += literalLength
                copyMatch(matchStart, offset: matchOffset, length: matchLength)
                out = matchStart + matchLength
            } else {
                try executeExactly(
                    literalLength: literalLength, matchLength: matchLength, matchOffset: matchOffset, out: &out,
                    literal: &literal, literalEnd: literalEnd, end: end, lowest: lowest,
                    sequence: count - remaining - 1, offset: offset)
            }
        }
        reader.reload()
        guard reader.isFinished else {
            throw .corrupt(offset: offset, reason: "sequence bitstream length does not match its sequences")
        }
        let tail = literalEnd - literal
        guard tail <= end - out else { throw .corrupt(offset: offset, reason: "last literals overflow the block maximum \(limit)") }
        if tail > 0 { out.update(from: literal, count: tail) }
        out += tail
        repeats = (rep1, rep2, rep3)
        return out - start
    }

    /// One sequence the fast path would not take: each bound checked alone (a failure is
    /// corrupt input), the copies exact so that nothing is written past the sequence's end.
    @inline(never)
    func executeExactly(
        literalLength: Int, matchLength: Int, matchOffset: Int, out: inout UnsafeMutablePointer<UInt8>,
        literal: inout UnsafePointer<UInt8>, literalEnd: UnsafePointer<UInt8>, end: UnsafeMutablePointer<UInt8>,
        lowest: UnsafeMutablePointer<UInt8>, sequence: Int, offset: UInt64
    ) throws(ZstdError) {
        guard literalLength <= literalEnd - literal else {
            throw .corrupt(offset: offset, reason: "sequence \(sequence) uses more literals than the block has")
        }
        guard literalLength + matchLength <= end - out else {
            throw .corrupt(offset: offset, reason: "sequence \(sequence) overflows the block maximum \(end - history - position)")
        }
        out.update(from: literal, count: literalLength)
        out += literalLength
        literal += literalLength
        guard matchOffset > 0 else { throw .corrupt(offset: offset, reason: "repeat offset 1 minus one is zero") }
        guard matchOffset <= out - lowest else {
            throw .corrupt(offset: offset, reason: "sequence \(sequence) has offset \(matchOffset) beyond the window")
        }
        copyMatchExactly(out, offset: matchOffset, length: matchLength)
        out += matchLength
    }

    /// The predefined sequence tables, built once.
    nonisolated(unsafe) static let predefined: [SequenceTable] = {
        [SequenceKind.literalLength, .offset, .matchLength].map { kind in
            let (values, log) = kind.predefined
            var table = SequenceTable(capacity: 1 << log)
            let cells = UnsafeMutablePointer<FSECell>.allocate(capacity: 1 << log)
            defer { cells.deallocate() }
            values.withUnsafeBufferPointer { counts in
                try! FSE.buildTable(counts: counts.baseAddress!, symbolCount: counts.count, accuracyLog: log, into: cells, offset: 0)
            }
            kind.fill(table.cells, from: cells, accuracyLog: log)
            table.accuracyLog = log
            table.isValid = true
            return table
        }
    }()
}
