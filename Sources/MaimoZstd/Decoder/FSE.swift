/// One state of a finite state entropy decoding table (RFC 8878 §4.1): the symbol it decodes,
/// how many bits to read for the next state, and the base that those bits are added to.
struct FSECell {
    var symbol: UInt8 = 0
    var stateBits: UInt8 = 0
    var nextState: UInt16 = 0
}

/// One state of a sequence decoding table: the FSE cell with its symbol already turned into the
/// code's base value and extra-bit count (literal length, match length or offset code).
struct SequenceCell {
    var baseValue: UInt32 = 0
    var nextState: UInt16 = 0
    var extraBits: UInt8 = 0
    var stateBits: UInt8 = 0
}

enum FSE {
    /// Reads an FSE table description (RFC 8878 §4.1.1) into `counts` (room for `maxSymbol + 1`).
    /// Returns the accuracy log, how many symbols have counts, and the bytes the description took.
    static func readCounts(
        _ source: UnsafeRawBufferPointer, maxSymbol: Int, maxAccuracyLog: Int,
        into counts: UnsafeMutablePointer<Int16>, offset: UInt64
    ) throws(ZstdError) -> (accuracyLog: Int, symbolCount: Int, byteCount: Int) {
        guard source.count >= 1 else { throw .corrupt(offset: offset, reason: "FSE table description is empty") }
        var reader = ForwardBitReader(source)
        let accuracyLog = Int(reader.peek32() & 0xF) + 5
        reader.skip(4)
        guard accuracyLog <= maxAccuracyLog else {
            throw .corrupt(offset: offset, reason: "FSE accuracy log \(accuracyLog) exceeds the maximum \(maxAccuracyLog)")
        }
        var remaining = (1 << accuracyLog) + 1
        var threshold = 1 << accuracyLog
        var bitCount = accuracyLog + 1
        var symbol = 0
        var previousWasZero = false
        while remaining > 1 && symbol <= maxSymbol {
            if previousWasZero {
                var next = symbol
                while true {
                    let repeatCount = Int(reader.peek32() & 3)
                    reader.skip(2)
                    next += repeatCount
                    if repeatCount != 3 || reader.overrun { break }
                }
                guard next <= maxSymbol, !reader.overrun else {
                    throw .corrupt(offset: offset, reason: "FSE table description runs past its symbols")
                }
                while symbol < next { counts[symbol] = 0; symbol += 1 }
            }
            let bits = Int(reader.peek32() & 0x7FFF_FFFF)  // 31 bits: an Int even on 32-bit targets
            let largest = (2 * threshold - 1) - remaining
            var count: Int
            if bits & (threshold - 1) < largest {
                count = bits & (threshold - 1)
                reader.skip(bitCount - 1)
            } else {
                count = bits & (2 * threshold - 1)
                if count >= threshold { count -= largest }
                reader.skip(bitCount)
            }
            count -= 1
            remaining -= count < 0 ? -count : count
            counts[symbol] = Int16(count)
            symbol += 1
            previousWasZero = count == 0
            guard remaining >= 1 else { throw .corrupt(offset: offset, reason: "FSE probabilities exceed the table size") }
            while remaining < threshold {
                bitCount -= 1
                threshold >>= 1
            }
        }
        guard remaining == 1 else {
            throw .corrupt(offset: offset, reason: "FSE probabilities do not add up to the table size")
        }
        guard !reader.overrun else { throw .corrupt(offset: offset, reason: "FSE table description is truncated") }
        return (accuracyLog, symbol, reader.bytesConsumed)
    }

