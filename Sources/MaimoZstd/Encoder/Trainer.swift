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
        let capacity = min(maxSize - 200, max(total / 4, 256))
        let shape = bestShape(samples, capacity: capacity, level: level)
        let content = selectContent(samples, capacity: capacity, segmentSize: shape.segmentSize, dmerSize: shape.dmerSize)
        guard content.count >= 8 else { throw .invalidDictionary(reason: "the samples have no repeated content to learn from") }
        let tables = entropyTables(samples, content: content, level: level)
        var generator = SystemRandomNumberGenerator()
        let dictionaryID = id ?? UInt32(32768 + UInt64.random(in: 0..<((1 << 31) - 32773), using: &generator))
        return assemble(id: dictionaryID, tables: tables, content: content, maxSize: maxSize)
    }

    /// Magic, ID, tables, the default repeat offsets, and as much of the content's end as fits.
    static func assemble(id: UInt32, tables: [UInt8], content: [UInt8], maxSize: Int) -> [UInt8] {
        var out = [UInt8]()
        for value in [magic, id] { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) } }
        out += tables
        for rep in [1, 4, 8] as [UInt32] { for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: rep >> (8 * UInt32(i)))) } }
        let room = maxSize - out.count
        out += content.suffix(room)
        return out
    }

    static let frequencyLog = 20

    /// How the content is cut: segments of `segmentSize` bytes scored by their `dmerSize`-byte
    /// substrings (zstd's k and d).
    struct Shape: Equatable {
        var segmentSize: Int
        var dmerSize: Int
    }

    /// The shape whose content compresses held-out samples smallest, as zstd's trainer
    /// optimises k and d: every fourth sample is held out, a dictionary (content and tables) is
    /// made from the others for each candidate, and the held-out ones are compressed with it at
    /// `level`. Too few samples to hold any out: 256-byte segments of 8-byte substrings.
    static func bestShape(_ samples: [[UInt8]], capacity: Int, level: Int) -> Shape {
        let standard = Shape(segmentSize: 256, dmerSize: 8)
        guard samples.count >= 16 else { return standard }
        // At most 2 MiB to search with (an even spread of the samples): the shape depends on
        // the kind of data, not its amount, and the search costs six trainings.
        let total = samples.reduce(0) { $0 + $1.count }
        let step = max(1, (total + (2 << 20) - 1) / (2 << 20))
        let spread = stride(from: 0, to: samples.count, by: step).map { samples[$0] }
        guard spread.count >= 16 else { return standard }
        let held = stride(from: 3, to: spread.count, by: 4).map { spread[$0] }
        let training = spread.indices.filter { $0 % 4 != 3 }.map { spread[$0] }
        let trainingCapacity = min(capacity, max(training.reduce(0) { $0 + $1.count } / 4, 256))
        var best = standard, bestCost = Int.max
        func consider(_ shape: Shape) {
            let content = selectContent(training, capacity: trainingCapacity, segmentSize: shape.segmentSize, dmerSize: shape.dmerSize)
            guard content.count >= 8 else { return }
            // The whole dictionary, tables too: judged by content alone, with the predefined
            // tables, log lines chose 128-byte segments that did 1.1% worse than 1024-byte ones.
            let tables = entropyTables(training, content: content, level: level)
            guard let dictionary = try? ZstdDictionary(assemble(id: 1, tables: tables, content: content, maxSize: Int.max)) else { return }
            let compressor = ZstdCompressor(
                dictionary: dictionary, options: .init(level: level, checksum: false, includesDictionaryID: false))
            let cost = held.reduce(0) { $0 + compressor.compressFrame($1).count }
            if cost < bestCost { bestCost = cost; best = shape }
        }
        // The substring size first, then the segment size with it: six trainings, not ten.
        for dmerSize in [8, 6] { consider(Shape(segmentSize: 256, dmerSize: dmerSize)) }
        let dmerSize = best.dmerSize
        for segmentSize in [64, 128, 512, 1024, 2048] { consider(Shape(segmentSize: segmentSize, dmerSize: dmerSize)) }
        return best
    }

    @inline(__always)
    static func dmerHash(_ p: UnsafePointer<UInt8>, _ dmerSize: Int) -> Int {
        let value = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self) &<< UInt64(64 - 8 * dmerSize)
        return Int(truncatingIfNeeded: (value &* 0xCF1B_BCDC_B7A5_6463) &>> UInt64(64 - frequencyLog))
    }

    /// The content: best-scoring segments, one per epoch, from the end backwards.
    static func selectContent(_ samples: [[UInt8]], capacity: Int, segmentSize: Int, dmerSize: Int) -> [UInt8] {
        var data = samples.flatMap { $0 }
        let length = data.count
        // Hashes read 8 bytes: room past the end for the last dmers of a shorter size.
        data += [UInt8](repeating: 0, count: 8)
        guard length >= segmentSize + dmerSize else { return Array(data.prefix(length)) }
        let dmerCount = length - dmerSize + 1
        // Each position's hash once: the epochs below visit every position several times.
        var hashes = [UInt32](repeating: 0, count: dmerCount)
        // A substring's frequency and its count in the window side by side: one cache line
        // to fetch per position, not two (the tables are 8 MiB and read in hash order).
        var buckets = [Bucket](repeating: Bucket(), count: 1 << frequencyLog)
        var dictionary = [UInt8](repeating: 0, count: capacity)
        var tail = capacity
        data.withUnsafeBufferPointer { bytes in
            hashes.withUnsafeMutableBufferPointer { hashes in
                buckets.withUnsafeMutableBufferPointer { buckets in
                    dictionary.withUnsafeMutableBufferPointer { dictionary in
                        let base = bytes.baseAddress!
                        for i in 0..<dmerCount {
                            let h = dmerHash(base + i, dmerSize)
                            hashes[i] = UInt32(truncatingIfNeeded: h)
                            buckets[h].frequency &+= 1
                        }
                        tail = fillSegments(
                            base: base, length: length, hashes: hashes, buckets: buckets,
                            dictionary: dictionary, segmentSize: segmentSize, dmerSize: dmerSize)
                    }
                }
            }
        }
        return Array(dictionary[tail...])
    }

    /// A substring hash's count over all samples (zeroed once it is in the dictionary) and in
    /// the current window.
    struct Bucket {
        var frequency: UInt32 = 0
        var inSegment: UInt32 = 0
    }

    /// Fills `dictionary` from its end with the best segment of each epoch in turn until it is
    /// full or no epoch has anything left worth taking; returns where the content begins.
    private static func fillSegments(
        base: UnsafePointer<UInt8>, length: Int, hashes: UnsafeMutableBufferPointer<UInt32>,
        buckets: UnsafeMutableBufferPointer<Bucket>, dictionary: UnsafeMutableBufferPointer<UInt8>, segmentSize: Int, dmerSize: Int
    ) -> Int {
        let dmerCount = hashes.count, capacity = dictionary.count
        let epochCount = max(1, capacity / segmentSize / 4)
        let epochSize = max(segmentSize, dmerCount / epochCount)
        var tail = capacity, stalled = 0, epoch = 0
        while tail > 0 && stalled < epochCount {
            let begin = (epoch % epochCount) * epochSize
            let end = min(dmerCount, begin + epochSize)
            epoch += 1
            guard end - begin >= segmentSize else { stalled += 1; continue }
            // Slide a window of `segmentSize` dmers; a dmer counts once per window.
            var score = 0, bestScore = 0, bestStart = begin
            var windowStart = begin
            for position in begin..<end {
                let h = Int(hashes[position])
                if buckets[h].inSegment == 0 { score &+= Int(buckets[h].frequency) }
                buckets[h].inSegment &+= 1
                if position - windowStart + 1 > segmentSize - dmerSize + 1 {
                    let old = Int(hashes[windowStart])
                    buckets[old].inSegment &-= 1
                    if buckets[old].inSegment == 0 { score &-= Int(buckets[old].frequency) }
                    windowStart += 1
                }
                if score > bestScore { bestScore = score; bestStart = windowStart }
            }
            for position in windowStart..<end { buckets[Int(hashes[position])].inSegment = 0 }
            guard bestScore > 0 else { stalled += 1; continue }
            stalled = 0
            // Trim the ends whose substrings are worth nothing (already in the dictionary, or
            // seen once), as fastCOVER does: room for more useful segments.
            var firstDmer = bestStart, lastDmer = min(dmerCount, bestStart + segmentSize - dmerSize + 1) - 1
            while firstDmer < lastDmer && buckets[Int(hashes[firstDmer])].frequency <= 1 { firstDmer += 1 }
            while lastDmer > firstDmer && buckets[Int(hashes[lastDmer])].frequency <= 1 { lastDmer -= 1 }
            bestStart = firstDmer
            let taken = min(lastDmer - firstDmer + dmerSize, tail, length - bestStart)
            tail -= taken
            (dictionary.baseAddress! + tail).update(from: base + bestStart, count: taken)
            // What is in the dictionary need not be chosen again.
            for position in bestStart..<max(bestStart, min(dmerCount, bestStart + taken - dmerSize + 1)) {
                buckets[Int(hashes[position])].frequency = 0
            }
        }
        return tail
    }

    /// The Huffman and FSE table descriptions from compressing each sample with `content`.
    static func entropyTables(_ samples: [[UInt8]], content: [UInt8], level: Int) -> [UInt8] {
        // Every symbol gets a count of at least one, so the tables describe any data.
        var literalCounts = [Int](repeating: 1, count: 256)
        let offsetMax = min(30, Int.bitWidth - 1 - (content.count + (128 << 10)).leadingZeroBitCount)
        var offsetCounts = [Int](repeating: 1, count: offsetMax + 1)
        var matchCounts = [Int](repeating: 1, count: 53)
        var literalLengthCounts = [Int](repeating: 1, count: 36)
        // One compressor for every sample, as for records: the content's tables are built once.
        let compressor = ZstdCompressor(dictionary: ZstdDictionary(rawContent: content), options: .init(level: level, checksum: false))
        for sample in samples where !sample.isEmpty {
            let sequences = sample.withUnsafeBytes { compressor.firstBlockSequences($0) }
            for i in 0..<sequences.literalCount { literalCounts[Int(sequences.literals[i])] += 1 }
            var reps = (1, 4, 8)
            for i in 0..<sequences.count {
                let literalLength = Int(sequences.literalLengths[i]), distance = Int(sequences.distances[i])
                // The offset value the block encoder codes, and the repeat offsets after it
                // (RFC 8878 3.1.1.5: without literals, the repeat codes shift by one).
                var value = distance + 3
                if literalLength > 0 {
                    if distance == reps.0 { value = 1 } else if distance == reps.1 { value = 2 } else if distance == reps.2 { value = 3 }
                } else {
                    if distance == reps.1 { value = 1 } else if distance == reps.2 { value = 2 } else if distance == reps.0 - 1 { value = 3 }
                }
                if distance == reps.1 { reps = (reps.1, reps.0, reps.2) } else if distance != reps.0 { reps = (distance, reps.0, reps.1) }
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
