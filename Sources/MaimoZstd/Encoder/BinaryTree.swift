/// The optimal strategy's match search (zstd's binary tree, as in its `bt*` strategies): the
/// positions that share a hash form a binary search tree ordered by the bytes that follow them,
/// newest at the root. Inserting a position walks down from the root comparing suffixes, and the
/// same walk yields the position's matches in increasing length: every candidate met shares at
/// least the shorter of the two prefixes already matched on its sides, so each comparison starts
/// there instead of at the first byte.
///
/// Layout: `hashTable` holds each hash's root; `secondTable` two child links per position, the
/// slots of position p at `2 * ((p + positionBase) & treeMask)`. Adding `positionBase`, which
/// grows by each slide's shift, keeps a position in its slots when the window slides (the stored
/// positions are shifted, not moved). A link of 0 or to a position that fell out of the table's
/// reach ends a walk; positions start at 1.
extension MatchFinder {
    /// Nodes in the tree: half the second table, two links each.
    @inline(__always) var treeMask: Int { (secondSize >> 1) - 1 }

    @inline(__always)
    func treeSlot(_ p: Int) -> Int { ((p &+ positionBase) & treeMask) &<< 1 }

    /// Inserts `ip` into its tree and, when `record` is set, appends each match longer than
    /// `bestLength` met on the way to `matches` (which then holds them in increasing length).
    /// Matches reach back no further than `low` and no further than `end`. Returns the longest
    /// match length seen (0 for none).
    @inline(__always)
    func treeInsert(
        _ window: UnsafePointer<UInt8>, at ip: Int, low: Int, end: UnsafePointer<UInt8>,
        bestLength: Int, record: Bool, into matches: MatchList
    ) -> Int {
        let here = window + ip
        let h = hash(here, parameters.hashLog, parameters.minMatch)
        var candidate = Int(hashTable[h])
        hashTable[h] = UInt32(truncatingIfNeeded: ip)
        // A position `treeMask + 1` back shares the new one's slots: everything older is gone.
        let lowest = max(low, ip - treeMask, 1)
        var smallerSlot = treeSlot(ip), largerSlot = smallerSlot + 1
        var commonSmaller = 0, commonLarger = 0
        var compares = 1 << parameters.searchLog
        var best = bestLength
        while candidate >= lowest && candidate < ip && compares > 0 {
            compares -= 1
            let node = treeSlot(candidate)
            var length = min(commonSmaller, commonLarger)
            length += commonLength(here + length, window + candidate + length, end)
            if length > best {
                best = length
                if record { matches.append(length: length, distance: ip - candidate) }
            }
            // The match runs to the end: its order against `ip` is unknown, so the candidate's
            // subtree is dropped (zstd does the same: a little compression for consistency).
            if here + length == end { break }
            if window[candidate + length] < here[length] {
                // The candidate sorts before `ip`: it and its smaller side go left; go on right.
                secondTable[smallerSlot] = UInt32(truncatingIfNeeded: candidate)
                commonSmaller = length
                smallerSlot = node + 1
                candidate = Int(secondTable[node + 1])
            } else {
                secondTable[largerSlot] = UInt32(truncatingIfNeeded: candidate)
                commonLarger = length
                largerSlot = node
                candidate = Int(secondTable[node])
            }
        }
        secondTable[smallerSlot] = 0
        secondTable[largerSlot] = 0
        return best
    }

    /// Inserts the positions from `nextToUpdate` up to `target` (exclusive). Inside a very long
    /// match most positions are left out, as zstd does: the tree would give them nothing the
    /// match's start does not, and each insertion walks a long common prefix.
    @inline(__always)
    func updateTree(_ window: UnsafePointer<UInt8>, upTo target: Int, low: Int, end: UnsafePointer<UInt8>, matches: MatchList) {
        var p = max(nextToUpdate, 1)
        while p < target {
            let longest = treeInsert(window, at: p, low: low, end: end, bestLength: 0, record: false, into: matches)
            p += longest > 384 ? min(192, longest - 384) : 1
        }
        nextToUpdate = max(nextToUpdate, target)
    }
}

/// The matches found at one position: lengths increasing, each with the distance it was found at.
final class MatchList {
    let lengths: UnsafeMutablePointer<Int>
    let distances: UnsafeMutablePointer<Int>
    let capacity: Int
    var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        lengths = .allocate(capacity: capacity)
        distances = .allocate(capacity: capacity)
    }

    deinit {
        lengths.deallocate()
        distances.deallocate()
    }

    @inline(__always)
    func append(length: Int, distance: Int) {
        // Lengths only grow (each entry beats the last), so a full list keeps the longest by
        // overwriting its last entry.
        let at = count < capacity ? count : capacity - 1
        lengths[at] = length
        distances[at] = distance
        count = at + 1
    }
}
