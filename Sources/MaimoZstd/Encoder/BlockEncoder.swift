/// The sequences a match finder produced for one block, and the literals between them.
/// Offsets are distances; the block encoder turns them into repeat codes.
final class SequenceBuffer {
    let capacity: Int
    let literals: UnsafeMutablePointer<UInt8>
    var literalCount = 0
    let literalLengths: UnsafeMutablePointer<UInt32>
    let matchLengths: UnsafeMutablePointer<UInt32>
    let distances: UnsafeMutablePointer<UInt32>
    /// The block encoder's scratch: each sequence's three codes and its offset value, kept here
    /// so that no block allocates them.
    let literalLengthCodes: UnsafeMutablePointer<UInt8>
    let matchLengthCodes: UnsafeMutablePointer<UInt8>
    let offsetCodes: UnsafeMutablePointer<UInt8>
    let offsetValues: UnsafeMutablePointer<UInt32>
    var count = 0
    /// Literals recorded after the last match so far: the next match's literal length includes
    /// them (a block searched in pieces, between long-distance matches).
    var trailing = 0
    /// How far literals may be read: short runs are copied 16 bytes at a time, which needs 16
    /// readable bytes (the window has slack; a caller's buffer searched in place ends here).
    var readLimit = UnsafePointer<UInt8>(bitPattern: UInt.max)!

    init(blockSize: Int) {
        capacity = blockSize / 3 + 8
        literals = .allocate(capacity: blockSize + 64)
        literalLengths = .allocate(capacity: capacity)
        matchLengths = .allocate(capacity: capacity)
        distances = .allocate(capacity: capacity)
        literalLengthCodes = .allocate(capacity: capacity)
        matchLengthCodes = .allocate(capacity: capacity)
        offsetCodes = .allocate(capacity: capacity)
        offsetValues = .allocate(capacity: capacity)
    }

    deinit {
        literals.deallocate()
        literalLengths.deallocate()
        matchLengths.deallocate()
        distances.deallocate()
        literalLengthCodes.deallocate()
        matchLengthCodes.deallocate()
        offsetCodes.deallocate()
        offsetValues.deallocate()
    }

    func reset() {
        literalCount = 0
        count = 0
        trailing = 0
    }

    /// Records `literalLength` literals from `source`, then a match.
    @inline(__always)
    func add(literals source: UnsafePointer<UInt8>, _ literalLength: Int, distance: Int, matchLength: Int) {
        // Most runs of literals are short: one 16-byte copy instead of a call to memmove. Both
        // buffers have room for it (this buffer ends in 64 bytes of slack; see `readLimit`).
        if literalLength <= 16 && source + 16 <= readLimit {
            let chunk = UnsafeRawPointer(source).loadUnaligned(as: SIMD16<UInt8>.self)
            UnsafeMutableRawPointer(literals + literalCount).storeBytes(of: chunk, as: SIMD16<UInt8>.self)
        } else {
            (literals + literalCount).update(from: source, count: literalLength)
        }
        literalCount += literalLength
        literalLengths[count] = UInt32(truncatingIfNeeded: literalLength + trailing)
        trailing = 0
        matchLengths[count] = UInt32(truncatingIfNeeded: matchLength)
        distances[count] = UInt32(truncatingIfNeeded: distance)
        count += 1
    }

    /// Makes this buffer hold what `other` holds (this one must be at least as large).
    func copy(from other: SequenceBuffer) {
        literals.update(from: other.literals, count: other.literalCount)
        literalCount = other.literalCount
        literalLengths.update(from: other.literalLengths, count: other.count)
        matchLengths.update(from: other.matchLengths, count: other.count)
        distances.update(from: other.distances, count: other.count)
        count = other.count
        trailing = other.trailing
    }

    /// Records the literals after the last match.
    func addLastLiterals(_ source: UnsafePointer<UInt8>, _ count: Int) {
        (literals + literalCount).update(from: source, count: count)
        literalCount += count
        trailing += count
    }
}

