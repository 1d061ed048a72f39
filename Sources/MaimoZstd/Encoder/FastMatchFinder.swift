extension MatchFinder {
    // MARK: fast

    /// The `fast` strategy (zstd's `ZSTD_compressBlock_fast`): positions are searched two at a
    /// time, each one's hash and table entry computed a step ahead so that the loads of
    /// neighbouring positions overlap, and a repeat of the last offset tried once per pair. After
    /// 128 bytes without a match the search skips a position more per pair.
    func findFast(_ window: UnsafePointer<UInt8>, start: Int, end: Int, low: Int, into sequences: SequenceBuffer) {
        if dictionary != nil {
            findFastWithDictionary(window, start: start, end: end, low: low, into: sequences)
            return
        }
        let log = parameters.hashLog, mls = parameters.minMatch
        let table = hashTable
        let blockEnd = window + end
        let limit = end - 8
        let stepSize = max(2, parameters.acceleration)
        var anchor = start
        var ip0 = start == 0 ? 1 : start
        var (r1, r2, saved) = repeatsInReach(at: ip0, low: low)
        @inline(__always) func read(_ p: Int) -> UInt32 { UnsafeRawPointer(window + p).loadUnaligned(as: UInt32.self) }
        @inline(__always) func hashAt(_ p: Int) -> Int { Self.hash(window + p, log, mls) }

        while true {
            var step = stepSize
            var nextStep = ip0 + 128
            var ip1 = ip0 + 1
            var ip2 = ip0 + step
            var ip3 = ip2 + 1
            if ip3 >= limit { break }
            var hash0 = hashAt(ip0), hash1 = hashAt(ip1)
            var candidate = Int(table[hash0])
            // What the search found: 0 nothing, 1 a repeat of r1 at ip0 (moved to ip2), 2 a
            // match at ip0 with `candidate`.
            var found = 0
            var current0 = ip0
            repeat {
                current0 = ip0
                table[hash0] = UInt32(truncatingIfNeeded: ip0)
                if r1 > 0 && read(ip2 - r1) == read(ip2) {
                    table[hash1] = UInt32(truncatingIfNeeded: ip1)
                    ip0 = ip2
                    found = 1
                    break
                }
                if candidate >= low && read(candidate) == read(ip0) {
                    table[hash1] = UInt32(truncatingIfNeeded: ip1)
                    found = 2
                    break
                }
                candidate = Int(table[hash1])
                hash0 = hash1
                hash1 = hashAt(ip2)
                ip0 = ip1; ip1 = ip2; ip2 = ip3

                current0 = ip0
                table[hash0] = UInt32(truncatingIfNeeded: ip0)
                if candidate >= low && read(candidate) == read(ip0) {
                    // ip1 lies before where the search resumes only while the step is small.
                    if step <= 4 { table[hash1] = UInt32(truncatingIfNeeded: ip1) }
                    found = 2
                    break
                }
                candidate = Int(table[hash1])
                hash0 = hash1
                hash1 = hashAt(ip2)
                ip0 = ip1; ip1 = ip2
                ip2 = ip0 + step; ip3 = ip1 + step
                if ip2 >= nextStep { step += 1; nextStep += 128 }
            } while ip3 < limit
            if found == 0 { break }

            var from: Int, length: Int
            if found == 1 {
                // A repeat: one byte back is worth checking (ip2 is at least two past the anchor).
                from = ip0 - r1
                let back = window[ip0 - 1] == window[from - 1] ? 1 : 0
                ip0 -= back; from -= back
                length = 4 + back
            } else {
                from = candidate
                r2 = r1; r1 = ip0 - candidate
                length = 4
                while ip0 > anchor && from > low && window[ip0 - 1] == window[from - 1] { ip0 -= 1; from -= 1; length += 1 }
            }
            length += commonLength(window + ip0 + length, window + from + length, blockEnd)
            sequences.add(literals: window + anchor, ip0 - anchor, distance: ip0 - from, matchLength: length)
            ip0 += length
            anchor = ip0
            guard ip0 <= limit else { continue }
            table[hashAt(current0 + 2)] = UInt32(truncatingIfNeeded: current0 + 2)
            table[hashAt(ip0 - 2)] = UInt32(truncatingIfNeeded: ip0 - 2)
            repeatSecondOffset(window, &ip0, &anchor, &r1, &r2, limit: limit, low: low, end: blockEnd, into: sequences) { p in
                table[hashAt(p)] = UInt32(truncatingIfNeeded: p)
            }
        }
        sequences.addLastLiterals(window + anchor, end - anchor)
        restoreRepeats(r1, r2, saved: saved)
    }

    /// The `fast` strategy with a dictionary: each position looked up in the frame's table and
    /// the dictionary's, the longer match taken.
    func findFastWithDictionary(_ window: UnsafePointer<UInt8>, start: Int, end: Int, low: Int, into sequences: SequenceBuffer) {
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

    /// The `doubleFast` strategy (zstd's `ZSTD_compressBlock_doubleFast`): an 8-byte hash table
    /// for long matches and a short one; the next position's long hash and entry are loaded while
    /// this one is checked, and a short match gives way to a long one a byte later.
    func findDoubleFast(_ window: UnsafePointer<UInt8>, start: Int, end: Int, low: Int, into sequences: SequenceBuffer) {
        if dictionary != nil {
            findDoubleFastWithDictionary(window, start: start, end: end, low: low, into: sequences)
            return
        }
        let longLog = parameters.hashLog, shortLog = parameters.chainLog, mls = parameters.minMatch
        let longTable = hashTable, shortTable = secondTable
        let blockEnd = window + end
        let limit = end - 8
        var anchor = start
        var ip = start == 0 ? 1 : start
        var (r1, r2, saved) = repeatsInReach(at: ip, low: low)
        @inline(__always) func read32(_ p: Int) -> UInt32 { UnsafeRawPointer(window + p).loadUnaligned(as: UInt32.self) }
        @inline(__always) func read64(_ p: Int) -> UInt64 { UnsafeRawPointer(window + p).loadUnaligned(as: UInt64.self) }
        @inline(__always) func longHash(_ p: Int) -> Int { Self.hash(window + p, longLog, 8) }
        @inline(__always) func shortHash(_ p: Int) -> Int { Self.hash(window + p, shortLog, mls) }

        search: while true {
            var step = 1
            var nextStep = ip + 256
            var ip1 = ip + step
            if ip1 > limit { break }
            var hl0 = longHash(ip)
            var long0 = Int(longTable[hl0])
            var current = ip
            var from = 0, length = 0
            // 0: nothing found; 1: a repeat at ip + 1 (stored); 2: a match at ip from `from`.
            var found = 0
            repeat {
                let hs0 = shortHash(ip)
                let short0 = Int(shortTable[hs0])
                current = ip
                longTable[hl0] = UInt32(truncatingIfNeeded: ip)
                shortTable[hs0] = UInt32(truncatingIfNeeded: ip)
                if r1 > 0 && read32(ip + 1 - r1) == read32(ip + 1) {
                    length = 4 + commonLength(window + ip + 5, window + ip + 5 - r1, blockEnd)
                    ip += 1
                    sequences.add(literals: window + anchor, ip - anchor, distance: r1, matchLength: length)
                    found = 1
                    break
                }
                let hl1 = longHash(ip1)
                if long0 > low && read64(long0) == read64(ip) {
                    from = long0
                    length = 8 + commonLength(window + ip + 8, window + from + 8, blockEnd)
                    found = 2
                } else {
                    let long1 = Int(longTable[hl1])
                    if short0 > low && read32(short0) == read32(ip) {
                        // A long match one byte on beats the short one here.
                        if long1 > low && read64(long1) == read64(ip1) {
                            ip = ip1; from = long1
                            length = 8 + commonLength(window + ip + 8, window + from + 8, blockEnd)
                        } else {
                            from = short0
                            length = 4 + commonLength(window + ip + 4, window + from + 4, blockEnd)
                        }
                        found = 2
                    } else {
                        if ip1 >= nextStep { step += 1; nextStep += 256 }
                        ip = ip1
                        ip1 += step
                        hl0 = hl1
                        long0 = long1
                        continue
                    }
                }
                // ip1 lies before where the search resumes only while the step is small.
                if step < 4 { longTable[hl1] = UInt32(truncatingIfNeeded: ip1) }
                break
            } while ip1 <= limit
            if found == 0 { break search }
            if found == 2 {
                while ip > anchor && from > low && window[ip - 1] == window[from - 1] { ip -= 1; from -= 1; length += 1 }
                r2 = r1; r1 = ip - from
                sequences.add(literals: window + anchor, ip - anchor, distance: r1, matchLength: length)
            }
            ip += length
            anchor = ip
            guard ip <= limit else { continue }
            let inserted = current + 2
            longTable[longHash(inserted)] = UInt32(truncatingIfNeeded: inserted)
            longTable[longHash(ip - 2)] = UInt32(truncatingIfNeeded: ip - 2)
            shortTable[shortHash(inserted)] = UInt32(truncatingIfNeeded: inserted)
            shortTable[shortHash(ip - 1)] = UInt32(truncatingIfNeeded: ip - 1)
            repeatSecondOffset(window, &ip, &anchor, &r1, &r2, limit: limit, low: low, end: blockEnd, into: sequences) { p in
                shortTable[shortHash(p)] = UInt32(truncatingIfNeeded: p)
                longTable[longHash(p)] = UInt32(truncatingIfNeeded: p)
            }
        }
        sequences.addLastLiterals(window + anchor, end - anchor)
        restoreRepeats(r1, r2, saved: saved)
    }

    /// The `doubleFast` strategy with a dictionary: the frame's tables and the dictionary's
    /// looked up at each position, the longer match taken.
    func findDoubleFastWithDictionary(_ window: UnsafePointer<UInt8>, start: Int, end: Int, low: Int, into sequences: SequenceBuffer) {
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

}
