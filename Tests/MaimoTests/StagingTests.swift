#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Maimo
import MaimoProvider
import MaimoTestSupport
import Testing

/// Attacks on a provider's disk and quota through partial uploads (issue 20's first finding):
/// staged bytes count as used, N sessions cannot each reserve the quota, a client's partial
/// uploads are capped and expire, a denied client's go at once, and a malformed allow-list never
/// means unlimited.
@Suite("provider: staged uploads within quota and disk")
struct StagingTests {
    struct Stop: Error {}

    /// Starts uploading `blob` and abandons it once `bytes` were sent (the session is closed).
    /// Returns once the provider has ended that session (it logs so), so that what it staged
    /// and when it last touched it are settled.
    static func abandon(_ blob: BlobFile, after bytes: UInt64, on provider: TestProvider, as client: NodeIdentity) throws {
        let ended = { provider.lines.all.filter { $0.contains("disconnected") || $0.contains("session ended") }.count }
        let before = ended()
        let session = try provider.connect(client)
        #expect(throws: MaimoError.self) {
            try session.put(root: blob.root, from: blob.descriptor, length: blob.length) { (sent) throws(MaimoError) in
                if sent >= bytes { throw .usage("stopped by the test") }
            }
        }
        session.close()
        let deadline = Date().addingTimeInterval(10)
        while ended() == before && Date() < deadline { usleep(20_000) }
        #expect(ended() > before, "the provider did not end the abandoned session")
    }

    static func stagedFiles(_ provider: TestProvider) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: provider.directory + "/staging")) ?? []
    }

    static func random(_ count: Int, _ seed: UInt64) -> BlobFile {
        var generator = SeededGenerator(seed: seed)
        return BlobFile(content: randomBytes(count, using: &generator))
    }

    @Test func abandonedUploadsCountAgainstTheQuotaUntilTheyExpire() throws {
        var policy = ProviderStore.StagingPolicy()
        policy.expiry = 2
        let provider = try TestProvider(quota: 3_000_000, staging: policy)
        defer { provider.shutdown() }
        let client = NodeIdentity()
        try provider.allow(client)
        let first = Self.random(2_000_000, 1), second = Self.random(2_000_000, 2)
        defer { first.remove(); second.remove() }
        try Self.abandon(first, after: 100_000, on: provider, as: client)
        #expect(Self.stagedFiles(provider).count == 1)
        // The abandoned upload holds its announced size: another blob of the same size no longer fits.
        let session = try provider.connect(client)
        #expect {
            try session.put(root: second.root, from: second.descriptor, length: second.length)
        } throws: { error in
            guard case let .refused(.quotaExceeded, message) = error as? MaimoError else { return false }
            return message.contains("reserved by unfinished uploads")
        }
        // Its own upload may resume.
        #expect(try provider.connect(client).status(first.root) != .absent)
        // Once it expired, the other fits, and the stale bytes are gone from the disk.
        usleep(2_500_000)
        try provider.connect(client).put(root: second.root, from: second.descriptor, length: second.length)
        #expect(try provider.connect(client).status(first.root) == .absent)
        #expect(Self.stagedFiles(provider).isEmpty)
    }

    @Test func sessionsCannotEachReserveTheWholeQuota() throws {
        let provider = try TestProvider(quota: 3_000_000)
        defer { provider.shutdown() }
        let client = NodeIdentity()
        try provider.allow(client)
        let a = Self.random(2_000_000, 3), b = Self.random(2_000_000, 4)
        defer { a.remove(); b.remove() }
        let sessionA = try provider.connect(client), sessionB = try provider.connect(client)
        var refusedWhileAWasUploading = false
        try sessionA.put(root: a.root, from: a.descriptor, length: a.length) { (sent) throws(MaimoError) in
            guard sent >= 1 << 20, !refusedWhileAWasUploading else { return }
            do {
                try sessionB.put(root: b.root, from: b.descriptor, length: b.length)
            } catch {
                if case .refused(.quotaExceeded, _) = error as? MaimoError { refusedWhileAWasUploading = true }
            }
        }
        #expect(refusedWhileAWasUploading)
        #expect(try sessionA.stat().blobs == 1)
        #expect(try provider.connect(client).status(b.root) == .absent)
    }

    @Test func aClientsPartialUploadsAreCapped() throws {
        var policy = ProviderStore.StagingPolicy()
        policy.uploadsPerClient = 2
        let provider = try TestProvider(staging: policy)
        defer { provider.shutdown() }
        let client = NodeIdentity(), other = NodeIdentity()
        try provider.allow(client)
        try provider.allow(other)
        try Self.abandon(Self.random(1_500_000, 99), after: 100_000, on: provider, as: other)
        for seed in UInt64(10)..<UInt64(16) {
            let blob = Self.random(1_500_000, seed)
            defer { blob.remove() }
            try Self.abandon(blob, after: 100_000, on: provider, as: client)
        }
        let prefix = NodeIDHex.of(client)
        let mine = Self.stagedFiles(provider).filter { $0.hasPrefix(prefix) }
        #expect(mine.count == 2, "\(mine)")
        // Another client's partial upload is not the one that gave way.
        #expect(Self.stagedFiles(provider).count == 3)
    }

    @Test func aDeniedClientLosesItsSessionsAndWhatItStaged() throws {
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let client = NodeIdentity()
        try provider.allow(client)
        let blob = Self.random(1_500_000, 20)
        defer { blob.remove() }
        try Self.abandon(blob, after: 100_000, on: provider, as: client)
        let session = try provider.connect(client)
        #expect(try session.stat().blobs == 0)
        #expect(try ProviderStore.deny(client: client.nodeID, inDirectory: provider.directory))
        #expect(Self.stagedFiles(provider).isEmpty)
        #expect {
            _ = try session.stat()
        } throws: { error in
            guard case .refused(.notAllowed, _) = error as? MaimoError else { return false }
            return true
        }
        // The session is over, and a new one is refused.
        #expect(throws: MaimoError.self) { _ = try session.stat() }
        #expect(throws: MaimoError.self) { _ = try provider.connect(client) }
    }

    @Test func staleUploadsAndRemovedClientsGoAtStart() throws {
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let kept = NodeIdentity(), removed = NodeIdentity(), stale = NodeIdentity()
        for client in [kept, removed, stale] { try provider.allow(client) }
        for (i, client) in [kept, removed, stale].enumerated() {
            let blob = Self.random(1_500_000, 30 + UInt64(i))
            defer { blob.remove() }
            try Self.abandon(blob, after: 100_000, on: provider, as: client)
        }
        #expect(Self.stagedFiles(provider).count == 3)
        // One client taken off the list by hand (not through deny), one upload two days old.
        let list = provider.directory + "/allowed-clients"
        let text = try String(contentsOfFile: list, encoding: .utf8)
        try text.split(separator: "\n").filter { !$0.hasPrefix(removed.nodeID.description) }.joined(separator: "\n")
            .write(toFile: list, atomically: true, encoding: .utf8)
        let old = try #require(Self.stagedFiles(provider).first { $0.hasPrefix(NodeIDHex.of(stale)) })
        try provider.restart {
            var times = [timeval(tv_sec: time(nil) - 2 * 86_400, tv_usec: 0), timeval(tv_sec: time(nil) - 2 * 86_400, tv_usec: 0)]
            #expect(utimes(provider.directory + "/staging/" + old, &times) == 0)
        }
        let left = Self.stagedFiles(provider)
        #expect(left.count == 1, "\(left)")
        #expect(left.first?.hasPrefix(NodeIDHex.of(kept)) == true, "\(left)")
    }

    @Test func aMalformedQuotaIsNoQuotaAndAnUnreadableListIsKept() throws {
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let client = NodeIdentity()
        let list = provider.directory + "/allowed-clients"
        try "\(client.nodeID.description) 50GBB\n".write(toFile: list, atomically: true, encoding: .utf8)
        let blob = Self.random(1000, 40)
        defer { blob.remove() }
        let session = try provider.connect(client)
        #expect {
            try session.put(root: blob.root, from: blob.descriptor, length: blob.length)
        } throws: { error in
            guard case .refused(.quotaExceeded, _) = error as? MaimoError else { return false }
            return true
        }
        // A list that cannot be read is not rewritten from scratch.
        let garbage = Data([0x61, 0xFF, 0xFE, 0x0A])
        try garbage.write(to: URL(fileURLWithPath: list))
        #expect(throws: MaimoError.self) { try provider.allow(NodeIdentity()) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: list)) == garbage)
    }
}

/// The hex a provider names a client's staging files with.
enum NodeIDHex {
    static func of(_ identity: NodeIdentity) -> String { identity.nodeID.bytes.map { String(format: "%02x", $0) }.joined() }
}