/// How one sequence kind is coded in a block: the mode as the block header writes it
/// (RFC 8878 §3.1.1.3.2.1) and the table it codes with (nil for RLE). Two stored fields, not an
/// enum with payloads: reading the mode and the table copies no reference (an enum's accessors
/// retained and released its payload on every use, a few dozen times per block).
struct SequenceTableChoice {
    static let predefinedMode = 0, rleMode = 1, compressedMode = 2, repeatMode = 3
    let mode: Int
    let table: FSEEncodingTable?
}

/// The previous block's table of each sequence kind, subscripted by `SequenceKind.rawValue`
/// (three stored values rather than an array: copying the state allocates nothing).
struct SequenceTables {
    var literalLength: FSEEncodingTable?
    var offset: FSEEncodingTable?
    var matchLength: FSEEncodingTable?

    subscript(_ kind: Int) -> FSEEncodingTable? {
        get { kind == 0 ? literalLength : kind == 1 ? offset : matchLength }
        set {
            switch kind {
            case 0: literalLength = newValue
            case 1: offset = newValue
            default: matchLength = newValue
            }
        }
    }
}

/// What a frame's blocks carry from one to the next: repeat offsets and the tables that
/// treeless literals and repeat mode refer to.
struct EntropyState {
    var huffman: HuffmanEncodingTable?
    var tables = SequenceTables()
    var repeats = (1, 4, 8)
}

enum SequenceCodes {
    static let literalLengthCodes: [UInt8] = (0..<64).map { value in
        UInt8(SequenceKind.literalLengthBase.lastIndex { $0 <= UInt32(value) }!)
    }
    static let matchLengthCodes: [UInt8] = (0..<128).map { value in
        UInt8(SequenceKind.matchLengthBase.lastIndex { $0 <= UInt32(value + 3) }!)
    }

    /// The literal length code of `value`; `table` holds ``literalLengthCodes`` (callers in
    /// loops hold it in a local, or a copy behind a pointer: the array's accessor costs a check
    /// per call in the optimal parser's inner loop).
    @inline(__always)
    static func literalLength<Table: RandomAccessCollection>(_ value: Int, table: Table) -> Int
    where Table.Element == UInt8, Table.Index == Int {
        value < 64 ? Int(table[value]) : (Int.bitWidth - 1 - value.leadingZeroBitCount) + 19
    }

    /// The match length code of `value` (at least 3); `table` holds ``matchLengthCodes``.
    @inline(__always)
    static func matchLength<Table: RandomAccessCollection>(_ value: Int, table: Table) -> Int
    where Table.Element == UInt8, Table.Index == Int {
        let base = value - 3
        return base < 128 ? Int(table[base]) : (Int.bitWidth - 1 - base.leadingZeroBitCount) + 36
    }

    static func literalLength(_ value: Int) -> Int { literalLength(value, table: literalLengthCodes) }
    static func matchLength(_ value: Int) -> Int { matchLength(value, table: matchLengthCodes) }

    static let predefinedTables: [FSEEncodingTable] = [SequenceKind.literalLength, .offset, .matchLength].map { kind in
        let (counts, log) = kind.predefined
        return FSEEncodingTable(counts: counts, accuracyLog: log)
    }
}

