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

    /// With several threads, each region of the mapping is released once all its bytes were
    /// hashed, never before: only regions wholly inside the part hashed in parallel (the file's
    /// largest whole subtree: 2 MiB here; the 4,097 bytes after it are hashed serially).
    @Test func regionsAreReleasedWhenHashed() throws {
        var generator = SeededGenerator.fromEnvironment("regionsAreReleasedWhenHashed")
        let input = randomBytes(2 * 1024 * 1024 + 4097, using: &generator)
        let expected = Blake3.hash(input)
        // Regions of 192 KiB straddle the 128 KiB pieces: ten end inside the first 2 MiB.
        for (threads, released) in [(1, 0), (2, 10), (3, 10)] {
            var hasher = Blake3(threadCount: threads)
            let count = try withFile(input) { descriptor, path in
                try hasher.update(fileDescriptor: descriptor, path: path, useMemoryMap: true, regionSize: 192 * 1024)
            }
            #expect(hasher.finalize() == expected, "\(threads) threads")
            #expect(count == released, "\(threads) threads")
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
