import MaimoTestSupport
import MaimoZstd
import Testing

/// The levels beyond 1…19 and the block size option, read back by us and by the reference.
@Suite("zstd: ultra and negative levels, block sizes")
struct LevelAndBlockTests {
    static func data(_ count: Int) -> [UInt8] {
        var generator = SeededGenerator.fromEnvironment("zstd levels")
        return Corpus.make(.mixed, count: count, using: &generator)
    }

    /// The sizes of the blocks a frame holds (compressed or raw/RLE sizes as the headers give).
    static func blockCount(_ frame: [UInt8]) -> Int {
        let descriptor = frame[4]
        let singleSegment = descriptor & 0x20 != 0
        let dictionaryBytes = [0, 1, 2, 4][Int(descriptor & 3)]
        let contentBytes = [singleSegment ? 1 : 0, 2, 4, 8][Int(descriptor >> 6)]
        var at = 5 + (singleSegment ? 0 : 1) + dictionaryBytes + contentBytes
        var count = 0
        while true {
            let header = Int(frame[at]) | Int(frame[at + 1]) << 8 | Int(frame[at + 2]) << 16
            let type = (header >> 1) & 3, size = header >> 3
            count += 1
            at += 3 + (type == 1 ? 1 : size)
            if header & 1 != 0 { return count }
        }
    }

    /// The literal section types (0 raw, 1 RLE, 2 Huffman, 3 Huffman with the previous table)
    /// of a frame's compressed blocks.
    static func literalTypes(_ frame: [UInt8]) -> Set<Int> {
        let descriptor = frame[4]
        let singleSegment = descriptor & 0x20 != 0
        var at = 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][Int(descriptor & 3)] + [singleSegment ? 1 : 0, 2, 4, 8][Int(descriptor >> 6)]
        var types = Set<Int>()
        while true {
            let header = Int(frame[at]) | Int(frame[at + 1]) << 8 | Int(frame[at + 2]) << 16
            let type = (header >> 1) & 3, size = header >> 3
            if type == 2 { types.insert(Int(frame[at + 3] & 3)) }
            at += 3 + (type == 1 ? 1 : size)
            if header & 1 != 0 { return types }
        }
    }

    /// As zstd's: negative levels store literals as they are (the reference's `--fast=1` frames
    /// of the same input hold only raw literal sections too), level 1 Huffman-codes them.
    @Test func negativeLevelsStoreLiteralsRaw() {
        let input = Self.data(600_000)
        #expect(Self.literalTypes(Zstd.compress(input, level: -1)) == [0])
        #expect(Self.literalTypes(Zstd.compress(input, level: -5)) == [0])
        #expect(Self.literalTypes(Zstd.compress(input, level: 1)).contains(2))
    }

    @Test("levels -1, -5, -100 and 20, 21, 22 round-trip", arguments: [-1, -5, -100, 20, 21, 22])
    func levels(level: Int) throws {
        let input = Self.data(600_000)
        let frame = Zstd.compress(input, level: level)
        #expect(try Zstd.decompress(frame) == input)
        if referenceZstdAvailable {
            #expect(try referenceZstd(["-q", "-d", "-c"], input: frame) == input, "level \(level): the reference")
        }
    }

    /// Acceleration trades size for speed: a far negative level skips most positions and must
    /// compress clearly worse than -1. Negative levels store literals raw, as the reference's do,
    /// so -1 is up to about a quarter larger than level 1 on mixed data — the reference's own
    /// -1 was 1.03-1.26x its level 1 on these inputs — and it stays near the reference's
    /// `--fast=1` (1.01-1.06x over eight seeds).
    @Test("negative levels give up size with their acceleration")
    func accelerationCostsSize() throws {
        let input = Self.data(600_000)
        let one = Zstd.compress(input, level: 1).count
        let minusOne = Zstd.compress(input, level: -1).count, minusHundred = Zstd.compress(input, level: -100).count
        #expect(minusHundred > minusOne + minusOne / 20, "-100: \(minusHundred) bytes, -1: \(minusOne)")
        #expect(Double(minusOne) < Double(one) * 1.4, "-1: \(minusOne) bytes, 1: \(one)")
        if referenceZstdAvailable {
            let theirs = try referenceZstd(["-q", "-c", "--fast=1"], input: input).count
            #expect(Double(minusOne) < Double(theirs) * 1.1, "-1: \(minusOne) bytes, zstd --fast=1: \(theirs)")
        }
    }

    @Test("blocks never hold more input than the option allows", arguments: [1024, 4096, 100_000])
    func blockSizes(size: Int) throws {
        let input = Self.data(300_000)
        let frame = ZstdCompressor(options: .init(level: 3, contentSize: UInt64(input.count), maxBlockSize: size)).compressFrame(input)
        #expect(try Zstd.decompress(frame) == input)
        #expect(Self.blockCount(frame) >= (input.count + size - 1) / size, "\(size)-byte blocks")
        if referenceZstdAvailable { #expect(try referenceZstd(["-q", "-d", "-c"], input: frame) == input) }
    }

    @Test("the level table covers -131072 to 22")
    func levelTable() {
        #expect(ZstdParameters.level(-3).acceleration == 4)
        #expect(ZstdParameters.level(1).acceleration == 1)
        #expect(ZstdParameters.level(22).windowLog == 27)
        #expect(ZstdParameters.level(0) == ZstdParameters.level(3))
        #expect(ZstdParameters.level(99) == ZstdParameters.level(22))
    }
}