/// Turns a block's sequences into a compressed block body (RFC 8878 §3.1.1.3).
struct BlockEncoder {
    /// Encodes the block into `output` (capacity at least the block size + 64); returns the body
    /// size, or nil when a raw block would be as small. Updates `state` only on success.
    /// - Parameter preferRepeat: reuse a previous Huffman table that fits up to 1 KiB of literals
    ///   without trying a new one (zstd's choice for its fast strategies).
    static func encode(
        _ sequences: SequenceBuffer, blockSize: Int, state: inout EntropyState,
        output: UnsafeMutablePointer<UInt8>, capacity: Int, preferRepeat: Bool = false, rawLiterals: Bool = false
    ) -> Int? {
        var next = state
        let literalsSize = encodeLiterals(sequences, state: &next, output: output, capacity: capacity,
                                          preferRepeat: preferRepeat, raw: rawLiterals)
        guard let literalsSize else { return nil }
        guard let sequencesSize = encodeSequences(
            sequences, state: &next, output: output + literalsSize, capacity: capacity - literalsSize)
        else { return nil }
        let total = literalsSize + sequencesSize
        // A compressed block must be worth its keep (as zstd: gain more than 1/64 + 2 bytes).
        guard total < blockSize - (blockSize >> 6) - 2 || (sequences.count == 0 && total < blockSize) else { return nil }
        state = next
        return total
    }

    // MARK: Literals

    static func writeRawLiteralsHeader(_ size: Int, type: UInt8, into output: UnsafeMutablePointer<UInt8>) -> Int {
        if size < 32 {
            output[0] = UInt8(size << 3) | type
            return 1
        } else if size < 4096 {
            output[0] = UInt8((size << 4) & 0xF0) | 1 << 2 | type
            output[1] = UInt8(size >> 4)
            return 2
        } else {
            output[0] = UInt8((size << 4) & 0xF0) | 3 << 2 | type
            output[1] = UInt8((size >> 4) & 0xFF)
            output[2] = UInt8(size >> 12)
            return 3
        }
    }

