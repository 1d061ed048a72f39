import Foundation
import MaimoTestSupport
import MaimoXXHash
import Testing
@testable import MaimoKeystore

/// Records whose record checksum verifies but whose inline value contradicts its own checksum:
/// random damage does not make them (it breaks the record checksum), a forger or a foreign
/// writer does. A scan treats them as corruption, never as a torn tail, so that every key an
/// opened store lists reads back.
struct ForgedRecordTests {
    /// `record` with its first operation's value checksum changed and the record checksum
    /// recomputed over the change.
    func forged(_ record: [UInt8]) -> [UInt8] {
        var record = record
        record[32] ^= 0x01  // header 24, kind 1, zero 1, key length 2, value length 4: the checksum
        let checksum = record.withUnsafeBytes { XXH64.hash(UnsafeRawBufferPointer(rebasing: $0[8...])) }
        withUnsafeBytes(of: checksum.littleEndian) { record.replaceSubrange(0..<8, with: $0) }
        return record
    }

    @Test func forgedValueChecksumAtTheEndIsCorruptionNotATornTail() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try KeyValueStore(directory: directory.path, options: smallOptions())
        try store.put("kept", bytes("value"))
        try store.close()
        let active = directory.files(withSuffix: ".seg").last!
        let size = fileSize(active)
        let record = forged(RecordFormat.encode([.put(key: bytes("forged"), value: [1, 2, 3])], sequence: 500))
        #expect(record.withUnsafeBytes { if case .success = RecordFormat.parse($0, at: 0, verifyChecksum: false) { true } else { false } },
                "the forged record is well formed apart from its value checksum")
        try? FileManager.default.removeItem(atPath: directory.path + "/CLOSED")
        let handle = FileHandle(forWritingAtPath: active)!
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(record))
        try handle.close()
        #expect(throws: KeystoreError.corruptRecord(file: active, offset: size, reason: "operation 0 value checksum mismatch")) {
            try KeyValueStore(directory: directory.path)
        }
        #expect(fileSize(active) == size + UInt64(record.count), "nothing was cut")
    }

    /// The input fuzz-keystore found (Fuzz/Corpus/fuzz-keystore/forged-value-checksum): a
    /// segment whose record for key-4 carries a valid record checksum and a wrong value checksum.
    /// The store opened, listed key-4 and failed to read it. Now open refuses the segment.
    @Test func fuzzKeystoreFinding() throws {
        let input = try #require(Data(base64Encoded: "TUFJTU9LVlMBAAAAMAAAAAEAAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAOj55hX7lqDnoePO9InRdHhAAAABQAAAAEAAAAAAAAAAQAFAAoAAABhdbHhBBkM0WtleS0wr/RP7Jvq4TzDpgEABQARAAAAoLQJD/vceGhrZXktMcFnXgu5gKV1qJZh/sCKqDtjAQAFABgAAABO91zFN1AD8mtleS0yzkIvZCmzhoP/bDV3Ya7zGRLUUtXBHbGWAQAFAB8AAABEPvM3+VPSBWtleS0z7YkBz5YHuBZ6csx/9MNc6ub1qC0yxpPRlPXUvddQcQEABQAmAAAARBkYCARBO3ZrZXktNMowX5654V5SyQUi+bw4KVE75IZ6VGtleS0z/3HIc2Mkl1RBD0nMEtWIusCCpP3/8QrCPyQiZbWOfO4BAAUAJwAAAAJVOJcn63N8a2V5LTQ+egqSl/6zqAvhRk6XGjYDneRpSd7AXEvx/KP4E8LpNgniWqoFpLOGMWkTNCgmWfQAAAAGAAAACwAAAAAgAAABAAUADAAAAFnT93z/5Q3ta2V5LTCMhfd8n/JvWUxteOEBAAUAEwAAAOFuKOsH8G6qa2V5LTHHv7/B6Y8G0f7MW8Ety4EQ8FESAQAFABoAAABI5SdADLcIymtleS0yCk4zQlbsPIwFRKeBGNavzgIH1+hN8pqLTu0BAAUAIQAAABQDWQ0HQG1ga2V5LTPW9y4DePZ0fW1VPgseiaZaJSe0CbytIzvNl55Dtnt5mWwBAAUAKAAAABz895H9Lexpa2V5LTREqy73pOqKFdmEdkCG8pCDtYcYpXpjmMGgAzjqVZWQGIxhLsYn/AL3AwAFAGtleS0zKysrKysrKysrKysrKw=="))
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let segment = directory.path + "/0000000000000001.seg"
        #expect(FileManager.default.createFile(atPath: segment, contents: input))
        for _ in 0..<2 {
            #expect(throws: KeystoreError.self) { try KeyValueStore(directory: directory.path) }
        }
        var failure: KeystoreError?
        do { _ = try KeyValueStore(directory: directory.path) } catch { failure = error }
        guard case .corruptRecord(let file, _, let reason)? = failure else {
            Issue.record("expected corruptRecord, got \(String(describing: failure))")
            return
        }
        #expect(file == segment)
        #expect(reason.hasSuffix("value checksum mismatch"))
        #expect(fileSize(segment) == UInt64(input.count), "a refused segment is left as it was")
    }
}
