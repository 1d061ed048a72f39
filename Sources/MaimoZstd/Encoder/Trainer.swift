/// Dictionary training (in the manner of zstd's fastCOVER): the content is made of the segments
/// whose 8-byte substrings occur most often across the samples, placed so that the most useful
/// ones sit nearest the data; the entropy tables are the statistics of compressing every sample
/// with that content.
extension ZstdDictionary {
    /// Trains a zstd-format dictionary (magic, random ID, tables, content) of at most `maxSize`
    /// bytes from `samples`, tuned for compression at `level`. The reference `zstd -D` loads it.
    /// - Throws: ``ZstdError/invalidDictionary(reason:)`` when the samples are too few or too small.
    public static func train(samples: [[UInt8]], maxSize: Int = 112_640, level: Int = 3, id: UInt32? = nil) throws(ZstdError) -> [UInt8] {
        let total = samples.reduce(0) { $0 + $1.count }
        guard samples.count >= 5, total >= 1024 else {
            throw .invalidDictionary(reason: "training needs at least 5 samples and 1 KiB of data (got \(samples.count) samples, \(total) bytes)")
        }
        guard maxSize >= 256 else { throw .invalidDictionary(reason: "a dictionary needs at least 256 bytes") }
        let content = selectContent(samples, capacity: min(maxSize - 200, max(total / 4, 256)))
        guard content.count >= 8 else { throw .invalidDictionary(reason: "the samples have no repeated content to learn from") }
        let tables = entropyTables(samples, content: content, level: level)
        var generator = SystemRandomNumberGenerator()
        let dictionaryID = id ?? UInt32(32768 + UInt64.random(in: 0..<((1 << 31) - 32773), using: &generator))
        var out = [UInt8]()
        for value in [magic, dictionaryID] { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) } }
        out += tables
        for rep in [1, 4, 8] as [UInt32] { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: rep >> (8 * UInt32(i)))) } }
        let room = maxSize - out.count
        out += content.suffix(room)
        return out
    }

    static let segmentSize = 256
    static let dmerSize = 8
    static let frequencyLog = 20

    @inline(__always)
    static func dmerHash(_ p: UnsafePointer<UInt8>) -> Int {
        let value = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)
        return Int(truncatingIfNeeded: (value &* 0xCF1B_BCDC_B7A5_6463) &>> UInt64(64 - frequencyLog))
    }

    /// The content: best-scoring segments, one per epoch, from the end backwards.
    static func selectContent(_ samples: [[UInt8]], capacity: Int) -> [UInt8] {
        let data = samples.flatMap { $0 }
        guard data.count >= segmentSize + dmerSize else { return data }
        var frequencies = [UInt32](repeating: 0, count: 1 << frequencyLog)
        let dmerCount = data.count - dmerSize + 1
        data.withUnsafeBufferPointer { bytes in
            for i in 0..<dmerCount { frequencies[dmerHash(bytes.baseAddress! + i)] += 1 }
        }
        let epochCount = max(1, capacity / segmentSize / 4)
        let epochSize = max(segmentSize, dmerCount / epochCount)
        var dictionary = [UInt8](repeating: 0, count: capacity)
        var tail = capacity
        var stalled = 0
        var epoch = 0
        data.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress!
            var inSegment = [UInt16](repeating: 0, count: 1 << frequencyLog)
            while tail > 0 && stalled < epochCount {
                let begin = (epoch % epochCount) * epochSize
                let end = min(dmerCount, begin + epochSize)
                epoch += 1
                guard end - begin >= segmentSize else { stalled += 1; continue }
                // Slide a window of `segmentSize` dmers; a dmer counts once per window.
                var score = 0, bestScore = 0, bestStart = begin
                var windowStart = begin
                for position in begin..<end {
                    let h = dmerHash(base + position)
                    if inSegment[h] == 0 { score += Int(frequencies[h]) }
                    inSegment[h] += 1
                    if position - windowStart + 1 > segmentSize - dmerSize + 1 {
                        let old = dmerHash(base + windowStart)
                        inSegment[old] -= 1
                        if inSegment[old] == 0 { score -= Int(frequencies[old]) }
                        windowStart += 1
                    }
                    if score > bestScore { bestScore = score; bestStart = windowStart }
                }
                for position in windowStart..<end { inSegment[dmerHash(base + position)] = 0 }
                guard bestScore > 0 else { stalled += 1; continue }
                stalled = 0
                let length = min(segmentSize, tail, data.count - bestStart)
                tail -= length
                for i in 0..<length { dictionary[tail + i] = base[bestStart + i] }
                // What is in the dictionary need not be chosen again.
                for position in bestStart..<min(dmerCount, bestStart + length - dmerSize + 1) {
                    frequencies[dmerHash(base + position)] = 0
                }
            }
        }
        return Array(dictionary[tail...])
    }

    /// The Huffman and FSE table descriptions from compressing each sample with `content`.
    static func entropyTables(_ samples: [[UInt8]], content: [UInt8], level: Int) -> [UInt8] {
        // Every symbol gets a count of at least one, so the tables describe any data.
        var literalCounts = [Int](repeating: 1, count: 256)
        let offsetMax = min(30, Int.bitWidth - 1 - (content.count + (128 << 10)).leadingZeroBitCount)
        var offsetCounts = [Int](repeating: 1, count: offsetMax + 1)
        var matchCounts = [Int](repeating: 1, count: 53)
        var literalLengthCounts = [Int](repeating: 1, count: 36)
        for sample in samples where !sample.isEmpty {
            let parameters = ZstdParameters.level(level).adjusted(forSize: UInt64(sample.count), dictionarySize: content.count)
            let finder = MatchFinder(parameters: parameters)
            let sequences = SequenceBuffer(blockSize: min(sample.count, 1 << 17) + 8)
            let window = UnsafeMutablePointer<UInt8>.allocate(capacity: content.count + sample.count + 64)
            defer { window.deallocate() }
            content.withUnsafeBufferPointer { window.update(from: $0.baseAddress!, count: content.count) }
            sample.withUnsafeBufferPointer { (window + content.count).update(from: $0.baseAddress!, count: sample.count) }
            finder.insert(window, from: 0, to: content.count)
            let end = content.count + min(sample.count, 1 << 17)
            finder.findSequences(window, start: content.count, end: end, low: 0, into: sequences)
            for i in 0..<sequences.literalCount { literalCounts[Int(sequences.literals[i])] += 1 }
            var reps = (1, 4, 8)
            for i in 0..<sequences.count {
                let literalLength = Int(sequences.literalLengths[i]), distance = Int(sequences.distances[i])
                var value = distance + 3
                if literalLength > 0 && distance == reps.0 { value = 1 }
                else if literalLength > 0 && distance == reps.1 { value = 2 }
                else if distance == reps.2 { value = literalLength > 0 ? 3 : 2 }
                if value > 1 { reps = (distance, reps.0, reps.1) }
                let code = min(offsetMax, Int.bitWidth - 1 - value.leadingZeroBitCount)
                offsetCounts[code] += 1
                matchCounts[SequenceCodes.matchLength(Int(sequences.matchLengths[i]))] += 1
                literalLengthCounts[SequenceCodes.literalLength(literalLength)] += 1
            }
        }
        var out = [UInt8]()
        let huffman = literalCounts.withUnsafeBufferPointer { HuffmanEncodingTable(counts: $0.baseAddress!, maxSymbol: 255)! }
        // A uniform literal distribution cannot be described compactly; nudge one count.
        if let description = huffman.description() {
            out += description
        } else {
            literalCounts[0] += literalCounts.reduce(0, +)
            let skewed = literalCounts.withUnsafeBufferPointer { HuffmanEncodingTable(counts: $0.baseAddress!, maxSymbol: 255)! }
            out += skewed.description() ?? []
        }
        for (counts, log) in [(offsetCounts, 8), (matchCounts, 9), (literalLengthCounts, 9)] {
            let total = counts.reduce(0, +)
            let normalized = FSE.normalize(counts, total: total, accuracyLog: log, allowLowProbability: false)!
            FSE.writeCounts(normalized, accuracyLog: log, into: &out)
        }
        return out
    }
}
