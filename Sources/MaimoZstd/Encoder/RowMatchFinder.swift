/// The lazy strategies' row-based search (zstd's row match finder, which its levels 5–12 use):
/// instead of a hash chain, whose every step is a dependent load from anywhere in a large
/// table, each hash names a row of 16 to 64 recent positions with one tag byte each (more bits
/// of the hash). The tags of a row are compared with 16-byte vector compares, and only the
/// positions whose tag matches are looked at: a search touches two or three cache lines.
extension MatchFinder {
    static let minRowLog = 4
    static let maxRowLog = 6

    // Always inlined: perf showed the getter called (not inlined) in level 9's search loop.
    @inline(__always) var rowMask: Int { (1 << rowLog) - 1 }

    /// The row and tag of the position `p`: a hash of `rows + 8` bits, its low byte the tag.
    @inline(__always)
    func rowAndTag(_ p: UnsafePointer<UInt8>) -> (row: Int, tag: UInt8) {
        let h = Self.hash(p, parameters.hashLog - rowLog + 8, parameters.minMatch)
        return (h &>> 8, UInt8(truncatingIfNeeded: h))
    }

    /// Puts position `p` in its row as the newest entry (over the oldest).
    @inline(__always)
    func insertInRow(_ window: UnsafePointer<UInt8>, _ p: Int) {
        let (row, tag) = rowAndTag(window + p)
        let head = (Int(heads[row]) &- 1) & rowMask
        heads[row] = UInt8(truncatingIfNeeded: head)
        let slot = row &<< rowLog | head
        tags[slot] = tag
        hashTable[slot] = UInt32(truncatingIfNeeded: p)
    }

    /// Adds the positions from `nextToUpdate` up to `target` to their rows. After a long match
    /// only its first 96 and last 32 positions go in (as zstd does): the rows would forget the
    /// middle's entries soon anyway, and inserting them costs more than it finds.
    @inline(__always)
    func updateRows(_ window: UnsafePointer<UInt8>, upTo target: Int) {
        var p = nextToUpdate
        if target - p > 384 {
            for q in p..<(p + 96) { insertInRow(window, q) }
            p = target - 32
        }
        while p < target { insertInRow(window, p); p += 1 }
        nextToUpdate = max(nextToUpdate, target)
    }

    /// Which entries of the row at `row` carry `tag`: bit i for entry i.
    @inline(__always)
    func tagMatches(_ row: UnsafePointer<UInt8>, _ tag: UInt8) -> UInt64 {
        let splat = SIMD16<UInt8>(repeating: tag)
        var mask: UInt64 = 0
        var k = 0
        while k < 1 << rowLog {
            let chunk = UnsafeRawPointer(row + k).loadUnaligned(as: SIMD16<UInt8>.self)
            let ones = SIMD16<UInt8>(repeating: 0).replacing(with: 1, where: chunk .== splat)
            // Eight 0/1 bytes times this constant gather them into the top byte, in order.
            let halves = unsafeBitCast(ones, to: SIMD2<UInt64>.self)
            let low = (halves[0] &* 0x0102_0408_1020_4080) &>> 56
            let high = (halves[1] &* 0x0102_0408_1020_4080) &>> 56
            mask |= (low | high &<< 8) &<< UInt64(k)
            k += 16
        }
        return mask
    }

    /// The longest match at `ip` among its row's entries whose tag matches, newest first, at
    /// most `1 << searchLog` of them: (length, distance), length 0 if none. `ip` then joins
    /// its row.
    @inline(__always)
    func bestMatchInRow(_ window: UnsafePointer<UInt8>, at ip: Int, low: Int, end: UnsafePointer<UInt8>) -> (Int, Int) {
        updateRows(window, upTo: ip)
        let here = window + ip
        let (row, tag) = rowAndTag(here)
        let head = Int(heads[row])
        let size = 1 << rowLog
        var matches = tagMatches(tags + row &<< rowLog, tag)
        // Rotated so that bit 0 is the newest entry (at the head), bit 1 the next older, …
        if head != 0 {
            let full: UInt64 = size == 64 ? ~0 : (1 &<< UInt64(size)) &- 1
            matches = (matches &>> UInt64(head) | matches &<< UInt64(size - head)) & full
        }
        var attempts = 1 << min(parameters.searchLog, rowLog)
        var bestLength = 3, bestDistance = 0
        let entries = hashTable + row &<< rowLog
        while matches != 0 && attempts > 0 {
            let slot = (head + matches.trailingZeroBitCount) & (size - 1)
            matches &= matches &- 1
            let candidate = Int(entries[slot])
            // Entries are newest first: the rest are older, out of the window as well.
            guard candidate >= low && candidate < ip else { break }
            attempts -= 1
            if tryCandidate(window, candidate, at: ip, end: end, bestLength: &bestLength, bestDistance: &bestDistance) { break }
        }
        insertInRow(window, ip)
        nextToUpdate = ip + 1
        return bestDistance == 0 ? (0, 0) : (bestLength, bestDistance)
    }
}
