/// What the optimal parser thinks each symbol costs, in 1/256 bits: −log2 of its frequency among
/// the symbols coded so far in the frame, plus the extra bits its code carries (zstd's
/// `optState_t` prices, kept simpler). Frequencies start from the first block's own literals and
/// fixed guesses for the sequence codes, then follow every sequence the parser records, so
/// prices adapt within a block; each new block scales the earlier counts down to a small total.
final class OptimalPrices {
    static let bit = 256
    /// The frequencies of literals, literal length codes, match length codes and offset codes,
    /// in one buffer (at `literalStart`, `literalLengthStart`, …), and each table's total.
    static let literalStart = 0, literalLengthStart = 256, matchLengthStart = 292, offsetStart = 345, size = 377
    let frequencies = UnsafeMutablePointer<Int>.allocate(capacity: size)
    var sums = (literals: 0, literalLengths: 0, matchLengths: 0, offsets: 0)
    /// log2 of each total (the price of a symbol seen once).
    var sumLogs = (literals: 0, literalLengths: 0, matchLengths: 0, offsets: 0)
    /// Whether the frequencies describe earlier blocks of this frame.
    var hasHistory = false
    let literalLengthCodes = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
    let matchLengthCodes = UnsafeMutablePointer<UInt8>.allocate(capacity: 128)
    /// Extra bits of each literal and match length code, in 1/256 bits.
    let literalLengthExtra = UnsafeMutablePointer<Int>.allocate(capacity: 36)
    let matchLengthExtra = UnsafeMutablePointer<Int>.allocate(capacity: 53)

    // The reference's starting guesses for literal lengths and offset codes (`baseLLfreqs`,
    // `baseOFCfreqs`): short literal runs and the repeat codes are common.
    static let literalLengthGuess: [Int] = [4, 2] + Array(repeating: 1, count: 34)
    static let offsetGuess: [Int] = [6, 2, 1, 1, 2, 3, 4, 4, 4, 3, 2, 1] + Array(repeating: 1, count: 20)

    init() {
        for (i, code) in SequenceCodes.literalLengthCodes.enumerated() { literalLengthCodes[i] = code }
        for (i, code) in SequenceCodes.matchLengthCodes.enumerated() { matchLengthCodes[i] = code }
        for code in 0..<36 { literalLengthExtra[code] = Int(SequenceKind.literalLengthBits[code]) * Self.bit }
        for code in 0..<53 { matchLengthExtra[code] = Int(SequenceKind.matchLengthBits[code]) * Self.bit }
    }

    deinit {
        frequencies.deallocate()
        literalLengthCodes.deallocate()
        matchLengthCodes.deallocate()
        literalLengthExtra.deallocate()
        matchLengthExtra.deallocate()
    }

    func reset() { hasHistory = false }

    /// Makes these prices what `other`'s are.
    func copy(from other: OptimalPrices) {
        frequencies.update(from: other.frequencies, count: Self.size)
        sums = other.sums
        sumLogs = other.sumLogs
        hasHistory = other.hasHistory
    }

    /// Sets the frequencies for a block of `count` bytes at `bytes`.
    func beginBlock(_ bytes: UnsafePointer<UInt8>, count: Int) {
        if hasHistory {
            // Scaled down to totals of about 2^12 (literals) and 2^11 (codes), as zstd's
            // `ZSTD_scaleStats`: the earlier blocks only seed the new one, whose own sequences soon
            // outweigh them.
            scale(Self.literalStart, 256, toLog: 12)
            scale(Self.literalLengthStart, 36, toLog: 11)
            scale(Self.matchLengthStart, 53, toLog: 11)
            scale(Self.offsetStart, 32, toLog: 11)
        } else {
            let literals = frequencies + Self.literalStart
            literals.initialize(repeating: 0, count: 256)
            for i in 0..<count { literals[Int(bytes[i])] += 1 }
            // A faint prior (zstd's: a 256th of the counts): the first parse's own choices soon
            // outweigh it. Counted in full (a quarter) it held the first block's prices near the
            // raw bytes', and at some settings the frame never recovered (levels 17 and 18 made a
            // 4 MB binary 5.5-7% larger than zstd's; now 0.98-1.0).
            for s in 0..<256 { literals[s] = 1 + literals[s] >> 8 }
            for s in 0..<36 { frequencies[Self.literalLengthStart + s] = Self.literalLengthGuess[s] }
            for s in 0..<53 { frequencies[Self.matchLengthStart + s] = 1 }
            for s in 0..<32 { frequencies[Self.offsetStart + s] = Self.offsetGuess[s] }
        }
        func total(_ start: Int, _ count: Int) -> Int { (start..<(start + count)).reduce(0) { $0 + frequencies[$1] } }
        sums = (total(Self.literalStart, 256), total(Self.literalLengthStart, 36),
                total(Self.matchLengthStart, 53), total(Self.offsetStart, 32))
        updateLogs()
    }

