import Foundation
import MaimoBao
import MaimoBlake3
import MaimoTestSupport
import Testing

/// The path-based API: files opened, owned and closed by the library, results byte for byte the
/// in-memory encoder's, and typed errors that name the operation and errno.
@Suite("Bao files by path")
struct BaoFileTests {
    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "maimo-bao-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func encodeDecodeAndSliceThroughFiles() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var generator = SeededGenerator.fromEnvironment("Bao files")
        for size in [0, 1, 1024, 1025, 300_000] {
            let content = randomBytes(size, using: &generator)
            try Data(content).write(to: URL(fileURLWithPath: dir + "/content"))
            let (combined, root) = Bao.encode(content)
            let (tree, _) = Bao.encode(content, outboard: true)

            #expect(try Bao.encode(fileAtPath: dir + "/content", to: dir + "/combined") == root)
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/combined"))) == combined, "size \(size)")
            #expect(try Bao.encode(fileAtPath: dir + "/content", to: dir + "/tree", outboard: true) == root)
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/tree"))) == tree, "size \(size)")

            // Decoded from the file into a file, verified on the way.
            var decoder = BaoDecoder(combined: try BaoFile(path: dir + "/combined"), hash: root)
            var out = try BaoFile(path: dir + "/decoded", mode: .create)
            #expect(try Bao.decode(&decoder, to: &out) == UInt64(size))
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/decoded"))) == content)

            // The outboard tree beside the content, both files; and a mapped encoding.
            var outboard = BaoDecoder(outboard: try BaoFile(path: dir + "/tree"), data: try BaoFile(path: dir + "/content"), hash: root)
            #expect(try outboard.readToEnd(sizeLimit: 1 << 20) == content)
            var mapped = BaoDecoder(combined: try BaoMappedFileSource(path: dir + "/combined"), hash: root)
            #expect(try mapped.readToEnd(sizeLimit: 1 << 20) == content)
            if size > 2048 {
                let slice = try Bao.slice(from: try BaoFile(path: dir + "/combined"), start: 1500, count: 1000)
                #expect(try Bao.decodeSlice(slice, hash: root, start: 1500, count: 1000) == Array(content[1500..<2500]))
            }
        }
    }

    @Test func aCorruptFileIsRefusedAndNothingUnverifiedIsWritten() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var generator = SeededGenerator.fromEnvironment("Bao corrupt file")
        let content = randomBytes(5000, using: &generator)
        var (combined, root) = Bao.encode(content)
        combined[combined.count - 1] ^= 1
        try Data(combined).write(to: URL(fileURLWithPath: dir + "/combined"))
        var decoder = BaoDecoder(combined: try BaoFile(path: dir + "/combined"), hash: root)
        var out = try BaoFile(path: dir + "/decoded", mode: .create)
        #expect(throws: BaoError.chunkHashMismatch(chunkIndex: 4)) { try Bao.decode(&decoder, to: &out) }
        // The four good chunks were written; the bad one was not.
        #expect(try out.length() == 4096)
    }

    @Test func missingFilesAreTypedErrors() throws {
        let missing = "/nonexistent-\(UUID().uuidString)"
        #expect(throws: BaoError.system(.open, offset: 0, code: ENOENT)) { _ = try BaoFile(path: missing) }
        #expect(throws: BaoError.system(.open, offset: 0, code: ENOENT)) { _ = try BaoMappedFileSource(path: missing) }
        #expect(throws: BaoError.system(.open, offset: 0, code: ENOENT)) { _ = try Bao.encode(fileAtPath: missing, to: missing + ".bao") }
    }
}
