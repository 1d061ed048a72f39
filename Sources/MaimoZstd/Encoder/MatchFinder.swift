/// How a compression level searches for matches.
public enum ZstdStrategy: Int, Sendable, Comparable {
    /// One hash table probed once per position, skipping faster through incompressible data.
    case fast = 1
    /// Two hash tables (8-byte and short hashes): longer matches for a little more time.
    case doubleFast
    /// Hash chains, the longest match at each position taken at once.
    case greedy
    /// Hash chains, and a match is deferred when the next position has a better one.
    case lazy
    /// As `lazy`, looking two positions ahead.
    case lazy2

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// The search parameters of a level (the names follow zstd's `ZSTD_compressionParameters`).
public struct ZstdParameters: Sendable, Hashable {
    /// How matches are searched for.
    public var strategy: ZstdStrategy
    /// The window size, log2 (10 to 31).
    public var windowLog: Int
    /// Entries of the main hash table (log2).
    public var hashLog: Int
    /// Entries of the second table: the short-hash table of `doubleFast`, the chain of the lazy ones.
    public var chainLog: Int
    /// Candidates tried per position along a hash chain (log2).
    public var searchLog: Int
    /// Bytes hashed to find candidates.
    public var minMatch: Int
    /// Positions the `fast` strategy steps over after a miss (1 for levels ≥ 1; the negative
    /// levels of `--fast=N` step N + 1, trading ratio for speed as zstd's do). Above 1, literals
    /// are stored as they are, not Huffman-coded, as zstd's negative levels store them.
    public var acceleration: Int = 1

    /// The parameters of `level`, for large inputs: 1…19, the `--ultra` levels 20…22 (windows of
    /// 32 to 128 MiB), and the negative levels −1, −2, … (`--fast=N`), which skip through the
    /// input. 0 means the default, 3; levels above 22 are 22.
    public static func level(_ level: Int) -> ZstdParameters {
        if level < 0 {
            var parameters = ZstdParameters(strategy: .fast, windowLog: 19, hashLog: 13, chainLog: 0, searchLog: 0, minMatch: 6)
            parameters.acceleration = Int(min(level.magnitude, 1 << 17)) + 1
            return parameters
        }
        if level == 0 { return levels[2] }
        return levels[min(22, level) - 1]
    }

    /// The highest level (`--ultra`); the highest without `--ultra` is 19, as in zstd.
    public static let maxLevel = 22

    static let levels: [ZstdParameters] = {
        let table: [(ZstdStrategy, Int, Int, Int, Int, Int)] = [
            (.fast, 19, 15, 0, 0, 8),           // 1
            (.doubleFast, 20, 16, 15, 0, 6),    // 2
            (.doubleFast, 21, 17, 16, 0, 5),    // 3
            (.doubleFast, 21, 18, 18, 0, 5),    // 4
            (.greedy, 21, 19, 18, 3, 5),        // 5
            (.lazy, 21, 19, 18, 3, 5),          // 6
            (.lazy, 21, 20, 19, 4, 5),          // 7
            (.lazy2, 21, 20, 19, 4, 5),         // 8
            (.lazy2, 22, 21, 20, 4, 5),         // 9
            (.lazy2, 22, 22, 21, 5, 5),         // 10
            (.lazy2, 22, 22, 21, 6, 5),         // 11
            (.lazy2, 22, 22, 22, 6, 5),         // 12
            (.lazy2, 22, 22, 22, 7, 5),         // 13
            (.lazy2, 22, 22, 23, 7, 4),         // 14
            (.lazy2, 22, 22, 23, 8, 4),         // 15
            (.lazy2, 22, 22, 23, 8, 4),         // 16
            (.lazy2, 23, 22, 23, 9, 4),         // 17
            (.lazy2, 23, 22, 24, 9, 4),         // 18
            (.lazy2, 23, 22, 24, 10, 4),        // 19
            // --ultra: zstd's windows (32, 64, 128 MiB); tables capped at 2^24 entries (64 MiB
            // each). Longer chain searches buy little here (measured on 40 MB of headers: level
            // 22 with 4096 candidates 1.3% smaller than 20, 2.9× the time): what zstd's 16-22
            // have and these lack is optimal parsing over a binary tree (12% smaller at 19).
            (.lazy2, 25, 23, 24, 10, 4),        // 20
            (.lazy2, 26, 24, 24, 10, 4),        // 21
            (.lazy2, 27, 24, 24, 11, 4),        // 22
        ]
        return table.map { row in
            ZstdParameters(strategy: row.0, windowLog: row.1, hashLog: row.2, chainLog: row.3, searchLog: row.4, minMatch: row.5)
        }
    }()

