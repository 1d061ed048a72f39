import Foundation
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

        #expect(throws: SegmentedError.self) {
            try SegmentedCiphertext.decrypt(fileAtPath: dir + "/missing", to: dir + "/opened", key: key)
        }
    }
}
