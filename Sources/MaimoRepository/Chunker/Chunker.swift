/// The content-defined chunker of Docs/Repository.md §2: a gear hash with normalized chunking
/// (FastCDC). ``cut(_:)`` finds the end of the chunk that starts a buffer.
public struct Chunker: Sendable {
    /// Sizes in bytes; recorded in every snapshot.
    public struct Parameters: Sendable, Equatable {
        /// No chunk is shorter, except a file's last.
        public var minimum: Int
        /// The size chunks tend to (a power of two).
        public var average: Int
        /// No chunk is longer.
        public var maximum: Int

        /// Format version 2: 256 KiB, 1 MiB, 4 MiB.
        public static let version2 = Parameters(minimum: 256 << 10, average: 1 << 20, maximum: 4 << 20)

        /// Parameters with the given sizes (minimum ≤ average ≤ maximum).
        public init(minimum: Int, average: Int, maximum: Int) {
            self.minimum = minimum
            self.average = average
            self.maximum = maximum
        }

        /// log2 of the average, rounded down.
        var averageBits: Int { Int.bitWidth - 1 - average.leadingZeroBitCount }
    }

    /// The sizes it cuts to.
    public let parameters: Parameters
    let gear: [UInt64]
    /// The top `averageBits + 2` bits (harder to match, before the average) and the top
    /// `averageBits − 2` bits (easier, after it).
    let maskSmall: UInt64
    let maskLarge: UInt64

    /// A chunker with the repository's secret gear table.
    public init(gear: GearTable, parameters: Parameters = .version2) {
        precondition(parameters.minimum >= 1 && parameters.minimum <= parameters.average && parameters.average <= parameters.maximum)
        self.parameters = parameters
        self.gear = gear.values
        let bits = parameters.averageBits
        maskSmall = Self.topBits(bits + 2)
        maskLarge = Self.topBits(max(1, bits - 2))
    }

    static func topBits(_ count: Int) -> UInt64 { count >= 64 ? .max : ~(UInt64.max >> UInt64(count)) }

    /// The length of the chunk at the start of `data` (all of it when it is no longer than the
    /// minimum, at most the maximum).
    public func cut(_ data: UnsafeRawBufferPointer) -> Int {
        let n = data.count
        if n <= parameters.minimum { return n }
        let end = min(n, parameters.maximum)
        let normal = min(end, parameters.average)
        return gear.withUnsafeBufferPointer { table in
            let bytes = data.bindMemory(to: UInt8.self)
            // The hash is a window over the last 64 bytes (older bytes are shifted out): warm it
            // on the 64 bytes before the minimum, so that a run of zeros there (G[0] is 0, §2)
            // cuts at the minimum's first position rather than 64 bytes later.
            var h: UInt64 = 0
            var i = max(0, parameters.minimum - 64)
            while i < parameters.minimum {
                h = (h &<< 1) &+ table[Int(bytes[i])]
                i += 1
            }
            let small = maskSmall, large = maskLarge
            while i < normal {
                h = (h &<< 1) &+ table[Int(bytes[i])]
                i += 1
                if h & small == 0 { return i }
            }
            while i < end {
                h = (h &<< 1) &+ table[Int(bytes[i])]
                i += 1
                if h & large == 0 { return i }
            }
            return end
        }
    }

    /// Every chunk length of `data` cut from its start (the lengths add up to its count).
    public func lengths(_ data: [UInt8]) -> [Int] {
        data.withUnsafeBytes { raw in
            var out: [Int] = []
            var start = 0
            while start < raw.count {
                let length = cut(UnsafeRawBufferPointer(rebasing: raw[start...]))
                out.append(length)
                start += length
            }
            return out
        }
    }
}
