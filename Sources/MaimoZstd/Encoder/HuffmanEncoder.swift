/// Huffman coding of literals (RFC 8878 §4.2): code lengths limited to 11 bits, the tree
/// description (FSE-compressed or 4-bit weights), and the one- and four-stream encodings.
final class HuffmanEncodingTable: @unchecked Sendable {
    /// Code length of each byte value, 0 for bytes that do not occur.
    var lengths = [UInt8](repeating: 0, count: 256)
    /// The canonical code (right-aligned) and length of each byte value in one word
    /// (`code | length << 16`): one load per literal coded.
    var elements = [UInt32](repeating: 0, count: 256)
    var tableLog = 0
    var maxSymbol = 0
    /// The longest code this encoder makes (RFC 8878's limit; a dictionary's table may hold 12).
    static let maxCodeLength = 11

    /// The optimal length-limited code for `counts` (at least two symbols present).
    init?(counts: UnsafePointer<Int>, maxSymbol: Int) {
        var present = 0
        for s in 0...maxSymbol where counts[s] > 0 { present += 1 }
        guard present >= 2 else { return nil }
        self.maxSymbol = maxSymbol
        var weights = (0...maxSymbol).map { counts[$0] }
        while true {
            let lengths = Self.huffmanLengths(weights)
            if lengths.max()! <= Self.maxCodeLength {
                for s in 0...maxSymbol { self.lengths[s] = UInt8(lengths[s]) }
                break
            }
            // Too deep: flatten the distribution and try again (rare; costs a fraction of a bit).
            for s in 0..<weights.count where weights[s] > 0 { weights[s] = (weights[s] + 1) >> 1 }
        }
        tableLog = Int(lengths.max()!)
        assignCodes()
    }

    /// Rebuilds a table from code lengths (a dictionary's Huffman description).
    init(lengths: [UInt8], maxSymbol: Int) {
        self.maxSymbol = maxSymbol
        for s in 0..<lengths.count { self.lengths[s] = lengths[s] }
        tableLog = Int(lengths.max() ?? 0)
        assignCodes()
    }

    /// Canonical codes in the decoder's order: by weight ascending (longest codes first), then by
    /// symbol, each code the top bits of its first decoding-table slot.
    func assignCodes() {
        var rankStart = [Int](repeating: 0, count: Huffman.maxTableLog + 2)
        var rankCount = [Int](repeating: 0, count: Huffman.maxTableLog + 2)
        for s in 0...maxSymbol where lengths[s] > 0 { rankCount[tableLog + 1 - Int(lengths[s])] += 1 }
        var start = 0
        for weight in 1...max(1, tableLog) {
            rankStart[weight] = start
            start += rankCount[weight] << (weight - 1)
        }
        for s in 0...maxSymbol where lengths[s] > 0 {
            let weight = tableLog + 1 - Int(lengths[s])
            elements[s] = UInt32(rankStart[weight] >> (weight - 1)) | UInt32(lengths[s]) << 16
            rankStart[weight] += 1 << (weight - 1)
        }
    }

    /// Unlimited Huffman code lengths (two-queue merge over symbols sorted by count).
    static func huffmanLengths(_ counts: [Int]) -> [Int] {
        let symbols = (0..<counts.count).filter { counts[$0] > 0 }.sorted { counts[$0] < counts[$1] }
        let n = symbols.count
        var parent = [Int](repeating: -1, count: 2 * n)
        var weight = symbols.map { counts[$0] } + [Int](repeating: 0, count: n)
        var leaf = 0, node = n, nextNode = n
        for _ in 0..<(n - 1) {
            var pair = [0, 0]
            for k in 0..<2 {
                if leaf < n && (node >= nextNode || weight[leaf] <= weight[node]) {
                    pair[k] = leaf; leaf += 1
                } else {
                    pair[k] = node; node += 1
                }
            }
            weight[nextNode] = weight[pair[0]] + weight[pair[1]]
            parent[pair[0]] = nextNode
            parent[pair[1]] = nextNode
            nextNode += 1
        }
        var depth = [Int](repeating: 0, count: 2 * n)
        if nextNode >= 2 {
            for i in stride(from: nextNode - 2, through: 0, by: -1) { depth[i] = depth[parent[i]] + 1 }
        }
        var lengths = [Int](repeating: 0, count: counts.count)
        for (i, s) in symbols.enumerated() { lengths[s] = depth[i] }
        return lengths
    }

