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
    /// A binary tree of earlier positions offers every match at every position, and the parse
    /// is the cheapest path through them in estimated bits (zstd's `btopt`/`btultra`): the
    /// smallest output, at a few MB/s.
    case optimal

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
    /// A match at least this long is taken at once by the optimal strategy, ending its search
    /// (zstd's `targetLength`); other strategies ignore it.
    public var targetLength: Int = 0

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

    /// These parameters within what the encoder supports, as zstd bounds its own: `windowLog`
    /// 10...31 (30 where `Int` has 32 bits), `hashLog` 6...30, `chainLog` 6...30 (0...30 for
    /// `fast`, which has no second table), `searchLog` 0 to `windowLog` − 1 and at most 30,
    /// `minMatch` 4...8 (the hashes read 4 to 8 bytes; zstd's 3 becomes 4), `targetLength`
    /// 0...131,072 and `acceleration` 1...131,073. A compressor applies this to the parameters it
    /// is given, so that none can make it trap or address outside its tables;
    /// ``ZstdCompressor/parameters`` shows what a frame uses.
    public func clamped() -> ZstdParameters {
        var result = self
        result.windowLog = min(Int.bitWidth == 32 ? 30 : 31, max(10, windowLog))
        result.hashLog = min(30, max(6, hashLog))
        result.chainLog = min(30, max(strategy == .fast ? 0 : 6, chainLog))
        result.searchLog = min(30, result.windowLog - 1, max(0, searchLog))
        result.minMatch = min(8, max(4, minMatch))
        result.targetLength = min(1 << 17, max(0, targetLength))
        result.acceleration = min((1 << 17) + 1, max(1, acceleration))
        return result
    }

    /// The highest level (`--ultra`); the highest without `--ultra` is 19, as in zstd.
    public static let maxLevel = 22

    static let levels: [ZstdParameters] = {
        let table: [(ZstdStrategy, Int, Int, Int, Int, Int, Int)] = [
            (.fast, 19, 15, 0, 0, 8, 0),           // 1
            (.doubleFast, 20, 16, 15, 0, 6, 0),    // 2
            (.doubleFast, 21, 17, 16, 0, 5, 0),    // 3
            (.doubleFast, 21, 18, 18, 0, 5, 0),    // 4
            (.greedy, 21, 19, 18, 3, 5, 0),        // 5
            (.lazy, 21, 19, 18, 3, 5, 0),          // 6
            (.lazy, 21, 20, 19, 4, 5, 0),          // 7
            (.lazy2, 21, 20, 19, 4, 5, 0),         // 8
            (.lazy2, 22, 21, 20, 4, 5, 0),         // 9
            (.lazy2, 22, 22, 21, 5, 5, 0),         // 10
            (.lazy2, 22, 22, 21, 6, 5, 0),         // 11
            (.lazy2, 22, 22, 22, 6, 5, 0),         // 12
            (.lazy2, 22, 22, 22, 7, 5, 0),         // 13
            (.lazy2, 22, 22, 23, 7, 4, 0),         // 14
            (.lazy2, 22, 22, 23, 8, 4, 0),         // 15
            // 16-22: optimal parsing over a binary tree, zstd's parameters (its btopt, btultra and
            // btultra2 rows; a 4-byte minimum match where zstd's is 3). The ultra levels' tables
            // are zstd's too: 2^25-2^27 tree entries (128-512 MiB) for windows of 32-128 MiB.
            (.optimal, 22, 22, 22, 5, 4, 48),      // 16
            (.optimal, 23, 22, 23, 5, 4, 64),      // 17
            (.optimal, 23, 22, 23, 6, 4, 64),      // 18
            (.optimal, 23, 22, 24, 7, 4, 256),     // 19
            (.optimal, 25, 23, 25, 7, 4, 256),     // 20
            (.optimal, 26, 24, 26, 7, 4, 512),     // 21
            (.optimal, 27, 25, 27, 9, 4, 999),     // 22
        ]
        return table.map { row in
            var parameters = ZstdParameters(strategy: row.0, windowLog: row.1, hashLog: row.2, chainLog: row.3, searchLog: row.4, minMatch: row.5)
            parameters.targetLength = row.6
            return parameters
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