    /// The same parameters shrunk for an input of `size` bytes: no table or window larger than
    /// the input needs.
    func adjusted(forSize size: UInt64?, dictionarySize: Int) -> ZstdParameters {
        guard let size else { return self }
        var result = self
        let needed = max(UInt64(1 << 10), size + UInt64(dictionarySize))
        let sizeLog = UInt64.bitWidth - (max(64, size + UInt64(dictionarySize)) - 1).leadingZeroBitCount
        result.windowLog = min(windowLog, max(10, UInt64.bitWidth - (needed - 1).leadingZeroBitCount))
        // Tables need no more entries than there are positions to remember.
        result.hashLog = min(hashLog, max(6, sizeLog + 1))
        result.chainLog = min(chainLog, max(6, sizeLog + 1))
        // Small inputs have fewer long repeats: shorter minimum matches pay off (as zstd's
        // tables for inputs up to 16 KiB and 128 KiB).
        if size <= 16 << 10 { result.minMatch = min(minMatch, strategy == .fast ? 6 : 5) } else if size <= 128 << 10 { result.minMatch = min(minMatch, 6) }
        return result
    }
}

/// Finds matches in a window of bytes and records them as sequences. Positions are indices into
/// the window buffer; the tables keep positions as `UInt32` and are shifted when the window slides.
final class MatchFinder {
    let parameters: ZstdParameters
    let hashTable: UnsafeMutablePointer<UInt32>
    let secondTable: UnsafeMutablePointer<UInt32>
    let hashSize: Int
    let secondSize: Int
    /// Tables over a dictionary's content, looked up when the frame's own tables miss
    /// (fast and double-fast only; the lazy strategies insert the content into their chains).
    var dictionary: DictionaryMatchTables?
    /// The next position not yet inserted into the chain (lazy strategies).
    var nextToUpdate = 0
    /// The finder's own repeat offsets (the block encoder keeps the decoder's exact view).
    var rep1 = 1, rep2 = 4

    init(parameters: ZstdParameters) {
        self.parameters = parameters
        hashSize = 1 << parameters.hashLog
        secondSize = parameters.strategy == .fast ? 1 : 1 << parameters.chainLog
        hashTable = .allocate(capacity: hashSize)
        secondTable = .allocate(capacity: secondSize)
        reset()
    }

    deinit {
        hashTable.deallocate()
        secondTable.deallocate()
    }

    func reset() {
        hashTable.initialize(repeating: 0, count: hashSize)
        secondTable.initialize(repeating: 0, count: secondSize)
        nextToUpdate = 0
        rep1 = 1; rep2 = 4
    }

    /// A match found by someone else (the long-distance matcher): the repeat offsets follow it.
    func noteMatch(distance: Int) {
        if distance != rep1 { rep2 = rep1; rep1 = distance }
    }

    /// Moves every stored position down by `shift` after the window slid (positions that fall
    /// off become 0, a candidate that the byte comparison rejects or that lies out of reach).
    func slide(by shift: Int) {
        let amount = UInt32(shift)
        for table in [(hashTable, hashSize), (secondTable, secondSize)] {
            for i in 0..<table.1 { table.0[i] = table.0[i] > amount ? table.0[i] - amount : 0 }
        }
        nextToUpdate = max(0, nextToUpdate - shift)
    }