    /// Builds the decoding table of `1 << accuracyLog` cells from normalized counts (RFC 8878
    /// §4.1.1, "FSE table construction"); throws if the counts cannot fill the table exactly.
    static func buildTable(
        counts: UnsafePointer<Int16>, symbolCount: Int, accuracyLog: Int,
        into cells: UnsafeMutablePointer<FSECell>, offset: UInt64
    ) throws(ZstdError) {
        let size = 1 << accuracyLog
        var highThreshold = size - 1
        var failed = false
        withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 256) { next in
            for symbol in 0..<symbolCount {
                let count = counts[symbol]
                if count == -1 {
                    guard highThreshold >= 0 else { failed = true; return }
                    cells[highThreshold].symbol = UInt8(truncatingIfNeeded: symbol)
                    highThreshold -= 1
                    next[symbol] = 1
                } else {
                    next[symbol] = UInt16(truncatingIfNeeded: max(Int(count), 0))
                }
            }
            // zstd's spread: the symbols laid down in order, eight bytes at a time, then one walk
            // of the table (the cells above `highThreshold` hold the "less than one" symbols);
            // no inner loop whose length changes with every symbol.
            failed = !spread(counts: counts, symbolCount: symbolCount, size: size, highThreshold: highThreshold, into: cells)
            if failed { return }
            for state in 0..<size {
                let symbol = Int(cells[state].symbol)
                let x = Int(next[symbol])
                next[symbol] &+= 1
                guard x > 0 else { failed = true; return }
                let bits = accuracyLog - (Int.bitWidth - 1 - x.leadingZeroBitCount)
                cells[state].stateBits = UInt8(truncatingIfNeeded: bits)
                cells[state].nextState = UInt16(truncatingIfNeeded: (x << bits) - size)
            }
        }
        if failed { throw .corrupt(offset: offset, reason: "FSE probabilities do not fill the decoding table") }
    }
}

extension FSE {
    /// Spreads the symbols with positive counts over cells `0...highThreshold`; false when
    /// their counts do not add up to exactly that many cells.
    static func spread(
        counts: UnsafePointer<Int16>, symbolCount: Int, size: Int, highThreshold: Int, into cells: UnsafeMutablePointer<FSECell>
    ) -> Bool {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: size + 8) { buffer in
            let spread = UnsafeMutableRawPointer(buffer.baseAddress!)
            let total = highThreshold + 1
            var filled = 0
            var pattern: UInt64 = 0
            for symbol in 0..<symbolCount {
                let count = Int(counts[symbol])
                if count > 0 {
                    guard count <= total - filled else { return false }
                    var i = 0
                    repeat {
                        spread.storeBytes(of: pattern, toByteOffset: filled + i, as: UInt64.self)
                        i += 8
                    } while i < count
                    filled += count
                }
                pattern &+= 0x0101_0101_0101_0101
            }
            guard filled == total else { return false }
            let step = (size >> 1) + (size >> 3) + 3
            let mask = size - 1
            var position = 0
            if highThreshold == size - 1 {
                for s in 0..<size {
                    cells[position].symbol = spread.load(fromByteOffset: s, as: UInt8.self)
                    position = (position + step) & mask
                }
            } else {
                for s in 0..<total {
                    cells[position].symbol = spread.load(fromByteOffset: s, as: UInt8.self)
                    repeat { position = (position + step) & mask } while position > highThreshold
                }
            }
            return position == 0
        }
    }
}

/// The three sequence symbol kinds and their code tables (RFC 8878 §3.1.1.3.2.1).
enum SequenceKind: Int {
    case literalLength, offset, matchLength

    var maxSymbol: Int { [35, 31, 52][rawValue] }
    var maxAccuracyLog: Int { [9, 8, 9][rawValue] }
    var name: String { ["literal lengths", "offsets", "match lengths"][rawValue] }
    /// Where this kind's table starts in the decompressor's one buffer of sequence cells, which
    /// every cell's `nextState` includes: the sequence loop indexes one base pointer.
    var tableOffset: Int { [0, 512, 768][rawValue] }
    /// Cells of the three tables together, each at its largest (2⁹, 2⁸, 2⁹).
    static let combinedCapacity = SequenceKind.matchLength.tableOffset + (1 << SequenceKind.matchLength.maxAccuracyLog)

