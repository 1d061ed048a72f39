/// A match of at least ``LongDistanceMatcher/minimumLength`` bytes anywhere in a large window:
/// `length` bytes at window position `start` repeat those `distance` bytes before.
struct LongMatch {
    var start: Int
    var distance: Int
    var length: Int
}

/// Long-distance matching, zstd's `--long`: repeats far back in a window of up to 2 GiB, which
/// the level's hash tables (a few MiB of entries, overwritten as they go) have long forgotten.
///
/// A gear hash rolls over every byte; where its top `rateLog` bits are zero (one position in
/// 2^rateLog, decided by the last 64 bytes alone, so the same content splits at the same
/// places wherever it lies) the 64 bytes before the split are hashed into a table of buckets of
/// eight (position, checksum) entries. A later split whose bytes hash the same and compare equal
/// for at least 64 bytes is a long match; it is extended backwards, and forwards as far as the
/// bytes agree. The level's own finder codes the bytes between long matches.
final class LongDistanceMatcher {
    static let minimumLength = 64
    static let bucketLog = 3
    /// The window this matcher was made for (log2).
    let windowLog: Int
    /// Entries in the table (log2): the window's size over 128, as zstd's default.
    let hashLog: Int
    /// One position in 2^rateLog is a split.
    let rateLog: Int
    let stopMask: UInt64
    let positions: UnsafeMutablePointer<UInt32>
    let checksums: UnsafeMutablePointer<UInt32>
    /// The next entry to overwrite in each bucket.
    let cursors: UnsafeMutablePointer<UInt8>
    let gear: UnsafeMutablePointer<UInt64>
    let bucketCount: Int
    var rolling: UInt64 = 0
    /// The next window position to feed to the rolling hash.
    var hashedTo = 0
    /// The part of a long match that ran past its block, coded at the start of the next one.
    var pending = LongMatch(start: 0, distance: 0, length: 0)
    var found: [LongMatch] = []

    init(windowLog: Int) {
        self.windowLog = windowLog
        hashLog = max(Self.bucketLog + 3, windowLog - 7)
        rateLog = max(0, windowLog - hashLog)
        stopMask = rateLog == 0 ? 0 : ((1 << UInt64(rateLog)) - 1) << UInt64(64 - rateLog)
        bucketCount = 1 << (hashLog - Self.bucketLog)
        positions = .allocate(capacity: 1 << hashLog)
        checksums = .allocate(capacity: 1 << hashLog)
        cursors = .allocate(capacity: bucketCount)
        gear = .allocate(capacity: 256)
        gear.initialize(from: gearTable, count: 256)
        reset()
    }

    deinit {
        positions.deallocate()
        checksums.deallocate()
        cursors.deallocate()
        gear.deallocate()
    }

    func reset() {
        positions.initialize(repeating: 0, count: 1 << hashLog)
        checksums.initialize(repeating: 0, count: 1 << hashLog)
        cursors.initialize(repeating: 0, count: bucketCount)
        rolling = 0
        hashedTo = 0
        pending = LongMatch(start: 0, distance: 0, length: 0)
    }

    /// Moves every stored position down by `shift` after the window slid.
    func slide(by shift: Int) {
        let amount = UInt32(shift)
        for i in 0..<(1 << hashLog) { positions[i] = positions[i] > amount ? positions[i] - amount : 0 }
        hashedTo = max(0, hashedTo - shift)
        pending.start -= shift
    }

