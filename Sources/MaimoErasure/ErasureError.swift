/// Why an erasure-coding call was refused. Each case names what was wrong and where.
public enum ErasureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `dataShards` must be at least 1 and `totalShards` between `dataShards` and 256.
    case invalidCode(dataShards: Int, totalShards: Int)
    /// A call was given `actual` shards where the code has `expected`.
    case wrongShardCount(expected: Int, actual: Int)
    /// Shard `index` is `actual` bytes long where the others are `expected`.
    case shardSizeMismatch(index: Int, expected: Int, actual: Int)
    /// Only `present` shards were given; the code needs `needed` to reconstruct.
    case tooFewShards(present: Int, needed: Int)

    public var description: String {
        switch self {
        case let .invalidCode(k, n):
            "no \(k)-of-\(n) code: need 1 ≤ data shards ≤ total shards ≤ 256"
        case let .wrongShardCount(expected, actual):
            "\(actual) shards given where the code has \(expected)"
        case let .shardSizeMismatch(index, expected, actual):
            "shard \(index) is \(actual) bytes, the others \(expected)"
        case let .tooFewShards(present, needed):
            "only \(present) shards present, \(needed) needed to reconstruct"
        }
    }
}
