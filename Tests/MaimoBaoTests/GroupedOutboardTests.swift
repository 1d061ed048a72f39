import Testing
import MaimoTestSupport
import MaimoBlake3
@testable import MaimoBao

/// The pruned tree against the full combined encoding: same root, same bytes read through
/// ``BaoGroupedSource``, same slices, at every boundary a group or a chunk can make.
struct GroupedOutboardTests {
    static let lengths: [Int] = [0, 1, 1023, 1024, 1025, 2048, 4097, 16383, 16384, 16385, 32768, 32769,
                                 49152, 65537, 100_000, (1 << 20) + 5]

    @Test(arguments: lengths) func theSourceReadsAsTheCombinedEncoding(length: Int) throws {
        var seed = SeededGenerator.fromEnvironment("grouped-\(length)")
        let data = randomBytes(length, using: &seed)
        let (encoding, hash) = Bao.encode(data)
        for group: UInt64 in [1024, 4096, 16384, 65536] {
            let (tree, root) = BaoGroupedOutboard.build(data, groupLength: group)
            #expect(root == hash && root == Blake3.hash(data))
            #expect(UInt64(tree.count) == BaoGroupedOutboard.size(contentLength: UInt64(length), groupLength: group))
            let source = BaoGroupedSource(data: BaoBufferSource(data), tree: BaoBufferSource(tree),
                                          contentLength: UInt64(length), groupLength: group)
            // Front to back in odd-sized reads, then at random offsets.
            var read: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 777)
            while true {
                let n = try buffer.withUnsafeMutableBytes { (raw) throws(BaoError) -> Int in
                    try source.read(at: UInt64(read.count), into: raw)
                }
                if n == 0 { break }
                read += buffer[..<n]
            }
            #expect(read == encoding, "group \(group)")
            for _ in 0..<20 where encoding.count > 1 {
                let offset = Int.random(in: 0..<encoding.count, using: &seed)
                let count = Int.random(in: 1...min(3000, encoding.count - offset), using: &seed)
                let piece = try source.readBytes(at: UInt64(offset), count: count)
                #expect(Array(encoding[offset..<(offset + count)]) == piece, "group \(group) at \(offset)")
            }
            for _ in 0..<10 {
                let start = UInt64.random(in: 0...UInt64(length + 10), using: &seed)
                let count = UInt64.random(in: 0...40_000, using: &seed)
                #expect(try Bao.slice(from: source, start: start, count: count)
                        == Bao.slice(encoding: encoding, start: start, count: count), "group \(group) slice \(start)+\(count)")
            }
        }
    }

    @Test func theBuilderTakesAnyPieces() {
        var seed = SeededGenerator.fromEnvironment("grouped-pieces")
        let data = randomBytes(300_000, using: &seed)
        let whole = BaoGroupedOutboard.build(data)
        var builder = BaoGroupedOutboardBuilder()
        var offset = 0
        while offset < data.count {
            let n = min(data.count - offset, Int.random(in: 0...40_000, using: &seed))
            builder.update(Array(data[offset..<(offset + n)]))
            offset += n
        }
        let pieces = builder.finalize()
        #expect(pieces.tree == whole.tree && pieces.hash == whole.hash)
        // 64 bytes per 16 KiB group: 0.39% of the content.
        #expect(whole.tree.count == 18 * 64)
    }

    @Test func aDamagedTreeOrGroupFailsTheSlice() throws {
        var seed = SeededGenerator.fromEnvironment("grouped-damage")
        let data = randomBytes(200_000, using: &seed)
        let (tree, hash) = BaoGroupedOutboard.build(data)
        var badTree = tree
        badTree[0] ^= 1
        var badData = data
        badData[100_000] ^= 1
        for (tree, data) in [(badTree, data), (tree, badData)] {
            let source = BaoGroupedSource(data: BaoBufferSource(data), tree: BaoBufferSource(tree), contentLength: 200_000)
            let slice = try Bao.slice(from: source, start: 99_000, count: 4096)
            #expect(throws: BaoError.self) { try Bao.decodeSlice(slice, hash: hash, start: 99_000, count: 4096) }
        }
    }
}
