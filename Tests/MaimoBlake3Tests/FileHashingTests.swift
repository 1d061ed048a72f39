import Foundation
import Testing
import MaimoTestSupport
@testable import MaimoBlake3

/// Hashing files (mapped or read, one thread or several, in windows) gives the in-memory hash.
@Suite("Hashing files")
struct FileHashingTests {
    /// Writes `bytes` to a fresh file and returns its open descriptor and path.
    func withFile<R>(_ bytes: [UInt8], _ body: (Int32, String) throws -> R) throws -> R {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("maimo-blake3-\(UInt64.random(in: 0...UInt64.max)).bin").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_RDONLY)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        return try body(descriptor, path)
    }

    @Test func mappedAndReadFilesGiveTheInMemoryHash() throws {
        var generator = SeededGenerator.fromEnvironment("mappedAndReadFilesGiveTheInMemoryHash")
        // Below and above the mapping threshold, whole and partial chunks and subtrees.
        for size in [0, 1, 1024, 16 * 1024 - 1, 16 * 1024, 300_000, 1 << 20, (1 << 20) + 4097] {
            let input = randomBytes(size, using: &generator)
            let expected = Blake3.hash(input)
            for threads in [1, 2] {
                for mapped in [true, false] {
                    var hasher = Blake3(threadCount: threads)
                    try withFile(input) { descriptor, path in
                        try hasher.update(fileDescriptor: descriptor, path: path, useMemoryMap: mapped)
                    }
                    #expect(hasher.finalize() == expected, "size \(size), \(threads) threads, mapped \(mapped)")
                }
            }
        }
    }

    /// Several windows, each but the last unmapped in the background while the next is hashed
    /// (with more than one thread), and a short last window.
    @Test func manyWindowsGiveTheInMemoryHash() throws {
        var generator = SeededGenerator.fromEnvironment("manyWindowsGiveTheInMemoryHash")
        for size in [4 * 512 * 1024, 4 * 512 * 1024 + 4097, 9 * 512 * 1024 - 1] {
            let input = randomBytes(size, using: &generator)
            let expected = Blake3.hash(input)
            for threads in [1, 2, 3] {
                var hasher = Blake3(threadCount: threads)
                try withFile(input) { descriptor, path in
                    try hasher.update(fileDescriptor: descriptor, path: path, useMemoryMap: true, window: 512 * 1024)
                }
                #expect(hasher.finalize() == expected, "size \(size), \(threads) threads")
            }
        }
    }

    @Test func aMissingFileIsAnErrorWithItsPath() {
        var hasher = Blake3()
        #expect {
            try hasher.update(contentsOfFileAtPath: "/nonexistent/maimo-blake3")
        } throws: { error in
            guard let error = error as? Blake3.FileError else { return false }
            return error.path == "/nonexistent/maimo-blake3" && error.code == ENOENT
        }
    }
}
