/// The compressing side of finite state entropy (RFC 8878 §4.1): normalizing counts to a table,
/// writing the table description the decoder reads, and the encoding table.
final class FSEEncodingTable: @unchecked Sendable {
    let accuracyLog: Int
    /// Indexed by `state - tableSize + …`: the next state for each (symbol, bits) pair.
    let stateTable: UnsafeMutablePointer<UInt16>
    /// Per symbol: where its states begin (`deltaFindState`), and how many bits a state emits
    /// when encoding it (`(state + deltaBits) >> 16`): one load per symbol coded.
    let transforms: UnsafeMutablePointer<SymbolTransform>
    let symbolCount: Int
    /// The normalized counts the table was built from (for cost estimates and repeat mode).
    let counts: [Int16]
    /// Bits each symbol costs under this table (infinite for symbols it cannot code).
    let bitCosts: [Double]

    struct SymbolTransform {
        var deltaFindState: Int32
        var deltaBits: UInt32
    }

    /// Builds the encoding table for normalized `counts` (summing to `1 << accuracyLog`, -1 for
    /// "less than one").
    init(counts: [Int16], accuracyLog: Int) {
        self.accuracyLog = accuracyLog
        self.counts = counts
        symbolCount = counts.count
        let size = 1 << accuracyLog
        var symbols = [UInt8](repeating: 0, count: size)
        var cumulative = [Int](repeating: 0, count: counts.count + 1)
        var high = size - 1
        for s in 0..<counts.count {
            if counts[s] == -1 {
                cumulative[s + 1] = cumulative[s] + 1
                symbols[high] = UInt8(s)
                high -= 1
            } else {
                cumulative[s + 1] = cumulative[s] + Int(counts[s])
            }
        }
        let step = (size >> 1) + (size >> 3) + 3
        var position = 0
        for s in 0..<counts.count where counts[s] > 0 {
            for _ in 0..<Int(counts[s]) {
                symbols[position] = UInt8(s)
                repeat { position = (position + step) & (size - 1) } while position > high
            }
        }
        stateTable = .allocate(capacity: size)
        var next = cumulative
        for u in 0..<size {
            let s = Int(symbols[u])
            stateTable[next[s]] = UInt16(size + u)
            next[s] += 1
        }
        transforms = .allocate(capacity: counts.count)
        var total = 0
        for s in 0..<counts.count {
            switch counts[s] {
            case 0:
                transforms[s] = SymbolTransform(deltaFindState: 0, deltaBits: UInt32(((accuracyLog + 1) << 16) - size))
            case -1, 1:
                transforms[s] = SymbolTransform(deltaFindState: Int32(total - 1), deltaBits: UInt32((accuracyLog << 16) - size))
                total += 1
            default:
                let count = Int(counts[s])
                let maxBitsOut = accuracyLog - (Int.bitWidth - 1 - (count - 1).leadingZeroBitCount)
                let minStatePlus = count << maxBitsOut
                transforms[s] = SymbolTransform(deltaFindState: Int32(total - count),
                                                deltaBits: UInt32(truncatingIfNeeded: (maxBitsOut << 16) - minStatePlus))
                total += count
            }
        }
        bitCosts = counts.map { $0 == 0 ? .infinity : Double(accuracyLog) - log2($0 == -1 ? 1.0 : Double($0)) }
    }

    /// A table for a kind coded as one repeated symbol (RLE mode): every symbol costs no bits and
    /// the state stays put, so that the sequence loop codes all three kinds the same way.
    private init(repeatingSymbols symbolCount: Int) {
        accuracyLog = 0
        self.symbolCount = symbolCount
        counts = []
        bitCosts = []
        stateTable = .allocate(capacity: 2)
        stateTable.initialize(repeating: 1, count: 2)
        transforms = .allocate(capacity: symbolCount)
        transforms.initialize(repeating: SymbolTransform(deltaFindState: 0, deltaBits: 0), count: symbolCount)
    }

    /// The table that codes the single symbol of RLE mode (which writes no bits).
    static let repeating = FSEEncodingTable(repeatingSymbols: 64)

    deinit {
        stateTable.deallocate()
        transforms.deallocate()
    }