    /// Adds the positions `start..<end` of the window to the tables (a dictionary's content).
    func insert(_ window: UnsafePointer<UInt8>, from start: Int, to end: Int) {
        guard end - start >= 8 else { return }
        let log = parameters.hashLog, mls = parameters.minMatch
        switch parameters.strategy {
        case .fast:
            for p in stride(from: start, to: end - 8, by: 1) { hashTable[hash(window + p, log, mls)] = UInt32(p) }
        case .doubleFast:
            for p in stride(from: start, to: end - 8, by: 1) {
                hashTable[hash(window + p, log, 8)] = UInt32(p)
                secondTable[hash(window + p, parameters.chainLog, mls)] = UInt32(p)
            }
        default:
            nextToUpdate = start
            updateChain(window, upTo: end - 8)
        }
    }

    /// Finds the sequences of `start..<end`, appended to `sequences` (a block, or a piece of one
    /// between long-distance matches); matches reach back no further than `low`.
    func findSequences(_ window: UnsafePointer<UInt8>, start: Int, end: Int, low: Int, into sequences: SequenceBuffer) {
        switch parameters.strategy {
        case .fast: findFast(window, start: start, end: end, low: low, into: sequences)
        case .doubleFast: findDoubleFast(window, start: start, end: end, low: low, into: sequences)
        case .greedy: findLazy(window, start: start, end: end, low: low, depth: 0, into: sequences)
        case .lazy: findLazy(window, start: start, end: end, low: low, depth: 1, into: sequences)
        case .lazy2: findLazy(window, start: start, end: end, low: low, depth: 2, into: sequences)
        }
    }

    // MARK: Shared helpers

