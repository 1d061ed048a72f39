import Foundation
import MaimoTestSupport
import MaimoZstd
import Testing

/// The path-based API: the library opens and closes the files; frames the reference `zstd -d`
/// reads, and the reference's frames decoded to a file.
@Suite("zstd files by path")
struct ZstdFileTests {
    @Test func compressAndDecompressFiles() throws {
        let dir = NSTemporaryDirectory() + "maimo-zstd-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var generator = SeededGenerator.fromEnvironment("zstd files")
        let content = Corpus.make(.mixed, count: 3 << 20, using: &generator)
        try Data(content).write(to: URL(fileURLWithPath: dir + "/in"))
        for threads in [1, 2] {
            let written = try Zstd.compress(fileAtPath: dir + "/in", to: dir + "/in.zst", level: 3, threadCount: threads)
            #expect(written.bytesRead == UInt64(content.count))
            let frame = try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/in.zst")))
            #expect(UInt64(frame.count) == written.bytesWritten)
            let back = try Zstd.decompress(fileAtPath: dir + "/in.zst", to: dir + "/out")
            #expect(back.bytesWritten == UInt64(content.count))
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/out"))) == content, "\(threads) threads")
            if referenceZstdAvailable {
                #expect(try referenceZstd(["-d", "-c"], input: frame) == content, "zstd -d of ours, \(threads) threads")
            }
        }
        #expect(throws: ZstdError.io(operation: "open", path: dir + "/missing", errno: ENOENT)) {
            try Zstd.decompress(fileAtPath: dir + "/missing", to: dir + "/out")
        }
    }
}
