extension MatchFinder {
    // MARK: greedy, lazy, lazy2

    @inline(__always)
    func updateChain(_ window: UnsafePointer<UInt8>, upTo target: Int) {
        let log = parameters.hashLog, mls = parameters.minMatch
        let mask = secondSize - 1
        var p = nextToUpdate
        while p < target {
            let h = hash(window + p, log, mls)
            secondTable[(p &+ positionBase) & mask] = hashTable[h]
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
        while candidate >= chainLow && candidate < ip && attempts > 0 {
            attempts -= 1
            if tryCandidate(window, candidate, at: ip, end: end, bestLength: &bestLength, bestDistance: &bestDistance) { break }
            candidate = Int(secondTable[(candidate &+ positionBase) & mask])
        }
        return bestDistance == 0 ? (0, 0) : (bestLength, bestDistance)
    }

    /// The greedy and lazy parses: at each position a repeat of the last offset (here or one
    /// byte on) or the best match found; with `depth` 1 or 2 the next positions are tried and
    /// a better trade of length against offset bits wins. Offsets are weighed as zstd codes
    /// them: a repeat costs no offset bits, a new one the bits of its distance + 3.
    func findLazy(_ window: UnsafePointer<UInt8>, start: Int, end: Int, low: Int, depth: Int, into sequences: SequenceBuffer) {
        let blockEnd = window + end
        let limit = end - 8
        var ip = start, anchor = start
        if ip == 0 { ip = 1 }
        var r1 = rep1, r2 = rep2
        @inline(__always) func gain(_ length: Int, _ distance: Int) -> Int {
            let code = distance == r1 ? 1 : distance + 3
            return length * 4 - (Int.bitWidth - 1 - code.leadingZeroBitCount)
        }
        @inline(__always) func search(_ p: Int) -> (Int, Int) {
            rowLog > 0 ? bestMatchInRow(window, at: p, low: low, end: blockEnd) : bestMatch(window, at: p, low: low, end: blockEnd)
        }
        while ip < limit {
            // Candidates: a repeat of the last offset here or a byte on, or the best match found.
            var length = 0, distance = 0, matchAt = ip
            if ip - r1 >= low && read32(window + ip - r1) == read32(window + ip) {
                length = 4 + commonLength(window + ip + 4, window + ip + 4 - r1, blockEnd)
                distance = r1
            } else if ip + 1 - r1 >= low && read32(window + ip + 1 - r1) == read32(window + ip + 1) {
                length = 4 + commonLength(window + ip + 5, window + ip + 5 - r1, blockEnd)
                distance = r1
                matchAt = ip + 1
            }
            let found = search(ip)
            if found.0 > 0 && (length == 0 || gain(found.0, found.1) > gain(length, distance) + 1) {
                (length, distance) = found
                matchAt = ip
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
                    if gain(repeatLength, r1) > gain(length, distance) + 1 {
                        length = repeatLength; distance = r1; matchAt = next; better = true
                    }
                }
                let ahead = search(next)
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