    /// Bits to code `counts` with this table (nil if a present symbol has no slot).
    func cost(of counts: UnsafeBufferPointer<Int>) -> Double? {
        var bits = 0.0
        for s in 0..<counts.count where counts[s] > 0 {
            guard s < bitCosts.count, bitCosts[s] < .infinity else { return nil }
            bits += Double(counts[s]) * bitCosts[s]
        }
        return bits
    }

    /// The state that starts encoding with `symbol` as the last symbol written.
    @inline(__always)
    func initialState(_ symbol: Int) -> Int {
        let transform = transforms[symbol]
        let bits = (Int(transform.deltaBits) + (1 << 15)) >> 16
        let value = (bits << 16) - Int(transform.deltaBits)
        return Int(stateTable[(value >> bits) + Int(transform.deltaFindState)])
    }

    /// Encodes `symbol` from `state`: writes the state's low bits and moves to the next state.
    @inline(__always)
    func encode(_ symbol: Int, state: inout Int, into writer: inout BitWriter) {
        FSEEncoderState.encode(symbol, state: &state, transforms: transforms, stateTable: stateTable, into: &writer)
    }

    /// Writes the final state: the decoder's initial state.
    @inline(__always)
    func flush(_ state: Int, into writer: inout BitWriter) {
        writer.add(UInt64(state), accuracyLog)
        writer.flush()
    }
}

/// One FSE encoding state with its table's pointers in hand (for the loops that code many
/// symbols: nothing is looked up through the table object per symbol).
struct FSEEncoderState {
    var value: Int
    let transforms: UnsafePointer<FSEEncodingTable.SymbolTransform>
    let stateTable: UnsafePointer<UInt16>

    /// A state of `table` that starts with `symbol`, the last symbol written.
    init(_ table: FSEEncodingTable, first symbol: Int) {
        value = table.initialState(symbol)
        transforms = UnsafePointer(table.transforms)
        stateTable = UnsafePointer(table.stateTable)
    }

    @inline(__always)
    mutating func encode(_ symbol: Int, into writer: inout BitWriter) {
        Self.encode(symbol, state: &value, transforms: transforms, stateTable: stateTable, into: &writer)
    }

    @inline(__always)
    static func encode(
        _ symbol: Int, state: inout Int, transforms: UnsafePointer<FSEEncodingTable.SymbolTransform>, stateTable: UnsafePointer<UInt16>,
        into writer: inout BitWriter
    ) {
        let transform = transforms[symbol]
        let bits = (state &+ Int(transform.deltaBits)) &>> 16
        writer.add(UInt64(truncatingIfNeeded: state), bits)
        state = Int(stateTable[(state &>> bits) &+ Int(transform.deltaFindState)])
    }
}

extension FSE {
    /// The accuracy log zstd would choose for `total` symbols of an alphabet up to `maxSymbol`.
    static func optimalAccuracyLog(maxLog: Int, total: Int, maxSymbol: Int) -> Int {
        var log = maxLog
        let fromSource = (Int.bitWidth - 1 - (total - 1).leadingZeroBitCount) - 2
        if fromSource < log { log = fromSource }
        let minimum = min((Int.bitWidth - 1 - total.leadingZeroBitCount) + 1, (Int.bitWidth - 1 - maxSymbol.leadingZeroBitCount) + 2)
        if minimum > log { log = minimum }
        return max(5, min(log, maxLog))
    }