    /// The long matches that start in `start..<end`, in order and not overlapping, reaching back
    /// no further than `low` and forward no further than `available` (bytes already in the window
    /// past `end`); the table learns every split up to `end`, the bytes before `start` included
    /// (a dictionary's content, or the blocks before).
    func find(_ window: UnsafePointer<UInt8>, start: Int, end: Int, available: Int, low: Int) -> [LongMatch] {
        found.removeAll(keepingCapacity: true)
        let minimum = Self.minimumLength
        var coveredTo = start
        var hash = rolling
        let gear = self.gear
        var p = hashedTo
        while p < end {
            hash = (hash &<< 1) &+ gear[Int(window[p])]
            p += 1
            guard hash & stopMask == 0, p >= minimum else { continue }
            // A split after p - 1: the 64 bytes before it name the entry.
            let from = p - minimum
            let key = Self.mix(window + from)
            let bucket = Int(truncatingIfNeeded: key >> UInt64(64 - (hashLog - Self.bucketLog))) << Self.bucketLog
            let checksum = UInt32(truncatingIfNeeded: key)
            if from >= coveredTo {
                var best = LongMatch(start: 0, distance: 0, length: 0)
                for i in bucket..<(bucket + (1 << Self.bucketLog)) where checksums[i] == checksum {
                    let candidate = Int(positions[i])
                    guard candidate >= low && candidate < from else { continue }
                    let forward = MatchFinder.commonLength(window + from, window + candidate, window + available)
                    guard forward >= minimum else { continue }
                    var back = 0
                    while from - back > coveredTo && candidate - back > low && window[from - back - 1] == window[candidate - back - 1] {
                        back += 1
                    }
                    if forward + back > best.length {
                        best = LongMatch(start: from - back, distance: from - candidate, length: forward + back)
                    }
                }
                if best.length > 0 {
                    found.append(best)
                    coveredTo = best.start + best.length
                }
            }
            let slot = bucket + Int(cursors[bucket >> Self.bucketLog])
            cursors[bucket >> Self.bucketLog] = (cursors[bucket >> Self.bucketLog] &+ 1) & ((1 << Self.bucketLog) - 1)
            positions[slot] = UInt32(from)
            checksums[slot] = checksum
        }
        rolling = hash
        hashedTo = max(hashedTo, end)
        return found
    }

    /// A 64-bit hash of the 64 bytes at `p`.
    @inline(__always)
    static func mix(_ p: UnsafePointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in 0..<8 {
            let word = UnsafeRawPointer(p + 8 * i).loadUnaligned(as: UInt64.self)
            h = (h ^ (word &* 0xC2B2_AE3D_27D4_EB4F)) &* 0x1656_67B1_9E37_79F9
            h ^= h >> 29
        }
        return h
    }
}

extension ZstdCompressor {
    /// The sequences of the block `start..<stop`: the level's finder alone, or with long-distance
    /// matching, the long matches and the level's finder between them.
    func findSequences(start: Int, stop: Int, low: Int) {
        sequences.reset()
        sequences.readLimit = sourceEnd ?? UnsafePointer(bitPattern: UInt.max)!
        guard let long = longMatcher else {
            finder.findSequences(source, start: start, end: stop, low: low, into: sequences)
            return
        }
        var cursor = start
        // The rest of a long match that ran past the block before.
        let take = min(long.pending.length, stop - start)
        if take >= 3 && long.pending.start == start {
            sequences.add(literals: source + start, 0, distance: long.pending.distance, matchLength: take)
            finder.noteMatch(distance: long.pending.distance)
            cursor += take
            long.pending.start += take
            long.pending.length -= take
        } else {
            long.pending.length = 0
        }
        for match in long.find(source, start: cursor, end: stop, available: end, low: low) {
            finder.findSequences(source, start: cursor, end: match.start, low: low, into: sequences)
            let inBlock = min(match.length, stop - match.start)
            sequences.add(literals: source + match.start, 0, distance: match.distance, matchLength: inBlock)
            finder.noteMatch(distance: match.distance)
            cursor = match.start + inBlock
            if match.length > inBlock {
                long.pending = LongMatch(start: stop, distance: match.distance, length: match.length - inBlock)
            }
        }
        if cursor < stop { finder.findSequences(source, start: cursor, end: stop, low: low, into: sequences) }
    }
}

/// The gear hash's table: 256 fixed pseudo-random words (SplitMix64 from 0), so that the same
/// content splits at the same places in every run.
private let gearTable: [UInt64] = {
    var state: UInt64 = 0
    return (0..<256).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}()