    /// Bits to code `counts` with this table (nil if a present symbol has no code).
    func cost(of counts: UnsafePointer<Int>, maxSymbol: Int) -> Int? {
        var bits = 0
        for s in 0...maxSymbol where counts[s] > 0 {
            guard s <= self.maxSymbol, lengths[s] > 0 else { return nil }
            bits += counts[s] * Int(lengths[s])
        }
        return bits
    }

    /// Appends the tree description; nil when it cannot be written (then use raw literals).
    func description() -> [UInt8]? {
        let weightCount = maxSymbol      // the last symbol's weight is implied
        var weights = [Int](repeating: 0, count: weightCount)
        for s in 0..<weightCount where lengths[s] > 0 { weights[s] = tableLog + 1 - Int(lengths[s]) }
        if let compressed = Self.compressWeights(weights), compressed.count < (weightCount + 1) / 2 || weightCount > 128 {
            return [UInt8(compressed.count)] + compressed
        }
        guard weightCount <= 128, weightCount >= 1 else { return nil }
        var out: [UInt8] = [UInt8(127 + weightCount)]
        var i = 0
        while i < weightCount {
            let high = weights[i], low = i + 1 < weightCount ? weights[i + 1] : 0
            out.append(UInt8(high << 4 | low))
            i += 2
        }
        return out
    }

    /// FSE-compresses weights with two interleaved states (accuracy log at most 6).
    static func compressWeights(_ weights: [Int]) -> [UInt8]? {
        guard weights.count >= 2 else { return nil }
        var counts = [Int](repeating: 0, count: Huffman.maxTableLog + 1)
        for w in weights { counts[w] += 1 }
        var maxSymbol = counts.count - 1
        while maxSymbol > 0 && counts[maxSymbol] == 0 { maxSymbol -= 1 }
        counts = Array(counts[0...maxSymbol])
        let log = FSE.optimalAccuracyLog(maxLog: 6, total: weights.count, maxSymbol: maxSymbol)
        guard let normalized = FSE.normalize(counts, total: weights.count, accuracyLog: log, allowLowProbability: false) else {
            return nil
        }
        var out = [UInt8]()
        FSE.writeCounts(normalized, accuracyLog: log, into: &out)
        guard out.count < 127 else { return nil }
        let table = FSEEncodingTable(counts: normalized, accuracyLog: log)
        let capacity = 256
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + 8)
        defer { buffer.deallocate() }
        var writer = BitWriter(buffer, capacity: capacity)
        var index = weights.count
        var state1: Int, state2: Int
        if weights.count & 1 == 1 {
            index -= 1; state1 = table.initialState(weights[index])
            index -= 1; state2 = table.initialState(weights[index])
            index -= 1; table.encode(weights[index], state: &state1, into: &writer)
        } else {
            index -= 1; state2 = table.initialState(weights[index])
            index -= 1; state1 = table.initialState(weights[index])
        }
        writer.flush()
        while index > 0 {
            index -= 1; table.encode(weights[index], state: &state2, into: &writer)
            index -= 1; table.encode(weights[index], state: &state1, into: &writer)
            writer.flush()
        }
        table.flush(state2, into: &writer)
        table.flush(state1, into: &writer)
        guard let size = writer.closeBackward() else { return nil }
        out += UnsafeBufferPointer(start: buffer, count: size)
        return out.count < 128 ? out : nil
    }
}
