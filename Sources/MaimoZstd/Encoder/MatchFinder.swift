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
    /// The next position not yet inserted into the chain or rows (lazy strategies).
    var nextToUpdate = 0
    /// The finder's own repeat offsets (the block encoder keeps the decoder's exact view; the
    /// optimal parser keeps it too, in all three).
    var rep1 = 1, rep2 = 4, rep3 = 8
    /// Added to a position to find its entry in the hash chain or its slots in the binary tree
    /// (BinaryTree.swift): the sum of every slide's shift, so that sliding moves no entry (the
    /// chains used to come out of a slide scrambled: safe, every candidate is compared, but
    /// their matches lost).
    var positionBase = 0
    /// The optimal parser's prices and buffers (the optimal strategy only).
    let optimal: OptimalState?
    /// Rows instead of chains (the lazy strategies searching at most 64 candidates, levels
    /// 5–12; RowMatchFinder.swift): `hashTable` is rows of `1 << rowLog` positions, `tags` one
    /// hash byte per position, `heads` each row's newest slot. 0 when chains are used.
    let rowLog: Int
    let tags: UnsafeMutablePointer<UInt8>
    let heads: UnsafeMutablePointer<UInt8>
    var rowCount: Int { rowLog == 0 ? 0 : hashSize >> rowLog }

    init(parameters: ZstdParameters) {
        self.parameters = parameters
        hashSize = 1 << parameters.hashLog
        let rows = parameters.strategy >= .greedy && parameters.strategy <= .lazy2 && parameters.searchLog <= Self.maxRowLog
        rowLog = rows ? min(parameters.hashLog, max(Self.minRowLog, parameters.searchLog)) : 0
        // The chain has an entry per position, the binary tree two (as zstd: `chainLog` sizes the
        // whole table, so the tree covers half as many positions).
        secondSize = parameters.strategy == .fast || rows ? 1 : 1 << parameters.chainLog
        optimal = parameters.strategy == .optimal ? OptimalState(searchLog: parameters.searchLog) : nil
        hashTable = .allocate(capacity: hashSize)
        secondTable = .allocate(capacity: secondSize)
        tags = .allocate(capacity: rows ? hashSize : 1)
        heads = .allocate(capacity: rows ? hashSize >> rowLog : 1)
        reset()
    }

    deinit {
        hashTable.deallocate()
        secondTable.deallocate()
        tags.deallocate()
        heads.deallocate()
    }

    func reset() {
        hashTable.initialize(repeating: 0, count: hashSize)
        secondTable.initialize(repeating: 0, count: secondSize)
        if rowLog > 0 {
            tags.initialize(repeating: 0, count: hashSize)
            heads.initialize(repeating: 0, count: rowCount)
        }
        nextToUpdate = 0
        rep1 = 1; rep2 = 4; rep3 = 8
        positionBase = 0
        optimal?.reset()
    }

    /// A match found by someone else (the long-distance matcher): the repeat offsets follow it.
    func noteMatch(distance: Int) {
        if distance != rep1 { rep3 = rep2; rep2 = rep1; rep1 = distance }
    }

    /// Moves every stored position down by `shift` after the window slid (positions that fall
    /// off become 0, a candidate that the byte comparison rejects or that lies out of reach).
    func slide(by shift: Int) {
        let amount = UInt32(shift)
        for table in [(hashTable, hashSize), (secondTable, secondSize)] {
            for i in 0..<table.1 { table.0[i] = table.0[i] > amount ? table.0[i] - amount : 0 }
        }
        nextToUpdate = max(0, nextToUpdate - shift)
        positionBase &+= shift
        optimal?.slide(by: shift)
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
        case .optimal:
            nextToUpdate = start
            if let optimal { updateTree(window, upTo: end - 8, low: 0, end: window + end, matches: optimal.matches) }
        default:
            nextToUpdate = start
            if rowLog > 0 {
                // Every position of the content, not the long-match shortcut of updateRows.
                for p in start..<(end - 8) { insertInRow(window, p) }
                nextToUpdate = end - 8
            } else {
                updateChain(window, upTo: end - 8)
            }
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
        case .optimal: findOptimalTwice(window, start: start, end: end, low: low, into: sequences)
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
    /// match with no literals (the cheapest sequence there is), swapping the two offsets. An
    /// offset of 0 is one out of reach (off for this block).
    @inline(__always)
    func repeatSecondOffset(
        _ window: UnsafePointer<UInt8>, _ ip: inout Int, _ anchor: inout Int, _ r1: inout Int, _ r2: inout Int,
        limit: Int, low: Int, end: UnsafePointer<UInt8>, into sequences: SequenceBuffer, insert: (Int) -> Void
    ) {
        while r2 > 0 && ip <= limit && ip - r2 >= low && read32(window + ip - r2) == read32(window + ip) {
            let length = 4 + commonLength(window + ip + 4, window + ip + 4 - r2, end)
            swap(&r1, &r2)
            insert(ip)
            sequences.add(literals: window + anchor, 0, distance: r1, matchLength: length)
            ip += length
            anchor = ip
        }
    }

    /// Repeat offsets that reach below `low` from `ip` are turned off (0) for a block and kept
    /// aside; ``restoreRepeats(_:_:saved:)`` puts them back at its end (as zstd keeps them).
    @inline(__always)
    func repeatsInReach(at ip: Int, low: Int) -> (r1: Int, r2: Int, saved: (Int, Int)) {
        var r1 = rep1, r2 = rep2, saved = (0, 0)
        if r2 > ip - low { saved.1 = r2; r2 = 0 }
        if r1 > ip - low { saved.0 = r1; r1 = 0 }
        return (r1, r2, saved)
    }

    /// Stores the block's final repeat offsets, those turned off replaced by the saved ones (an
    /// offset that came back into reach replaces the older saved one).
    @inline(__always)
    func restoreRepeats(_ r1: Int, _ r2: Int, saved: (Int, Int)) {
        let saved2 = saved.0 != 0 && r1 != 0 ? saved.0 : saved.1
        rep1 = r1 != 0 ? r1 : saved.0
        rep2 = r2 != 0 ? r2 : saved2
    }

    /// Tries `candidate` as a match for `ip`, which it replaces as the best when longer; true
    /// when the match reaches `end` (nothing can beat it).
    @inline(__always)
    func tryCandidate(
        _ window: UnsafePointer<UInt8>, _ candidate: Int, at ip: Int, end: UnsafePointer<UInt8>,
        bestLength: inout Int, bestDistance: inout Int
    ) -> Bool {
        let here = window + ip, from = window + candidate
        // Only a candidate that beats the best so far at its last byte can be longer.
        guard from[bestLength] == here[bestLength] && read32(from) == read32(here) else { return false }
        let length = commonLength(here, from, end)
        guard length > bestLength else { return false }
        bestLength = length
        bestDistance = ip - candidate
        return here + length == end
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
