import Foundation
import MaimoBlake3
import MaimoCipher
import MaimoTestSupport
import Testing

/// The path-based API: files opened and closed by the library, output mode 0600, a tampered
/// file refused with the segment named and only verified bytes written.
@Suite("Segmented ciphertext files by path")
struct SegmentedFileTests {
    @Test func encryptAndDecryptFiles() throws {
        let dir = NSTemporaryDirectory() + "maimo-seg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var generator = SeededGenerator.fromEnvironment("segmented files")
        let content = randomBytes(3 * 4096 + 17, using: &generator)
        try Data(content).write(to: URL(fileURLWithPath: dir + "/plain"))
        let key = CipherKey()
        try SegmentedCiphertext.encrypt(fileAtPath: dir + "/plain", to: dir + "/sealed", key: key, segmentSize: 4096, threadCount: 2)
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/sealed")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        try SegmentedCiphertext.decrypt(fileAtPath: dir + "/sealed", to: dir + "/opened", key: key)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/opened"))) == content)

        // A flipped byte in the third segment: the first two are written, then the error names it.
        var sealed = try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/sealed")))
        sealed[SegmentedCiphertext.headerLength + 2 * (4096 + 32) + 100] ^= 1
        try Data(sealed).write(to: URL(fileURLWithPath: dir + "/sealed"))
        #expect(throws: SegmentedError.authenticationFailed(segment: 2)) {
            try SegmentedCiphertext.decrypt(fileAtPath: dir + "/sealed", to: dir + "/opened", key: key)
        }
        let prefix = try Array(Data(contentsOf: URL(fileURLWithPath: dir + "/opened")))
        #expect(prefix.count <= 2 * 4096 && Array(content.prefix(prefix.count)) == prefix)

        #expect(throws: SegmentedError.system(.open, path: dir + "/missing", code: ENOENT)) {
            try SegmentedCiphertext.decrypt(fileAtPath: dir + "/missing", to: dir + "/opened", key: key)
        }
        // A read that fails (a directory) names the input, not a descriptor.
        #expect(throws: SegmentedError.system(.read, path: dir, code: EISDIR)) {
            try SegmentedCiphertext.decrypt(fileAtPath: dir, to: dir + "/opened", key: key)
        }
    }

    /// Key files: written 0600 and read back; never replaced; refused when others may read them
    /// or when they are not key files, each with its own error naming the file.
    @Test func keyFiles() throws {
        let dir = NSTemporaryDirectory() + "maimo-key-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let key = CipherKey()
        try KeyFile.write(key, to: dir + "/k")
        #expect(try KeyFile.load(from: dir + "/k").withUnsafeBytes { Array($0) } == key.withUnsafeBytes { Array($0) })
        #expect(throws: SegmentedError.keyFileExists(path: dir + "/k")) { try KeyFile.generate(at: dir + "/k") }
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: dir + "/k")
        #expect(throws: SegmentedError.keyFileAccessibleToOthers(path: dir + "/k", mode: 0o100640)) { try KeyFile.load(from: dir + "/k") }
        let error = SegmentedError.keyFileAccessibleToOthers(path: dir + "/k", mode: 0o100640)
        #expect(error.description.contains("mode 640") && !error.description.contains(key.withUnsafeBytes { hexString($0) }))
        #expect(FileManager.default.createFile(atPath: dir + "/short", contents: Data("MAIMOKEY".utf8), attributes: [.posixPermissions: 0o600]))
        #expect(throws: SegmentedError.notAKeyFile(path: dir + "/short")) { try KeyFile.load(from: dir + "/short") }
        #expect(throws: SegmentedError.system(.open, path: dir + "/none", code: ENOENT)) { try KeyFile.load(from: dir + "/none") }
    }
}