    /// The `log`-bit hash of the `bytes` (4...8) bytes at `p` (8 bytes are read).
    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>, _ log: Int, _ bytes: Int) -> Int {
        let value = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self)
        let prime: UInt64 = 0xCF1B_BCDC_B7A5_6463
        return Int(truncatingIfNeeded: ((value &<< UInt64(64 - 8 * bytes)) &* prime) &>> UInt64(64 - log))
    }

    @inline(__always)
    func hash(_ p: UnsafePointer<UInt8>, _ log: Int, _ bytes: Int) -> Int { Self.hash(p, log, bytes) }

    @inline(__always)
    func read32(_ p: UnsafePointer<UInt8>) -> UInt32 { UnsafeRawPointer(p).loadUnaligned(as: UInt32.self) }

    @inline(__always)
    func read64(_ p: UnsafePointer<UInt8>) -> UInt64 { UnsafeRawPointer(p).loadUnaligned(as: UInt64.self) }

    /// How many bytes at `a` and `b` agree, not reading at or past `limit` (for `a`).
    @inline(__always)
    func commonLength(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ limit: UnsafePointer<UInt8>) -> Int {
        Self.commonLength(a, b, limit)
    }

    @inline(__always)
    static func commonLength(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ limit: UnsafePointer<UInt8>) -> Int {
        var p = a, q = b
        while p + 8 <= limit {
            let difference = UnsafeRawPointer(p).loadUnaligned(as: UInt64.self) ^ UnsafeRawPointer(q).loadUnaligned(as: UInt64.self)
            if difference != 0 { return p - a + difference.trailingZeroBitCount >> 3 }
            p += 8; q += 8
        }
        while p < limit && p.pointee == q.pointee { p += 1; q += 1 }
        return p - a
    }

    /// After a match: while the bytes at `ip` repeat the second-last offset, take them as a
    /// match with no literals (the cheapest sequence there is), swapping the two offsets.
    @inline(__always)
    func repeatSecondOffset(
        _ window: UnsafePointer<UInt8>, _ ip: inout Int, _ anchor: inout Int, _ r1: inout Int, _ r2: inout Int,
        limit: Int, low: Int, end: UnsafePointer<UInt8>, into sequences: SequenceBuffer, insert: (Int) -> Void
    ) {
        while ip < limit && ip - r2 >= low && read32(window + ip - r2) == read32(window + ip) {
            let length = 4 + commonLength(window + ip + 4, window + ip + 4 - r2, end)
            swap(&r1, &r2)
            sequences.add(literals: window + anchor, 0, distance: r1, matchLength: length)
            insert(ip)
            ip += length
            anchor = ip
        }
    }

    // MARK: fast

    func findFast(_ window: UnsafePointer<UInt8>, start: Int, end: Int, low: Int, into sequences: SequenceBuffer) {
        let log = parameters.hashLog, mls = parameters.minMatch
        let table = hashTable
        let blockEnd = window + end
        let limit = end - 8
        var ip = start, anchor = start
        if ip == 0 { ip = 1 }
        var r1 = rep1, r2 = rep2
        while ip < limit {
            let h = hash(window + ip, log, mls)
            var candidate = Int(table[h])
            table[h] = UInt32(ip)
            if let dictionary {
                // The longer of the frame's own candidate and the dictionary's.
                let other = Int(dictionary.first[hash(window + ip, dictionary.firstLog, mls)])
                let ownLength = candidate >= low && candidate < ip && read32(window + candidate) == read32(window + ip)
                    ? commonLength(window + ip, window + candidate, blockEnd) : 0
                let otherLength = other >= low && other < ip && read32(window + other) == read32(window + ip)
                    ? commonLength(window + ip, window + other, blockEnd) : 0
                if otherLength > ownLength { candidate = other }
            }
            // A repeat of the last offset one byte on (cheap to code: no offset bits).
            if ip + 1 - r1 >= low && read32(window + ip + 1 - r1) == read32(window + ip + 1) {
                let length = 4 + commonLength(window + ip + 5, window + ip + 5 - r1, blockEnd)
                sequences.add(literals: window + anchor, ip + 1 - anchor, distance: r1, matchLength: length)
                ip += 1 + length
                anchor = ip
            } else if candidate >= low && candidate < ip && read32(window + candidate) == read32(window + ip) {
                var p = ip, m = candidate
                while p > anchor && m > low && window[p - 1] == window[m - 1] { p -= 1; m -= 1 }
                let length = commonLength(window + p, window + m, blockEnd)
                let distance = p - m
                sequences.add(literals: window + anchor, p - anchor, distance: distance, matchLength: length)
                r2 = r1; r1 = distance
                ip = p + length
                anchor = ip
            } else {
                ip += parameters.acceleration + ((ip - anchor) >> 8)
                continue
            }
            if ip < limit {
                let matchStart = anchor - Int(sequences.matchLengths[sequences.count - 1])
                if matchStart + 2 < ip - 2 { table[hash(window + matchStart + 2, log, mls)] = UInt32(matchStart + 2) }
                table[hash(window + ip - 2, log, mls)] = UInt32(ip - 2)
            }
            repeatSecondOffset(window, &ip, &anchor, &r1, &r2, limit: limit, low: low, end: blockEnd, into: sequences) { p in
                table[hash(window + p, log, mls)] = UInt32(p)
            }
        }
        sequences.addLastLiterals(window + anchor, end - anchor)
        rep1 = r1; rep2 = r2
    }

    // MARK: doubleFast

    func findDoubleFast(_ window: UnsafePointer<UInt8>, start: Int, end: Int, low: Int, into sequences: SequenceBuffer) {
        let longLog = parameters.hashLog, shortLog = parameters.chainLog, mls = parameters.minMatch
        let longTable = hashTable, shortTable = secondTable
        let blockEnd = window + end
        let limit = end - 8
        var ip = start, anchor = start
        if ip == 0 { ip = 1 }
        var r1 = rep1, r2 = rep2
        while ip < limit {
            let hl = hash(window + ip, longLog, 8)
            let hs = hash(window + ip, shortLog, mls)
            var longCandidate = Int(longTable[hl]), shortCandidate = Int(shortTable[hs])
            if let dictionary {
                // The longer of the frame's own candidates and the dictionary's.
                @inline(__always) func length(_ candidate: Int) -> Int {
                    candidate >= low && candidate < ip && read32(window + candidate) == read32(window + ip)
                        ? commonLength(window + ip, window + candidate, blockEnd) : 0
                }
                let otherLong = Int(dictionary.first[hash(window + ip, dictionary.firstLog, 8)])
                if length(otherLong) > length(longCandidate) { longCandidate = otherLong }
                let otherShort = Int(dictionary.second[hash(window + ip, dictionary.secondLog, mls)])
                if length(otherShort) > length(shortCandidate) { shortCandidate = otherShort }
            }
            longTable[hl] = UInt32(ip)
            shortTable[hs] = UInt32(ip)
            var matchStart = 0, matchFrom = 0, length = 0
            if ip + 1 - r1 >= low && read32(window + ip + 1 - r1) == read32(window + ip + 1) {
                length = 4 + commonLength(window + ip + 5, window + ip + 5 - r1, blockEnd)
                sequences.add(literals: window + anchor, ip + 1 - anchor, distance: r1, matchLength: length)
                ip += 1 + length
                anchor = ip
            } else {
                if longCandidate >= low && longCandidate < ip && read64(window + longCandidate) == read64(window + ip) {
                    matchStart = ip; matchFrom = longCandidate
                } else if shortCandidate >= low && shortCandidate < ip && read32(window + shortCandidate) == read32(window + ip) {
                    // A long match one byte on beats the short one here.
                    let hl1 = hash(window + ip + 1, longLog, 8)
                    let next = Int(longTable[hl1])
                    longTable[hl1] = UInt32(ip + 1)
                    if next >= low && next < ip + 1 && read64(window + next) == read64(window + ip + 1) {
                        matchStart = ip + 1; matchFrom = next
                    } else {
                        matchStart = ip; matchFrom = shortCandidate
                    }
                } else {
                    ip += 1 + ((ip - anchor) >> 8)
                    continue
                }
                var p = matchStart, m = matchFrom
                while p > anchor && m > low && window[p - 1] == window[m - 1] { p -= 1; m -= 1 }
                length = commonLength(window + p, window + m, blockEnd)
                let distance = p - m
                sequences.add(literals: window + anchor, p - anchor, distance: distance, matchLength: length)
                r2 = r1; r1 = distance
                ip = p + length
                anchor = ip
            }
            if ip < limit {
                let before = ip - length + 2
                if before < ip - 2 {
                    longTable[hash(window + before, longLog, 8)] = UInt32(before)
                    shortTable[hash(window + before, shortLog, mls)] = UInt32(before)
                }
                longTable[hash(window + ip - 2, longLog, 8)] = UInt32(ip - 2)
                shortTable[hash(window + ip - 1, shortLog, mls)] = UInt32(ip - 1)
            }
            repeatSecondOffset(window, &ip, &anchor, &r1, &r2, limit: limit, low: low, end: blockEnd, into: sequences) { p in
                shortTable[hash(window + p, shortLog, mls)] = UInt32(p)
                longTable[hash(window + p, longLog, 8)] = UInt32(p)
            }
        }
        sequences.addLastLiterals(window + anchor, end - anchor)
        rep1 = r1; rep2 = r2
    }

    // MARK: greedy, lazy, lazy2

    @inline(__always)
    func updateChain(_ window: UnsafePointer<UInt8>, upTo target: Int) {
        let log = parameters.hashLog, mls = parameters.minMatch
        let mask = secondSize - 1
        var p = nextToUpdate
        while p < target {
            let h = hash(window + p, log, mls)
            secondTable[p & mask] = hashTable[h]
            hashTable[h] = UInt32(p)
            p += 1
        }
        nextToUpdate = max(nextToUpdate, target)
    }

    /// The longest match at `ip` along its hash chain: (length, distance), length 0 if none.
    @inline(__always)
    func bestMatch(_ window: UnsafePointer<UInt8>, at ip: Int, low: Int, end: UnsafePointer<UInt8>) -> (Int, Int) {
        updateChain(window, upTo: ip)
        let mask = secondSize - 1
        let chainLow = max(low, ip - secondSize + 1)
        var candidate = Int(hashTable[hash(window + ip, parameters.hashLog, parameters.minMatch)])
        var attempts = 1 << parameters.searchLog
        var bestLength = 3, bestDistance = 0
        let here = window + ip
        while candidate >= chainLow && candidate < ip && attempts > 0 {
            attempts -= 1
            let from = window + candidate
            // Only a candidate that beats the best so far at its last byte can be longer.
            if from[bestLength] == here[bestLength] && read32(from) == read32(here) {
                let length = commonLength(here, from, end)
                if length > bestLength {
                    bestLength = length
                    bestDistance = ip - candidate
                    if here + length == end { break }
                }
            }
            candidate = Int(secondTable[candidate & mask])
        }
        return bestDistance == 0 ? (0, 0) : (bestLength, bestDistance)
    }

    func findLazy(_ window: UnsafePointer<UInt8>, start: Int, end: Int, low: Int, depth: Int, into sequences: SequenceBuffer) {
        let blockEnd = window + end
        let limit = end - 8
        var ip = start, anchor = start
        if ip == 0 { ip = 1 }
        var r1 = rep1, r2 = rep2
        @inline(__always) func gain(_ length: Int, _ distance: Int) -> Int {
            length * 4 - (Int.bitWidth - distance.leadingZeroBitCount)
        }
        while ip < limit {
            // Candidates: a repeat of the last offset here, or the best chain match.
            var length = 0, distance = 0, matchAt = ip
            if ip - r1 >= low && read32(window + ip - r1) == read32(window + ip) {
                length = 4 + commonLength(window + ip + 4, window + ip + 4 - r1, blockEnd)
                distance = r1
            }
            let found = bestMatch(window, at: ip, low: low, end: blockEnd)
            if found.0 > 0 && (length == 0 || gain(found.0, found.1) > gain(length, distance) + 1) {
                (length, distance) = found
            }
            if length < 4 {
                ip += 1 + ((ip - anchor) >> 8)
                continue
            }
            // Look ahead: a better match one (or two) bytes on wins.
            var step = 1
            while step <= depth && matchAt + 1 < limit {
                let next = matchAt + 1
                var better = false
                if next - r1 >= low && read32(window + next - r1) == read32(window + next) {
                    let repeatLength = 4 + commonLength(window + next + 4, window + next + 4 - r1, blockEnd)
                    if gain(repeatLength, 1) > gain(length, distance) + 1 {
                        length = repeatLength; distance = r1; matchAt = next; better = true
                    }
                }
                let ahead = bestMatch(window, at: next, low: low, end: blockEnd)
                if ahead.0 > 0 && gain(ahead.0, ahead.1) > gain(length, distance) + 4 {
                    (length, distance) = ahead; matchAt = next; better = true
                }
                if !better { break }
                step += 1
            }
            var p = matchAt, m = matchAt - distance
            while p > anchor && m > low && window[p - 1] == window[m - 1] { p -= 1; m -= 1; length += 1 }
            sequences.add(literals: window + anchor, p - anchor, distance: distance, matchLength: length)
            if distance != r1 { r2 = r1; r1 = distance }
            ip = p + length
            anchor = ip
            repeatSecondOffset(window, &ip, &anchor, &r1, &r2, limit: limit, low: low, end: blockEnd, into: sequences) { _ in }
        }
        sequences.addLastLiterals(window + anchor, end - anchor)
        rep1 = r1; rep2 = r2
    }
}

