import Foundation
import MaimoTestSupport
import MaimoZstd
import Testing

/// Long-distance matching (`--long`) and patches against a reference input (`--patch-from`):
/// frames that we and the reference `zstd -d` read back, repeats found far beyond the level's
/// window, and sizes next to the reference's at the same settings.
@Suite("zstd: long-distance matching and patches")
struct LongDistanceTests {
    static func mixed(_ count: Int, _ name: String) -> [UInt8] {
        var generator = SeededGenerator.fromEnvironment(name)
        return Corpus.make(.mixed, count: count, using: &generator)
    }

    static func compress(_ data: [UInt8], level: Int = 3, long: Int?, streaming: Bool = false, dictionary: ZstdDictionary? = nil) -> [UInt8] {
        let options = ZstdCompressionOptions(
            level: level, contentSize: streaming ? nil : UInt64(data.count), includesDictionaryID: dictionary == nil,
            longWindowLog: long)
        let compressor = ZstdCompressor(dictionary: dictionary, options: options)
        guard streaming else { return compressor.compressFrame(data) }
        // In pieces of uneven sizes, so that blocks, slides and pieces fall at different places.
        var frame = [UInt8]()
        let sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void = { frame.append(contentsOf: $0) }
        var start = 0, turn = 0
        let pieces = [70_001, 1, 333_333, 4_096]
        while start < data.count {
            let end = min(data.count, start + pieces[turn % pieces.count])
            try! compressor.compress(Array(data[start..<end]), to: sink)
            start = end
            turn += 1
        }
        try! compressor.finish(to: sink)
        return frame
    }

    static func checkReference() -> Bool {
        guard referenceZstdAvailable else {
            return false
        }
        return true
    }

    /// 1.5 MB, 6 MB of other content, then the first 1.5 MB again with 100 bytes changed: at
    /// level 3 (a 2 MiB window) the repeat is out of reach; with --long=23 it costs next to nothing.
    @Test("a repeat 7.5 MB back is found, and the reference reads it")
    func findsFarRepeats() throws {
        let first = Self.mixed(1_500_000, "zstd long first")
        let middle = Self.mixed(6_000_000, "zstd long middle")
        var again = first
        var generator = SeededGenerator.fromEnvironment("zstd long edits")
        for _ in 0..<100 { again[Int.random(in: 0..<again.count, using: &generator)] ^= 0x5A }
        let data = first + middle + again
        let long = Self.compress(data, long: 23)
        let plain = Self.compress(data, long: nil)
        let once = Self.compress(first + middle, long: nil)
        #expect(try Zstd.decompress(long) == data)
        #expect(Double(long.count) < Double(once.count) * 1.02, "--long: \(long.count) bytes; without the repeat: \(once.count)")
        #expect(plain.count > once.count + (plain.count - once.count) / 2 && plain.count > long.count, "level 3 alone: \(plain.count) bytes")
        guard Self.checkReference() else { return }
        #expect(try referenceZstd(["-q", "-d", "-c"], input: long) == data)
        let theirs = try referenceZstd(["-q", "-c", "-3", "--long=23"], input: data)
        #expect(Double(long.count) <= Double(theirs.count) * 1.03, "ours \(long.count) bytes, zstd --long=23 -3 \(theirs.count)")
    }

    /// Against a model: copies of earlier stretches at random distances, some beyond the
    /// 256 KiB window (which no match may reach), fed in pieces so that the window slides;
    /// every strategy, our decoder and the reference's.
    @Test("random repeats near and beyond the window round-trip at every strategy", arguments: [-5, 1, 3, 6, 12])
    func randomRepeats(level: Int) throws {
        var generator = SeededGenerator.fromEnvironment("zstd long model \(level)")
        var data = [UInt8]()
        while data.count < 2_600_000 {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: data += Corpus.make(.noise, count: Int.random(in: 1...5_000, using: &generator), using: &generator)
            case 1: data += Corpus.make(.mixed, count: Int.random(in: 1...20_000, using: &generator), using: &generator)
            default:
                guard data.count > 1_000 else { continue }
                let distance = Int.random(in: 1...min(data.count, 400_000), using: &generator)
                let length = Int.random(in: 1...50_000, using: &generator)
                let from = data.count - distance
                for i in 0..<length { data.append(data[from + i]) }
            }
        }
        let frame = Self.compress(data, level: level, long: 18, streaming: true)
        #expect(try decompressInPieces(frame, pieces: [100_000, 3]) == data, "level \(level)")
        // Much of the input repeats within the window: long matching must find most of it.
        #expect(frame.count < data.count / 2, "level \(level): \(frame.count) of \(data.count) bytes")
        guard Self.checkReference() else { return }
        #expect(try referenceZstd(["-q", "-d", "-c"], input: frame) == data, "level \(level): the reference")
    }

    /// A new version of a 1 MB input (40 edits) against the old as a raw-content dictionary:
    /// the patch is a small fraction of the input; both tools read each other's patches.
    @Test("patches against an old version, both ways with the reference")
    func patches() throws {
        let old = Self.mixed(1_000_000, "zstd patch old")
        var new = old
        var generator = SeededGenerator.fromEnvironment("zstd patch edits")
        for _ in 0..<40 {
            let at = Int.random(in: 0..<new.count - 300, using: &generator)
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: new.insert(contentsOf: Corpus.make(.noise, count: Int.random(in: 1...200, using: &generator), using: &generator), at: at)
            case 1: new.removeSubrange(at..<(at + Int.random(in: 1...200, using: &generator)))
            default: new[at] &+= 1
            }
        }
        let reference = ZstdDictionary(rawContent: old)
        let patch = Self.compress(new, long: 21, dictionary: reference)
        #expect(try Zstd.decompress(patch, dictionary: reference) == new)
        #expect(patch.count < new.count / 50, "patch: \(patch.count) bytes for \(new.count)")
        guard Self.checkReference() else { return }
        let oldPath = NSTemporaryDirectory() + "maimo-zstd-patch-\(UUID().uuidString)"
        try Data(old).write(to: URL(fileURLWithPath: oldPath))
        defer { try? FileManager.default.removeItem(atPath: oldPath) }
        #expect(try referenceZstd(["-q", "-d", "-c", "--patch-from=" + oldPath], input: patch) == new)
        let theirs = try referenceZstd(["-q", "-c", "-3", "--stream-size=\(new.count)", "--patch-from=" + oldPath], input: new)
        #expect(try Zstd.decompress(theirs, dictionary: reference) == new)
        #expect(Double(patch.count) <= Double(theirs.count) * 1.03 + 64, "ours \(patch.count) bytes, zstd's \(theirs.count)")
    }
}
