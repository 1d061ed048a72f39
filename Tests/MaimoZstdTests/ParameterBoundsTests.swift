import MaimoTestSupport
import MaimoZstd
import Testing

/// Search parameters given by a caller are brought within the encoder's bounds: none can make
/// it trap (a shift past the word, a hash of more than eight bytes) or address outside a table.
@Suite("zstd: parameters out of bounds")
struct ParameterBoundsTests {
    /// Parameters as a caller makes them: a level's, then each field set.
    static func parameters(_ strategy: ZstdStrategy, _ windowLog: Int, _ hashLog: Int, _ chainLog: Int, _ searchLog: Int, _ minMatch: Int) -> ZstdParameters {
        var parameters = ZstdParameters.level(3)
        parameters.strategy = strategy
        parameters.windowLog = windowLog
        parameters.hashLog = hashLog
        parameters.chainLog = chainLog
        parameters.searchLog = searchLog
        parameters.minMatch = minMatch
        return parameters
    }

    @Test("clamped() brings every field within its bounds and keeps the levels' own")
    func clampedBounds() {
        let wild = Self.parameters(.lazy2, 64, -3, 99, 70, 1)
        let clamped = wild.clamped()
        #expect(clamped.windowLog == 31 && clamped.hashLog == 6 && clamped.chainLog == 30)
        #expect(clamped.searchLog == 30 && clamped.minMatch == 4)
        var low = Self.parameters(.fast, 0, 0, -1, -1, 20)
        low.targetLength = -5
        low.acceleration = 0
        let raised = low.clamped()
        #expect(raised.windowLog == 10 && raised.hashLog == 6 && raised.chainLog == 0 && raised.searchLog == 0)
        #expect(raised.minMatch == 8 && raised.targetLength == 0 && raised.acceleration == 1)
        for level in -5...22 where level != 0 {
            #expect(ZstdParameters.level(level).clamped() == ZstdParameters.level(level), "level \(level)")
        }
    }

    /// Every strategy with parameters at and past both ends (the declared size keeps the tables
    /// small): the frame decodes to its input, and the compressor reports the clamped values.
    @Test("absurd parameters compress and decode", arguments: [ZstdStrategy.fast, .doubleFast, .greedy, .lazy, .lazy2, .optimal])
    func absurdParameters(strategy: ZstdStrategy) throws {
        var generator = SeededGenerator.fromEnvironment("zstd parameter bounds \(strategy)")
        let input = Corpus.make(.mixed, count: 50_000, using: &generator)
        var tiny = Self.parameters(strategy, -1, -1, -1, -1, -1)
        tiny.targetLength = -1
        tiny.acceleration = -1
        // searchLog stays sane: at 30 (what 99 becomes) a hash chain is walked to its end at every
        // position, legal and very slow; `clampedBounds` checks that bound.
        var huge = Self.parameters(strategy, 99, 99, 99, 6, 99)
        huge.targetLength = Int.max
        huge.acceleration = Int.max
        for parameters in [tiny, huge] {
            let compressor = ZstdCompressor(options: .init(contentSize: UInt64(input.count), parameters: parameters))
            let frame = input.withUnsafeBytes { compressor.compressFrame($0) }
            #expect(try Zstd.decompress(frame) == input, "\(strategy), \(parameters)")
            let used = compressor.parameters
            #expect((10...31).contains(used.windowLog) && (6...30).contains(used.hashLog) && (4...8).contains(used.minMatch))
        }
    }
}