    func scale(_ start: Int, _ count: Int, toLog target: Int) {
        var sum = 0
        for s in start..<(start + count) { sum += frequencies[s] }
        let shift = max(0, Int.bitWidth - 1 - sum.leadingZeroBitCount - target)
        guard shift > 0 else { return }
        for s in start..<(start + count) { frequencies[s] = 1 + frequencies[s] >> shift }
    }

    @inline(__always)
    func updateLogs() {
        sumLogs = (Self.log2(sums.literals), Self.log2(sums.literalLengths), Self.log2(sums.matchLengths), Self.log2(sums.offsets))
    }

    /// log2(x) in 1/256 bits, from the position of the top bit and the next eight bits.
    @inline(__always)
    static func log2(_ x: Int) -> Int {
        let top = Int.bitWidth - 1 - x.leadingZeroBitCount
        let fraction = top >= 8 ? (x &>> (top - 8)) & 0xFF : (x &<< (8 - top)) & 0xFF
        return top &* bit &+ fraction
    }

    /// A literal byte: at least 1 bit (the shortest Huffman code; priced below it, a run of a
    /// frequent byte looks nearly free and no match pays for itself) and at most 11 (the longest).
    @inline(__always)
    func literal(_ byte: UInt8) -> Int {
        max(Self.bit, min(11 * Self.bit, sumLogs.literals - Self.log2(frequencies[Self.literalStart + Int(byte)])))
    }

    @inline(__always)
    func literalLengthCode(_ value: Int) -> Int {
        SequenceCodes.literalLength(value, table: UnsafeBufferPointer(start: literalLengthCodes, count: 64))
    }

    @inline(__always)
    func matchLengthCode(_ length: Int) -> Int {
        SequenceCodes.matchLength(length, table: UnsafeBufferPointer(start: matchLengthCodes, count: 128))
    }

    @inline(__always)
    func literalLength(_ length: Int) -> Int {
        let code = literalLengthCode(length)
        return sumLogs.literalLengths - Self.log2(frequencies[Self.literalLengthStart + code]) + literalLengthExtra[code]
    }

    /// The offset value `value` (1–3 a repeat code, else distance + 3).
    @inline(__always)
    func offset(_ value: Int) -> Int {
        let code = Int.bitWidth - 1 - value.leadingZeroBitCount
        return sumLogs.offsets - Self.log2(frequencies[Self.offsetStart + code]) + code * Self.bit
    }

    /// A match length (at least 3).
    @inline(__always)
    func matchLength(_ length: Int) -> Int {
        let code = matchLengthCode(length)
        return sumLogs.matchLengths - Self.log2(frequencies[Self.matchLengthStart + code]) + matchLengthExtra[code]
    }

    /// Counts a chosen sequence's symbols (its literals twice, as zstd weighs them).
    @inline(__always)
    func record(literals: UnsafePointer<UInt8>, _ literalCount: Int, offsetValue: Int, matchLength: Int) {
        for i in 0..<literalCount { frequencies[Self.literalStart + Int(literals[i])] += 2 }
        frequencies[Self.literalLengthStart + literalLengthCode(literalCount)] += 1
        frequencies[Self.offsetStart + Int.bitWidth - 1 - offsetValue.leadingZeroBitCount] += 1
        frequencies[Self.matchLengthStart + matchLengthCode(matchLength)] += 1
        sums.literals += 2 * literalCount
        sums.literalLengths += 1; sums.matchLengths += 1; sums.offsets += 1
        updateLogs()
        hasHistory = true
    }
}