/// Hash tables over a dictionary's content for one set of parameters, built once and shared
/// (read-only) by every frame compressed with the dictionary.
final class DictionaryMatchTables: @unchecked Sendable {
    let first: UnsafeMutablePointer<UInt32>
    let second: UnsafeMutablePointer<UInt32>
    let firstLog: Int
    let secondLog: Int

    init(content: UnsafePointer<UInt8>, count: Int, parameters: ZstdParameters) {
        let sizeLog = max(8, Int.bitWidth - max(1, count).leadingZeroBitCount + 1)
        firstLog = min(parameters.hashLog, sizeLog)
        secondLog = parameters.strategy == .doubleFast ? min(parameters.chainLog, sizeLog) : 0
        first = .allocate(capacity: 1 << firstLog)
        first.initialize(repeating: 0, count: 1 << firstLog)
        second = .allocate(capacity: 1 << secondLog)
        second.initialize(repeating: 0, count: 1 << secondLog)
        guard count >= 8 else { return }
        for p in 0..<(count - 8) {
            if parameters.strategy == .doubleFast {
                first[MatchFinder.hash(content + p, firstLog, 8)] = UInt32(p)
                second[MatchFinder.hash(content + p, secondLog, parameters.minMatch)] = UInt32(p)
            } else {
                first[MatchFinder.hash(content + p, firstLog, parameters.minMatch)] = UInt32(p)
            }
        }
    }

    deinit {
        first.deallocate()
        second.deallocate()
    }
}
