/// The optimal strategy's parse (zstd's `btopt`/`btultra`, written anew): instead of taking a
/// match as soon as one is good enough, it looks at every position of a stretch, every match the
/// binary tree and the repeat offsets offer there and every length of each, and keeps for each
/// position the cheapest way to reach it in estimated bits (``OptimalPrices``) — a shortest path
/// over the stretch. The stretch ends where no match reaches further, or at a match long enough
/// (the level's target length) to take at once; the path is then read backwards and recorded.
extension MatchFinder {
    /// Positions a stretch may span (zstd's `ZSTD_OPT_NUM`).
    static let optimalSpan = 1 << 12
    static let optimalMinMatch = 3

    func findOptimal(_ window: UnsafePointer<UInt8>, start: Int, end: Int, low: Int, into sequences: SequenceBuffer) {
        let state = optimal!
        let prices = state.prices, matches = state.matches, cells = state.cells, path = state.path
        let blockEnd = window + end
        let limit = end - 8
        var ip = max(start, 1), anchor = start
        var repeats = RepeatOffsets((rep1, rep2, rep3))
        prices.beginBlock(window + start, count: end - start)
        let sufficient = max(Self.optimalMinMatch, min(parameters.targetLength, Self.optimalSpan - 1))

        /// Records the match of `length` at `distance` that starts at `at`, after the literals
        /// from `anchor`.
        @inline(__always) func record(at: Int, length: Int, distance: Int) {
            let literalLength = at - anchor
            sequences.add(literals: window + anchor, literalLength, distance: distance, matchLength: length)
            let value = repeats.code(distance: distance, literalLength: literalLength)
            prices.record(literals: window + anchor, literalLength, offsetValue: value, matchLength: length)
            anchor = at + length
        }

        while ip < limit {
            gatherMatches(window, at: ip, literalLength: ip - anchor, repeats: repeats, low: low, end: blockEnd,
                          sufficient: sufficient, into: matches)
            if matches.count == 0 {
                ip += 1
                continue
            }
            let longest = matches.lengths[matches.count - 1]
            if longest >= sufficient {
                record(at: ip, length: longest, distance: matches.distances[matches.count - 1])
                ip += longest
                continue
            }
            // The shortest path over the stretch from `ip`: cell k is position ip + k.
            cells[0] = OptimalCell(price: prices.literalLength(ip - anchor), matchLength: 0, distance: 0,
                                   literalLength: ip - anchor, repeats: repeats)
            var last = 0
            // A match at `last` long enough to take at once, which ends the stretch.
            var taken: (length: Int, distance: Int)?
            relax(from: 0, cells, &last, matches, prices)
            var cur = 1
            while cur <= last {
                // Reaching `cur` with one more literal.
                let previous = cells[cur - 1]
                let literalPrice = previous.price + prices.literal(window[ip + cur - 1])
                    + prices.literalLength(previous.literalLength + 1) - prices.literalLength(previous.literalLength)
                if literalPrice <= cells[cur].price {
                    cells[cur] = OptimalCell(price: literalPrice, matchLength: 0, distance: 0,
                                             literalLength: previous.literalLength + 1, repeats: previous.repeats)
                }
                if cur == last || ip + cur >= limit { cur += 1; continue }
                let here = cells[cur]
                gatherMatches(window, at: ip + cur, literalLength: here.literalLength, repeats: here.repeats,
                              low: low, end: blockEnd, sufficient: sufficient, into: matches)
                if matches.count > 0 {
                    let longest = matches.lengths[matches.count - 1]
                    if longest >= sufficient || cur + longest >= Self.optimalSpan {
                        // Long enough to take: the stretch ends with it (it may reach past the
                        // cells, so it is not one of them).
                        last = cur
                        taken = (longest, matches.distances[matches.count - 1])
                        break
                    }
                    relax(from: cur, cells, &last, matches, prices)
                }
                cur += 1
            }
            // Read the path backwards, then record its matches in order.
            var count = 0
            var position = last
            while position > 0 {
                let length = cells[position].matchLength
                if length > 0 {
                    path[count] = position
                    count += 1
                    position -= length
                } else {
                    position -= 1
                }
            }
            while count > 0 {
                count -= 1
                let cell = cells[path[count]]
                record(at: ip + path[count] - cell.matchLength, length: cell.matchLength, distance: cell.distance)
            }
            ip += last
            if let taken {
                record(at: ip, length: taken.length, distance: taken.distance)
                ip += taken.length
            }
        }
        // Positions the search skipped at the end are inserted by the next block's first search.
        sequences.addLastLiterals(window + anchor, end - anchor)
        (rep1, rep2, rep3) = repeats.tuple
    }

    /// Offers every length of every match found at cell `from` to the cells it reaches.
    @inline(__always)
    func relax(from: Int, _ cells: UnsafeMutablePointer<OptimalCell>, _ last: inout Int, _ matches: MatchList, _ prices: OptimalPrices) {
        let origin = cells[from]
        // The origin's price holds its pending literals' length already; the cell a match reaches
        // starts a run of none. A fifth of a bit more per sequence, as zstd charges, favours fewer
        // of them where the estimate is even (0.1-1% smaller on the sample files).
        let base = origin.price + prices.literalLength(0) + OptimalPrices.bit / 5
        var length = Self.optimalMinMatch
        for i in 0..<matches.count {
            let matchLength = matches.lengths[i], distance = matches.distances[i]
            var after = origin.repeats
            let value = after.code(distance: distance, literalLength: origin.literalLength)
            let offsetPrice = base + prices.offset(value)
            while length <= matchLength {
                let at = from + length
                while last < at {
                    last += 1
                    cells[last].price = .max
                }
                let price = offsetPrice + prices.matchLength(length)
                if price < cells[at].price {
                    cells[at] = OptimalCell(price: price, matchLength: length, distance: distance, literalLength: 0, repeats: after)
                }
                length += 1
            }
        }
    }