    /// Normalizes `counts` (summing to `total`) to `1 << accuracyLog`; symbols far rarer than one
    /// table slot get -1 when `allowLowProbability`. Nil when one symbol has every count (RLE).
    static func normalize(_ counts: [Int], total: Int, accuracyLog: Int, allowLowProbability: Bool) -> [Int16]? {
        let scale = 62 - accuracyLog
        let step = (UInt64(1) << 62) / UInt64(total)
        let restToBeat: [UInt64] = [0, 473_195, 504_333, 520_860, 550_000, 700_000, 750_000, 830_000]
        let vStep = UInt64(1) << UInt64(scale - 20)
        let lowThreshold = total >> accuracyLog
        var normalized = [Int16](repeating: 0, count: counts.count)
        var toDistribute = 1 << accuracyLog
        var largest = 0
        var largestValue: Int16 = 0
        for s in 0..<counts.count {
            let count = counts[s]
            if count == total { return nil }
            if count == 0 { continue }
            if count <= lowThreshold && allowLowProbability {
                normalized[s] = -1
                toDistribute -= 1
                continue
            }
            let scaled = UInt64(count) &* step
            var probability = Int16(truncatingIfNeeded: scaled >> UInt64(scale))
            if probability < 8 {
                let rest = scaled - (UInt64(probability) << UInt64(scale))
                if rest > vStep &* restToBeat[Int(probability)] { probability += 1 }
            }
            if probability == 0 { probability = 1 }
            if probability > largestValue { largestValue = probability; largest = s }
            normalized[s] = probability
            toDistribute -= Int(probability)
        }
        if toDistribute >= 0 || -toDistribute < Int(normalized[largest]) >> 1 {
            normalized[largest] += Int16(toDistribute)
            return normalized
        }
        // Too much taken for the largest symbol to give back: take one at a time from the
        // symbols with the most slots (never below one).
        while toDistribute < 0 {
            var best = -1
            for s in 0..<counts.count where normalized[s] > 1 && (best < 0 || normalized[s] > normalized[best]) { best = s }
            guard best >= 0 else { return nil }
            let give = min(-toDistribute, Int(normalized[best]) - 1, max(1, Int(normalized[best]) / 4))
            normalized[best] -= Int16(give)
            toDistribute += give
        }
        return normalized
    }

    /// Writes the table description of `counts` (the inverse of ``readCounts``).
    static func writeCounts(_ counts: [Int16], accuracyLog: Int, into output: inout [UInt8]) {
        var bits: UInt64 = UInt64(accuracyLog - 5)
        var bitCount = 4
        func flush16() {
            while bitCount >= 8 {
                output.append(UInt8(truncatingIfNeeded: bits))
                bits >>= 8
                bitCount -= 8
            }
        }
        var remaining = (1 << accuracyLog) + 1
        var threshold = 1 << accuracyLog
        var bitWidth = accuracyLog + 1
        var symbol = 0
        var previousWasZero = false
        let alphabet = counts.count
        while remaining > 1 && symbol < alphabet {
            if previousWasZero {
                var start = symbol
                while symbol < alphabet && counts[symbol] == 0 { symbol += 1 }
                while symbol >= start + 24 {
                    start += 24
                    bits |= 0xFFFF << UInt64(bitCount)
                    bitCount += 16
                    flush16()
                }
                while symbol >= start + 3 {
                    start += 3
                    bits |= 3 << UInt64(bitCount)
                    bitCount += 2
                }
                bits |= UInt64(symbol - start) << UInt64(bitCount)
                bitCount += 2
                flush16()
            }
            var count = Int(counts[symbol])
            symbol += 1
            let largest = (2 * threshold - 1) - remaining
            remaining -= count < 0 ? -count : count
            count += 1
            if count >= threshold { count += largest }
            bits |= UInt64(count) << UInt64(bitCount)
            bitCount += bitWidth
            if count < largest { bitCount -= 1 }
            previousWasZero = count == 1
            while remaining < threshold {
                bitWidth -= 1
                threshold >>= 1
            }
            flush16()
        }
        while bitCount > 0 {
            output.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
            bitCount -= 8
        }
    }

    /// The cost in bits of coding `counts` with normalized `table` (nil if a symbol is missing).
    static func cost(of counts: [Int], under table: [Int16], accuracyLog: Int) -> Double? {
        var bits = 0.0
        for s in 0..<counts.count where counts[s] > 0 {
            guard s < table.count, table[s] != 0 else { return nil }
            let slots = table[s] == -1 ? 1.0 : Double(table[s])
            bits += Double(counts[s]) * (Double(accuracyLog) - log2(slots))
        }
        return bits
    }
}

#if hasFeature(Embedded)
/// Base-2 logarithm of a positive `x` without libm (Embedded Swift): the exponent, plus
/// 2·atanh((m−1)/(m+1))/ln 2 for the significand m in [1, 2), summed to double precision.
private func log2(_ x: Double) -> Double {
    let m = x.significand
    let t = (m - 1) / (m + 1), t2 = t * t
    var term = t, sum = 0.0, k = 1.0
    while true {
        let next = sum + term / k
        if next == sum { break }
        sum = next
        term *= t2
        k += 2
    }
    return Double(x.exponent) + 2 * sum / 0.693_147_180_559_945_309_4
}
#else
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#elseif canImport(WASILibc)
import WASILibc
#endif
#endif
