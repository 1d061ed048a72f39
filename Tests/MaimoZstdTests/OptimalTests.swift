import MaimoTestSupport
import MaimoZstd
import Testing

/// Levels 16-22: the optimal parse over a binary tree, and the block splitter.
@Suite("zstd: optimal parsing (levels 16-22)")
struct OptimalParsingTests {
    static func data(_ kind: Corpus.Kind, _ count: Int) -> [UInt8] {
        var generator = SeededGenerator.fromEnvironment("zstd optimal \(kind)")
        return Corpus.make(kind, count: count, using: &generator)
    }

    @Test("round trips at 16, 19 and 22, read back by us and by the reference", arguments: [16, 19, 22])
    func roundTrips(level: Int) throws {
        for kind in [Corpus.Kind.mixed, .binary, .runs] {
            let input = Self.data(kind, 200_000)
            let frame = Zstd.compress(input, level: level)
            #expect(try Zstd.decompress(frame) == input, "\(kind) at \(level)")
            if referenceZstdAvailable {
                #expect(try referenceZstd(["-q", "-d", "-c"], input: frame) == input, "\(kind) at \(level): the reference")
            }
        }
    }

    /// The issue asks for 3% of the reference's size at the same level; 2% keeps a regression
    /// from hiding. Random inputs: over 48 of them (12 seeds of each kind) ours measured
    /// 0.992-1.008x zstd's at 16, 19 and 22.
    @Test("sizes within 2% of zstd's at 16, 19 and --ultra -22", arguments: [Corpus.Kind.text, .json, .binary, .mixed])
    func sizesNearTheReference(kind: Corpus.Kind) throws {
        guard referenceZstdAvailable else { return }
        let input = Self.data(kind, 300_000)
        for level in [16, 19, 22] {
            let ours = Zstd.compress(input, level: level).count
            let theirs = try referenceZstd(["-q", "-c", "--ultra", "-\(level)"], input: input).count
            #expect(Double(ours) <= Double(theirs) * 1.02, "\(kind) at \(level): ours \(ours) bytes, zstd's \(theirs)")
        }
    }

    /// The input that trapped the two-pass first block: 10-byte binary records, whose first parse
    /// priced a new offset at 14.5 bits and a repeat at a quarter of one, so that the second
    /// parse never paid for a first offset and coded the block as literals (1.114x zstd's size).
    /// The second parse is now kept only when its block is the smaller.
    @Test("the first block's second parse is kept only when it is smaller")
    func secondParseCannotTrapTheFirstBlock() throws {
        var generator = SeededGenerator(seed: 680_467_932_798_831_960)
        let input = Corpus.make(.binary, count: 300_000, using: &generator)
        let frame = Zstd.compress(input, level: 19)
        #expect(try Zstd.decompress(frame) == input)
        // Trapped, the frame was 183,994 bytes (61%); now 163,607 (55%).
        #expect(frame.count * 100 < input.count * 58, "\(frame.count) bytes for \(input.count)")
        if referenceZstdAvailable {
            let theirs = try referenceZstd(["-q", "-c", "-19"], input: input).count
            #expect(Double(frame.count) <= Double(theirs) * 1.02, "ours \(frame.count) bytes, zstd's \(theirs)")
        }
    }

    /// The tree keeps its positions' slots through a slide (they are found by position plus the
    /// shifts so far): a small window slides while input comes in pieces, and every match found
    /// after a slide must still be right (without the shifts, the first slide scrambles the tree
    /// and the frame decodes to other bytes).
    @Test("a small window slides under the binary tree")
    func slidingWindow() throws {
        // The window slides when a window and 1 MiB of input have come in: 3 MiB slide it twice.
        let input = Self.data(.text, 3 << 20)
        var parameters = ZstdParameters.level(19)
        parameters.windowLog = 15
        parameters.chainLog = 16
        parameters.hashLog = 15
        // Blocks of 3,000 bytes make the shifts no multiple of the tree's size.
        let compressor = ZstdCompressor(options: .init(level: 19, parameters: parameters, maxBlockSize: 3000))
        var frame: [UInt8] = []
        let sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void = { frame.append(contentsOf: $0) }
        var start = 0
        while start < input.count {
            let end = min(input.count, start + 7_777)
            try compressor.compress(Array(input[start..<end]), to: sink)
            start = end
        }
        try compressor.finish(to: sink)
        #expect(try Zstd.decompress(frame) == input)
        #expect(frame.count < input.count * 3 / 4, "\(frame.count) bytes of \(input.count)")
        if referenceZstdAvailable { #expect(try referenceZstd(["-q", "-d", "-c"], input: frame) == input) }
    }

    @Test("with a dictionary")
    func dictionary() throws {
        var generator = SeededGenerator.fromEnvironment("zstd optimal dictionary")
        let samples = (0..<200).map { Corpus.record($0, using: &generator) }
        let dictionary = ZstdDictionary(rawContent: Array(samples.prefix(100).joined()))
        for sample in samples.suffix(20) {
            let frame = Zstd.compress(sample, level: 19, dictionary: dictionary)
            #expect(try Zstd.decompress(frame, dictionary: dictionary) == sample)
            #expect(frame.count < sample.count, "\(frame.count) bytes for \(sample.count)")
        }
    }

    /// Text followed by binary records in one 128 KiB block: the splitter codes it as several
    /// blocks, each with its own tables (one block without the splitter), and the result is
    /// near the reference's, which splits too.
    @Test("a block whose halves differ is split")
    func splitsADifferentBlock() throws {
        // Fixed inputs, for the size comparison (see sizesNearTheReference).
        var generator = SeededGenerator(seed: 20_261_207)
        let input = Corpus.make(.text, count: 64 << 10, using: &generator) + Corpus.make(.binary, count: 64 << 10, using: &generator)
        let frame = Zstd.compress(input, level: 19)
        #expect(try Zstd.decompress(frame) == input)
        #expect(LevelAndBlockTests.blockCount(frame) > 1, "one block for two kinds of data")
        if referenceZstdAvailable {
            let theirs = try referenceZstd(["-q", "-c", "-19"], input: input).count
            #expect(Double(frame.count) <= Double(theirs) * 1.03, "ours \(frame.count) bytes, zstd's \(theirs)")
        }
    }
}