    static let literalLengthBase: [UInt32] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 28, 32, 40,
        48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536,
    ]
    static let literalLengthBits: [UInt8] = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3,
        4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    ]
    static let matchLengthBase: [UInt32] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
        27, 28, 29, 30, 31, 32, 33, 34, 35, 37, 39, 41, 43, 47, 51, 59, 67, 83, 99, 131, 259, 515,
        1027, 2051, 4099, 8195, 16387, 32771, 65539,
    ]
    static let matchLengthBits: [UInt8] = [
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11,
        12, 13, 14, 15, 16,
    ]

    /// The predefined distributions (RFC 8878 §3.1.1.3.2.2) and their accuracy logs.
    var predefined: (counts: [Int16], accuracyLog: Int) {
        switch self {
        case .literalLength:
            return ([4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2,
                     2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1], 6)
        case .matchLength:
            return ([1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                     1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1,
                     -1, -1, -1, -1, -1], 6)
        case .offset:
            return ([1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                     -1, -1, -1, -1, -1], 5)
        }
    }

    /// The value base and extra bits of `symbol`.
    @inline(__always)
    func code(_ symbol: Int) -> (base: UInt32, bits: UInt8) {
        switch self {
        case .literalLength: return (Self.literalLengthBase[symbol], Self.literalLengthBits[symbol])
        case .matchLength: return (Self.matchLengthBase[symbol], Self.matchLengthBits[symbol])
        case .offset: return (UInt32(1) << UInt32(symbol), UInt8(symbol))
        }
    }

    /// Fills `cells` with the sequence table for the FSE table in `fse`.
    func fill(_ cells: UnsafeMutablePointer<SequenceCell>, from fse: UnsafePointer<FSECell>, accuracyLog: Int) {
        let offset = UInt16(tableOffset)
        let count = 1 << accuracyLog
        if self == .offset {
            for state in 0..<count {
                let cell = fse[state]
                cells[state] = SequenceCell(
                    baseValue: 1 << UInt32(cell.symbol), nextState: cell.nextState &+ offset, extraBits: cell.symbol, stateBits: cell.stateBits)
            }
            return
        }
        // The code tables through pointers: the static arrays' accessors once, not per cell.
        // Symbols are below the tables' sizes (`FSE.readCounts` refuses more than `maxSymbol`).
        let (bases, extra) = self == .literalLength ? (Self.literalLengthBase, Self.literalLengthBits) : (Self.matchLengthBase, Self.matchLengthBits)
        bases.withUnsafeBufferPointer { bases in
            extra.withUnsafeBufferPointer { extra in
                for state in 0..<count {
                    let cell = fse[state]
                    let symbol = Int(cell.symbol)
                    cells[state] = SequenceCell(
                        baseValue: bases[symbol], nextState: cell.nextState &+ offset, extraBits: extra[symbol], stateBits: cell.stateBits)
                }
            }
        }
    }

    /// The one-state table of RLE mode: every sequence uses `symbol`.
    func fillRLE(_ cells: UnsafeMutablePointer<SequenceCell>, symbol: Int) {
        let (base, bits) = code(symbol)
        cells[0] = SequenceCell(baseValue: base, nextState: UInt16(tableOffset), extraBits: bits, stateBits: 0)
    }
}

/// The decoding table of one sequence kind: its cells and accuracy log.
struct SequenceTable {
    let cells: UnsafeMutablePointer<SequenceCell>
    var accuracyLog = 0
    var isValid = false

    /// A table with its own cells (free them with `deallocate()`).
    init(capacity: Int) {
        cells = .allocate(capacity: capacity)
        cells.initialize(repeating: SequenceCell(), count: capacity)
    }

    /// A table in cells someone else owns.
    init(cells: UnsafeMutablePointer<SequenceCell>) {
        self.cells = cells
    }

    func deallocate() { cells.deallocate() }

    func copy(from other: SequenceTable) -> SequenceTable {
        var copy = self
        cells.update(from: other.cells, count: 1 << other.accuracyLog)
        copy.accuracyLog = other.accuracyLog
        copy.isValid = other.isValid
        return copy
    }
}