    /// The matches at `ip`, lengths increasing: the repeat offsets first (as they would be coded
    /// after `literalLength` literals), then what the binary tree holds; `ip` joins the tree.
    @inline(__always)
    func gatherMatches(
        _ window: UnsafePointer<UInt8>, at ip: Int, literalLength: Int, repeats: RepeatOffsets,
        low: Int, end: UnsafePointer<UInt8>, sufficient: Int, into matches: MatchList
    ) {
        matches.count = 0
        var best = Self.optimalMinMatch - 1
        let here = window + ip
        @inline(__always) func tryRepeat(_ distance: Int) {
            // Three bytes are enough for a repeat: its offset costs almost nothing.
            guard distance > 0 && ip - distance >= low && (read32(here - distance) ^ read32(here)) & 0xFF_FFFF == 0 else { return }
            let length = 3 + commonLength(here + 3, here + 3 - distance, end)
            if length > best {
                best = length
                matches.append(length: length, distance: distance)
            }
        }
        if literalLength > 0 {
            tryRepeat(repeats.r1); tryRepeat(repeats.r2); tryRepeat(repeats.r3)
        } else {
            tryRepeat(repeats.r2); tryRepeat(repeats.r3); tryRepeat(repeats.r1 - 1)
        }
        // A 3-byte match nearby (the tree hashes four bytes): the newest position with the
        // same 3-byte hash, within 256 KiB, as zstd's `hashTable3`.
        let state = optimal!
        let candidate = state.nearestOfThree(window, at: ip)
        if candidate >= max(low, 1) && candidate < ip && ip - candidate < OptimalState.threeByteReach {
            let length = commonLength(here, window + candidate, end)
            if length > best {
                best = length
                matches.append(length: length, distance: ip - candidate)
            }
        }
        // A repeat or a near match long enough to take ends the search, as in zstd: the tree
        // might offer one a byte longer at a new offset, which costs more than it saves.
        // (`ip` then joins the tree with the next search's update.)
        if best >= sufficient { return }
        updateTree(window, upTo: ip, low: low, end: end, matches: matches)
        _ = treeInsert(window, at: ip, low: low, end: end, bestLength: best, record: true, into: matches)
        nextToUpdate = ip + 1
    }
}

/// One position of the optimal parse: the cheapest way found to reach it, and the state there.
struct OptimalCell {
    /// Estimated bits (1/256) to code everything up to here, the pending literals included
    /// (their bytes and the code of their count, as the next sequence will carry it).
    var price: Int
    /// The match that ends here (0: reached by a literal), and its distance.
    var matchLength: Int
    var distance: Int
    /// Literals since the last match on the way here.
    var literalLength: Int
    /// The repeat offsets after the way here.
    var repeats: RepeatOffsets
}

/// The optimal parser's working memory, made once per finder.
final class OptimalState {
    let prices = OptimalPrices()
    let matches: MatchList
    let cells = UnsafeMutablePointer<OptimalCell>.allocate(capacity: MatchFinder.optimalSpan + 1)
    let path = UnsafeMutablePointer<Int>.allocate(capacity: MatchFinder.optimalSpan + 1)

    init(searchLog: Int) {
        // Three repeat offsets, a 3-byte match and at most one match per comparison (a list
        // that fills keeps its longest: the cap only bounds what absurd parameters allocate).
        matches = MatchList(capacity: (1 << min(searchLog, 16)) + 5)
        threeByteTable.initialize(repeating: 0, count: 1 << Self.threeByteLog)
    }

    deinit {
        cells.deallocate()
        path.deallocate()
        threeByteTable.deallocate()
    }

    /// The newest position of each 3-byte hash, and the next position to add to it.
    static let threeByteLog = 17, threeByteReach = 1 << 18
    let threeByteTable = UnsafeMutablePointer<UInt32>.allocate(capacity: 1 << threeByteLog)
    var nextThree = 0

    func reset() {
        forgetPositions()
        prices.reset()
    }

    func forgetPositions() {
        threeByteTable.update(repeating: 0, count: 1 << Self.threeByteLog)
        nextThree = 0
    }

    func slide(by shift: Int) {
        let amount = UInt32(shift)
        for i in 0..<(1 << Self.threeByteLog) { threeByteTable[i] = threeByteTable[i] > amount ? threeByteTable[i] - amount : 0 }
        nextThree = max(0, nextThree - shift)
    }

    /// Adds the positions up to `ip` to the 3-byte table and returns the newest earlier position
    /// with `ip`'s hash (0 if none); `ip` joins the table.
    @inline(__always)
    func nearestOfThree(_ window: UnsafePointer<UInt8>, at ip: Int) -> Int {
        var p = nextThree
        while p < ip {
            threeByteTable[MatchFinder.hash(window + p, Self.threeByteLog, 3)] = UInt32(truncatingIfNeeded: p)
            p += 1
        }
        let h = MatchFinder.hash(window + ip, Self.threeByteLog, 3)
        let candidate = Int(threeByteTable[h])
        threeByteTable[h] = UInt32(truncatingIfNeeded: ip)
        nextThree = ip + 1
        return candidate
    }
}