    /// Encodes the block's literals: Huffman-coded when that pays, or stored as they are (always
    /// when `raw`, as the reference does at its negative levels: faster both ways, larger).
    static func encodeLiterals(_ sequences: SequenceBuffer, state: inout EntropyState, output: UnsafeMutablePointer<UInt8>, capacity: Int,
                               preferRepeat: Bool, raw storeRaw: Bool = false) -> Int? {
        let count = sequences.literalCount
        let literals = sequences.literals
        func raw() -> Int? {
            guard count + 3 <= capacity else { return nil }
            let header = writeRawLiteralsHeader(count, type: 0, into: output)
            if count > 0 { (output + header).update(from: literals, count: count) }
            return header + count
        }
        if count == 0 || storeRaw { return raw() }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 256) { histogram in
            histogram.initialize(repeating: 0)
            Histogram.count(literals, count, into: histogram.baseAddress!)
            return encodeLiterals(
                sequences, histogram: UnsafePointer(histogram.baseAddress!), state: &state, output: output, capacity: capacity,
                preferRepeat: preferRepeat, raw: raw)
        }
    }

    static func encodeLiterals(
        _ sequences: SequenceBuffer, histogram: UnsafePointer<Int>, state: inout EntropyState,
        output: UnsafeMutablePointer<UInt8>, capacity: Int, preferRepeat: Bool, raw: () -> Int?
    ) -> Int? {
        let count = sequences.literalCount
        let literals = sequences.literals
        var maxSymbol = 255
        while histogram[maxSymbol] == 0 { maxSymbol -= 1 }
        // Few literals: cost summed over the literals themselves.
        func cost(_ table: HuffmanEncodingTable) -> Int? {
            guard count < 128 else { return table.cost(of: histogram, maxSymbol: maxSymbol) }
            guard maxSymbol <= table.maxSymbol else { return nil }
            return table.lengths.withUnsafeBufferPointer { lengths in
                var bits = 0
                for i in 0..<count {
                    let length = Int(lengths[Int(literals[i])])
                    if length == 0 { return nil }
                    bits += length
                }
                return bits
            }
        }
        if histogram[maxSymbol] == count {
            let header = writeRawLiteralsHeader(count, type: 1, into: output)
            output[header] = literals[0]
            return header + 1
        }
        // Too few literals to pay for a table: raw, unless the previous table fits them.
        let previousBits = state.huffman.flatMap { cost($0) }
        let repeatFits = preferRepeat && count <= 1024 && previousBits != nil
        let fresh: HuffmanEncodingTable? = count >= 64 && !repeatFits ? HuffmanEncodingTable(counts: histogram, maxSymbol: maxSymbol) : nil
        let freshDescription = fresh?.description()
        var choice: (table: HuffmanEncodingTable, description: [UInt8]?)?
        // Estimated sizes in bytes: header, description, streams (with jump table and markers).
        let singleStreamEstimate = count < 256
        let estimatedHeader = singleStreamEstimate || count < 1024 ? 3 : count < 16384 ? 4 : 5
        let streamOverhead = singleStreamEstimate ? 1 : 10
        var bestSize = count + (count < 32 ? 1 : count < 4096 ? 2 : 3)
        if let fresh, let freshDescription {
            let bits = fresh.cost(of: histogram, maxSymbol: maxSymbol)!
            let size = estimatedHeader + freshDescription.count + (bits + 7) / 8 + streamOverhead
            if size < bestSize { bestSize = size; choice = (fresh, freshDescription) }
        }
        if let previous = state.huffman, let bits = previousBits {
            let size = estimatedHeader + (bits + 7) / 8 + streamOverhead
            if size < bestSize { bestSize = size; choice = (previous, nil) }
        }
        guard let choice else { return raw() }
        let singleStream = count < 256
        let headerSize = singleStream ? 3 : count < 1024 ? 3 : count < 16384 ? 4 : 5
        let descriptionSize = choice.description?.count ?? 0
        guard headerSize + descriptionSize + 8 < capacity else { return raw() }
        if let description = choice.description {
            description.withUnsafeBufferPointer { (output + headerSize).update(from: $0.baseAddress!, count: $0.count) }
        }
        let streamsStart = output + headerSize + descriptionSize
        let room = min(capacity, count + 64) - headerSize - descriptionSize
        let streamsSize = singleStream
            ? choice.table.encodeStream(literals, count: count, into: streamsStart, capacity: room)
            : choice.table.encodeFourStreams(literals, count: count, into: streamsStart, capacity: room)
        guard let streamsSize else { return raw() }
        let compressedSize = descriptionSize + streamsSize
        let minimumGain = (count >> 6) + 2
        guard compressedSize < count - minimumGain else { return raw() }   // zstd's rule: the header is not counted
        if singleStream && compressedSize >= 1024 { return raw() }
        let type: Int = choice.description == nil ? 3 : 2
        let sizeFormat = singleStream ? 0 : headerSize == 3 ? 1 : headerSize == 4 ? 2 : 3
        let fieldBits = [10, 10, 14, 18][sizeFormat]
        let header = type | sizeFormat << 2 | count << 4 | compressedSize << (4 + fieldBits)
        for i in 0..<headerSize { output[i] = UInt8(truncatingIfNeeded: header >> (8 * i)) }
        state.huffman = choice.table
        return headerSize + compressedSize
    }

    // MARK: Sequences

    static func encodeSequences(_ sequences: SequenceBuffer, state: inout EntropyState, output: UnsafeMutablePointer<UInt8>, capacity: Int) -> Int? {
        let n = sequences.count
        guard capacity > 16 else { return nil }
        var cursor = 0
        if n < 128 {
            output[0] = UInt8(n); cursor = 1
        } else if n < 0x7F00 {
            output[0] = UInt8((n >> 8) + 128); output[1] = UInt8(n & 0xFF); cursor = 2
        } else {
            output[0] = 255; output[1] = UInt8((n - 0x7F00) & 0xFF); output[2] = UInt8((n - 0x7F00) >> 8); cursor = 3
        }
        if n == 0 { return cursor }

        // Codes and extra-bit values; offsets become repeat codes as the decoder will see them.
        let llCodes = sequences.literalLengthCodes, mlCodes = sequences.matchLengthCodes
        let ofCodes = sequences.offsetCodes, ofValues = sequences.offsetValues
        // Counts in one flat buffer and the code tables in locals: indexing nested arrays and
        // static tables in this loop cost a uniqueness check and a `swift_once` per access
        // (5% of level 1's time).
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: 36 + 32 + 53)
        counts.initialize(repeating: 0, count: 36 + 32 + 53)
        defer { counts.deallocate() }
        let llCounts = counts, ofCounts = counts + 36, mlCounts = counts + 68
        let llCodeTable = SequenceCodes.literalLengthCodes, mlCodeTable = SequenceCodes.matchLengthCodes
        var repeats = RepeatOffsets(state.repeats)
        for i in 0..<n {
            let literalLength = Int(sequences.literalLengths[i])
            let value = repeats.code(distance: Int(sequences.distances[i]), literalLength: literalLength)
            ofValues[i] = UInt32(value)
            let of = Int.bitWidth - 1 - value.leadingZeroBitCount
            let ll = SequenceCodes.literalLength(literalLength, table: llCodeTable)
            let ml = SequenceCodes.matchLength(Int(sequences.matchLengths[i]), table: mlCodeTable)
            llCodes[i] = UInt8(ll); ofCodes[i] = UInt8(of); mlCodes[i] = UInt8(ml)
            llCounts[ll] += 1; ofCounts[of] += 1; mlCounts[ml] += 1
        }
        // The counts stay in their buffer (arrays only when a new table is built): a record of a
        // few sequences should not pay three allocations for them.
        @inline(__always) func buffer(_ start: UnsafeMutablePointer<Int>, _ count: Int) -> UnsafeBufferPointer<Int> {
            UnsafeBufferPointer(start: start, count: count)
        }

        var description = [UInt8]()
        let choices = (
            chooseTable(buffer(llCounts, 36), codes: llCodes, total: n, kind: .literalLength, previous: state.tables.literalLength, description: &description),
            chooseTable(buffer(ofCounts, 32), codes: ofCodes, total: n, kind: .offset, previous: state.tables.offset, description: &description),
            chooseTable(buffer(mlCounts, 53), codes: mlCodes, total: n, kind: .matchLength, previous: state.tables.matchLength, description: &description)
        )
        output[cursor] = UInt8(choices.0.mode << 6 | choices.1.mode << 4 | choices.2.mode << 2)
        cursor += 1
        guard cursor + description.count + 16 < capacity else { return nil }
        description.withUnsafeBufferPointer { (output + cursor).update(from: $0.baseAddress!, count: $0.count) }
        cursor += description.count

        var writer = BitWriter(output + cursor, capacity: capacity - cursor - 8)
        // RLE kinds are coded with a table that writes nothing: one loop for every mode.
        let ll = choices.0.table ?? .repeating, of = choices.1.table ?? .repeating, ml = choices.2.table ?? .repeating
        let last = n - 1
        var llState = FSEEncoderState(ll, first: Int(llCodes[last]))
        var ofState = FSEEncoderState(of, first: Int(ofCodes[last]))
        var mlState = FSEEncoderState(ml, first: Int(mlCodes[last]))
        withExtendedLifetime((ll, of, ml)) {
            let llBits = SequenceKind.literalLengthBits, mlBits = SequenceKind.matchLengthBits
            let literalLengths = sequences.literalLengths, matchLengths = sequences.matchLengths
            // One flush per sequence as a rule: at most 7 bits pend after a flush and the three
            // states add at most 26, so the extra bits fit beside them in the 64-bit container
            // unless they take more than 31 (long offsets and lengths).
            @inline(__always) func extras(_ i: Int) {
                let llCode = Int(llCodes[i]), mlCode = Int(mlCodes[i]), ofCode = Int(ofCodes[i])
                let llExtra = Int(llBits[llCode]), mlExtra = Int(mlBits[mlCode])
                let extra = llExtra + mlExtra + ofCode
                if extra > 31 { writer.flush() }
                writer.add(UInt64(literalLengths[i]), llExtra)
                writer.add(UInt64(matchLengths[i] &- 3), mlExtra)
                if extra > 56 { writer.flush() }
                writer.add(UInt64(ofValues[i]), ofCode)
                writer.flush()
            }
            extras(last)
            var i = last
            while i > 0 {
                i -= 1
                ofState.encode(Int(ofCodes[i]), into: &writer)
                mlState.encode(Int(mlCodes[i]), into: &writer)
                llState.encode(Int(llCodes[i]), into: &writer)
                extras(i)
            }
        }
        ml.flush(mlState.value, into: &writer)
        of.flush(ofState.value, into: &writer)
        ll.flush(llState.value, into: &writer)
        guard let streamSize = writer.closeBackward() else { return nil }
        state.tables.literalLength = choices.0.table
        state.tables.offset = choices.1.table
        state.tables.matchLength = choices.2.table
        state.repeats = repeats.tuple
        return cursor + streamSize
    }

    /// Picks predefined, RLE, a new table or the previous one, whichever codes `counts` smallest.
    static func chooseTable(
        _ counts: UnsafeBufferPointer<Int>, codes: UnsafePointer<UInt8>, total: Int, kind: SequenceKind, previous: FSEEncodingTable?,
        description: inout [UInt8]
    ) -> SequenceTableChoice {
        // Few sequences: costs summed over the codes themselves, cheaper than over the alphabet.
        func cost(_ table: FSEEncodingTable) -> Double? {
            guard total < 32 else { return table.cost(of: counts) }
            return table.bitCosts.withUnsafeBufferPointer { bitCosts in
                var bits = 0.0
                for i in 0..<total {
                    let code = Int(codes[i])
                    guard code < bitCosts.count, bitCosts[code] < .infinity else { return nil }
                    bits += bitCosts[code]
                }
                return bits
            }
        }
        var maxSymbol = counts.count - 1
        while counts[maxSymbol] == 0 { maxSymbol -= 1 }
        let predefined = SequenceCodes.predefinedTables[kind.rawValue]
        if counts[maxSymbol] == total {
            if total <= 2, cost(predefined) != nil {
                return SequenceTableChoice(mode: SequenceTableChoice.predefinedMode, table: predefined)
            }
            description.append(UInt8(maxSymbol))
            return SequenceTableChoice(mode: SequenceTableChoice.rleMode, table: nil)
        }
        // The cheaper of the predefined table and the previous block's (the predefined on a tie).
        let predefinedBits = cost(predefined) ?? .infinity
        let previousBits = previous.flatMap { cost($0) } ?? .infinity
        let reuse = previousBits < predefinedBits
        let bestBits = min(predefinedBits, previousBits)
        @inline(__always) func existing() -> SequenceTableChoice {
            reuse ? SequenceTableChoice(mode: SequenceTableChoice.repeatMode, table: previous)
                : SequenceTableChoice(mode: SequenceTableChoice.predefinedMode, table: predefined)
        }
        // A handful of sequences never pays for a new table (zstd reasons the same way).
        if bestBits < .infinity, total < 16 { return existing() }
        let log = FSE.optimalAccuracyLog(maxLog: kind.maxAccuracyLog, total: total, maxSymbol: maxSymbol)
        let trimmed = Array(counts[0...maxSymbol])
        var header = [UInt8]()
        if let normalized = FSE.normalize(trimmed, total: total, accuracyLog: log, allowLowProbability: total >= 2048) {
            FSE.writeCounts(normalized, accuracyLog: log, into: &header)
            if let bits = FSE.cost(of: trimmed, under: normalized, accuracyLog: log),
               bits + Double(header.count * 8) < bestBits || bestBits == .infinity
            {
                description += header
                return SequenceTableChoice(
                    mode: SequenceTableChoice.compressedMode, table: FSEEncodingTable(counts: normalized, accuracyLog: log))
            }
        }
        precondition(bestBits < .infinity, "no table codes the \(kind.name) of this block")
        return existing()
    }
}
