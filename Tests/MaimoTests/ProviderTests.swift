#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import Maimo
import MaimoProvider
import MaimoCipher
import MaimoWire
import MaimoBao
import MaimoBlake3
import MaimoTestSupport
import Testing

@Suite("provider over loopback")
struct ProviderTests {
    @Test func putGetSliceListDelete() throws {
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let client = NodeIdentity(signingKey: .init())
        try provider.allow(client)
        var generator = SeededGenerator(seed: 11)
        let blob = BlobFile(content: (0..<300_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        defer { blob.remove() }
        let session = try provider.connect(client)
        #expect(session.welcome == ProviderUsage(quota: .max, used: 0, blobs: 0))
        #expect(try session.status(blob.root) == .absent)
        try session.put(root: blob.root, from: blob.descriptor, length: blob.length)
        #expect(try session.status(blob.root) == .complete(blob.length))
        #expect(try session.stat() == ProviderUsage(quota: .max, used: blob.stored, blobs: 1))
        // Sent again: a small blob goes with its DATA frames at once, the provider answers
        // STORED before reading them and drops them; the session goes on.
        try session.put(root: blob.root, from: blob.descriptor, length: blob.length)
        #expect(try session.stat() == ProviderUsage(quota: .max, used: blob.stored, blobs: 1))
        // The whole encoding comes back and decodes; a range comes back exact.
        var encoding: [UInt8] = []
        try session.get(root: blob.root) { encoding += $0 }
        #expect(try Bao.decode(encoding, hash: blob.root) == blob.content)
        var part: [UInt8] = []
        try session.get(root: blob.root, offset: 1000, length: 5000) { part += $0 }
        #expect(part == Array(encoding[1000..<6000]))
        #expect(encoding == Bao.encode(blob.content).encoding)
        // Slices verify against the root alone.
        for start in [UInt64(0), 4096, 123_456, 299_999] {
            let slice = try session.slice(root: blob.root, start: start, count: 4096)
            let bytes = try Bao.decodeSlice(slice, hash: blob.root, start: start, count: 4096)
            #expect(bytes == Array(blob.content[Int(start)..<min(blob.content.count, Int(start) + 4096)]))
        }
        #expect(try session.list().map(\.root) == [blob.root])
        #expect(try session.delete(root: blob.root))
        #expect(try !session.delete(root: blob.root))
        #expect(try session.status(blob.root) == .absent)
        #expect(try session.list().isEmpty)
        #expect(throws: MaimoError.self) { try session.slice(root: blob.root, start: 0, count: 1) }
        // A refused request does not end the session.
        #expect(try session.stat().blobs == 0)
    }

    @Test func refusesUnknownClientsAndWrongProviders() throws {
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let stranger = NodeIdentity(signingKey: .init())
        #expect {
            _ = try provider.connect(stranger)
        } throws: { error in
            guard case .refused(.notAllowed, _) = error as? MaimoError else { return false }
            return true
        }
        let client = NodeIdentity(signingKey: .init())
        try provider.allow(client)
        let impostor = NodeIdentity(signingKey: .init())
        #expect(throws: MaimoError.self) {
            _ = try ProviderClient(address: provider.address, provider: impostor.nodeID, identity: client)
        }
        // The real one still serves the allowed client.
        #expect(try provider.connect(client).stat().blobs == 0)
        #expect(provider.lines.all.contains { $0.contains("handshake refused") })
    }

    @Test func clientsSeeOnlyTheirOwnBlobs() throws {
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let a = NodeIdentity(signingKey: .init()), b = NodeIdentity(signingKey: .init())
        try provider.allow(a)
        try provider.allow(b)
        let blob = BlobFile(content: Array(repeating: 7, count: 10_000))
        defer { blob.remove() }
        let sessionA = try provider.connect(a), sessionB = try provider.connect(b)
        try sessionA.put(root: blob.root, from: blob.descriptor, length: blob.length)
        #expect(try sessionB.status(blob.root) == .absent)
        #expect(try sessionB.list().isEmpty)
        #expect(throws: MaimoError.self) { try sessionB.get(root: blob.root) { _ in } }
        #expect(throws: MaimoError.self) { try sessionB.slice(root: blob.root, start: 0, count: 10) }
        #expect(try !sessionB.delete(root: blob.root))
        #expect(try sessionA.status(blob.root) == .complete(blob.length))
    }

    @Test func quotaIsEnforced() throws {
        let provider = try TestProvider(quota: 50_000)
        defer { provider.shutdown() }
        let client = NodeIdentity(signingKey: .init())
        try provider.allow(client)
        let small = BlobFile(content: Array(repeating: 1, count: 30_000)), big = BlobFile(content: Array(repeating: 2, count: 30_000) + [3])
        defer { small.remove(); big.remove() }
        let session = try provider.connect(client)
        try session.put(root: small.root, from: small.descriptor, length: small.length)
        #expect {
            try session.put(root: big.root, from: big.descriptor, length: big.length)
        } throws: { error in
            guard case .refused(.quotaExceeded, _) = error as? MaimoError else { return false }
            return true
        }
        #expect(try session.status(big.root) == .absent)
        // A per-client quota on the allow-list overrides the default.
        try provider.allow(client, quota: 1 << 20)
        try session.put(root: big.root, from: big.descriptor, length: big.length)
        #expect(try session.stat().blobs == 2)
    }

    @Test func wrongBytesAreNotStored() throws {
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let client = NodeIdentity(signingKey: .init())
        try provider.allow(client)
        let blob = BlobFile(content: Array(repeating: 9, count: 5000))
        let other = BlobFile(content: Array(repeating: 8, count: 5000))
        defer { blob.remove(); other.remove() }
        let session = try provider.connect(client)
        // Same length, another root: the provider verifies and refuses.
        #expect {
            try session.put(root: blob.root, from: other.descriptor, length: other.length)
        } throws: { error in
            guard case .refused(.verifyFailed, _) = error as? MaimoError else { return false }
            return true
        }
        #expect(try provider.connect(client).status(blob.root) != .complete(blob.length))
    }

    @Test func uploadsResumeAndSurviveRestarts() throws {
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let client = NodeIdentity(signingKey: .init())
        try provider.allow(client)
        var generator = SeededGenerator(seed: 12)
        let blob = BlobFile(content: (0..<3_000_000).map { _ in UInt8.random(in: 0...255, using: &generator) })
        defer { blob.remove() }
        // The connection breaks after two frames of data.
        let first = try provider.connect(client)
        #expect(throws: MaimoError.usage("cut")) {
            try first.put(root: blob.root, from: blob.descriptor, length: blob.length) { (sent) throws(MaimoError) in
                if sent >= 1_500_000 { first.close(); throw .usage("cut") }
            }
        }
        // Wait for the provider to notice, then resume: it continues from what it holds.
        for _ in 0..<500 where !provider.lines.all.contains(where: { $0.contains("session ended") || $0.contains("disconnected") }) {
            usleep(10_000)
        }
        let status = try provider.connect(client).status(blob.root)
        guard case .partial(let staged) = status else { Issue.record("no partial upload: \(status)"); return }
        #expect(staged > 0 && staged < blob.length)
        try provider.restart()
        let second = try provider.connect(client)
        var firstReported: UInt64?
        try second.put(root: blob.root, from: blob.descriptor, length: blob.length) { if firstReported == nil { firstReported = $0 } }
        #expect(firstReported == staged)
        // Acknowledged means durable: after another restart the blob is whole.
        try provider.restart()
        var encoding: [UInt8] = []
        try provider.connect(client).get(root: blob.root) { encoding += $0 }
        #expect(try Bao.decode(encoding, hash: blob.root) == blob.content)
    }

    @Test func aStoreOfAnotherLayoutIsRefused() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-layout-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let fresh = try ProviderStore(directory: base + "/fresh")
        fresh.close()
        #expect(try String(contentsOfFile: base + "/fresh/format", encoding: .utf8) == "maimo-provider-store 2\n")
        #expect(throws: Never.self) { try ProviderStore(directory: base + "/fresh").close() }
        // Blobs without a layout name are an earlier store's combined encodings.
        try FileManager.default.createDirectory(atPath: base + "/old/blobs", withIntermediateDirectories: true)
        #expect(throws: MaimoError.self) { _ = try ProviderStore(directory: base + "/old") }
        try "maimo-provider-store 9\n".write(toFile: base + "/fresh/format", atomically: true, encoding: .utf8)
        #expect(throws: MaimoError.self) { _ = try ProviderStore(directory: base + "/fresh") }
    }

    @Test func garbageDoesNotStopTheServer() throws {
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let client = NodeIdentity(signingKey: .init())
        try provider.allow(client)
        var generator = SeededGenerator(seed: 13)
        for round in 0..<40 {
            let socket = try WireSocket.connect(host: "127.0.0.1", port: provider.port, timeout: 5)
            var garbage: [UInt8]
            switch round % 4 {
            case 0: garbage = (0..<Int.random(in: 1...3000, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            case 1: garbage = [0xFF, 0xFF, 0xFF, 0xFF] // an enormous length
            case 2: garbage = WireFrame(.stat).encoded() // a request before the handshake
            default: garbage = [0, 0, 0, 8, 1, 0, 0, 0, 0, 0, 0, 0] // a hello without payload
            }
            try? socket.send(garbage)
            socket.close()
        }
        #expect(try provider.connect(client).stat().blobs == 0)
    }

    @Test func limitsAndTimeouts() throws {
        var options = ProviderServer.Options()
        // Under a sanitizer (Scripts/sanitize.sh sets MAIMO_SANITIZER) a handshake itself takes
        // longer than half a second.
        options.handshakeTimeout = ProcessInfo.processInfo.environment["MAIMO_SANITIZER"] == nil ? 0.5 : 5
        options.maxConnections = 2
        let provider = try TestProvider(options: options)
        defer { provider.shutdown() }
        let client = NodeIdentity()
        try provider.allow(client)
        // Two silent connections fill the server; a third is told it is busy.
        let first = try WireSocket.connect(host: "127.0.0.1", port: provider.port, timeout: 5)
        let second = try WireSocket.connect(host: "127.0.0.1", port: provider.port, timeout: 5)
        usleep(100_000)
        let third = try WireSocket.connect(host: "127.0.0.1", port: provider.port, timeout: 5)
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = try third.receive(into: &buffer)
        #expect(n > 12 && buffer[4] == 255 && buffer[12] == 6, "an ERROR busy frame")
        // The silent ones are dropped after the handshake timeout.
        #expect(try first.receive(into: &buffer) == 0)
        #expect(try second.receive(into: &buffer) == 0)
        #expect(provider.lines.all.contains { $0.contains("timed out") })
        // Then there is room again.
        #expect(try provider.connect(client).stat().blobs == 0)
    }

    /// Strangers in their handshake have slots of their own: they cannot shut out a client
    /// that is already in, and when they hold every handshake slot the oldest of them makes room
    /// for a newcomer, so a client gets in at once instead of after their (reconnecting) timeouts.
    @Test func strangersCannotTakeEverySlot() throws {
        var options = ProviderServer.Options()
        options.handshakeTimeout = 30
        options.maxUnauthenticated = 2
        let provider = try TestProvider(options: options)
        defer { provider.shutdown() }
        let client = NodeIdentity()
        try provider.allow(client)
        let bystander = try provider.connect(client)
        let silent = try (0..<2).map { _ in try WireSocket.connect(host: "127.0.0.1", port: provider.port, timeout: 5) }
        usleep(100_000)
        // A third stranger pushes the oldest out (its connection is closed, with nothing said).
        // Oldest is the order the server admitted them in, on its event loops: on a loaded
        // machine the second may be admitted first, so either may be the one closed.
        let third = try WireSocket.connect(host: "127.0.0.1", port: provider.port, timeout: 5)
        var buffer = [UInt8](repeating: 0, count: 256)
        var closed = [Int]()
        let deadline = Date().addingTimeInterval(15)
        while closed.isEmpty && Date() < deadline {
            closed = silent.indices.filter { silent[$0].isReadable(within: 0.05) }
        }
        #expect(closed.count == 1, "exactly one stranger is evicted, not \(closed)")
        for i in closed { #expect(try silent[i].receive(into: &buffer) == 0) }
        #expect(try bystander.stat().blobs == 0)
        // A client gets in now, long before the strangers' 30 s handshake timeout.
        let started = Date()
        #expect(try provider.connect(client).stat().blobs == 0)
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(provider.lines.wait(for: "evicted by a newer connection"))
        _ = third
    }

    /// While strangers hold every handshake slot, new connections are accepted at the paced
    /// rate, not as fast as they come (each would cost the provider a session and an eviction);
    /// the rest wait in the kernel's queue, and a client still gets in.
    @Test func aFloodOfStrangersIsPaced() throws {
        var options = ProviderServer.Options()
        options.handshakeTimeout = 30
        options.maxUnauthenticated = 2
        options.acceptsPerSecondUnderPressure = 20
        let provider = try TestProvider(options: options)
        defer { provider.shutdown() }
        let client = NodeIdentity()
        try provider.allow(client)
        let holders = try (0..<2).map { _ in try WireSocket.connect(host: "127.0.0.1", port: provider.port, timeout: 5) }
        usleep(200_000)
        // Sixty more: the kernel completes their connections whether or not the provider accepts.
        let started = Date()
        let flood = try (0..<60).map { _ in try WireSocket.connect(host: "127.0.0.1", port: provider.port, timeout: 5) }
        usleep(500_000)
        let evictions = provider.lines.all.filter { $0.contains("evicted by a newer connection") }.count
        let elapsed = Date().timeIntervalSince(started)
        // Unpaced, all but two of the 62 would have been accepted and evicted by now. Paced: a
        // burst of 5, then 20 a second, and up to two of the event loop's batches of 4 accepts
        // that arrive before a pause takes effect (repaid by a longer pause after).
        #expect(evictions >= 1, "the flood is accepted, slowly")
        #expect(Double(evictions) <= 5 + 20 * elapsed + 8, "\(evictions) evictions in \(elapsed) s at 20 a second")
        // A client's connection waits its turn behind the flood (60 at 20 a second) and gets in.
        // Connections are admitted on two event loops, so on a loaded machine a stranger
        // accepted before the client may be admitted after it and push it out: it tries again,
        // as the engine's clients do.
        let connectStarted = Date()
        var stat: UInt64?
        var lastError: (any Error)?
        for _ in 0..<3 where stat == nil {
            do { stat = try provider.connect(client).stat().blobs } catch { lastError = error }
        }
        #expect(stat == 0, "the client did not get in: \(String(describing: lastError)); the provider's last lines: \(provider.lines.all.suffix(4))")
        #expect(Date().timeIntervalSince(connectStarted) < 25)
        _ = (holders, flood)
    }

    @Test func aClientsSessionsAreCapped() throws {
        var options = ProviderServer.Options()
        options.maxSessionsPerClient = 2
        let provider = try TestProvider(options: options)
        defer { provider.shutdown() }
        let client = NodeIdentity(), other = NodeIdentity()
        try provider.allow(client)
        try provider.allow(other)
        let first = try provider.connect(client), second = try provider.connect(client)
        #expect {
            _ = try provider.connect(client)
        } throws: { error in
            guard case .refused(.busy, _) = error as? MaimoError else { return false }
            return true
        }
        #expect(try provider.connect(other).stat().blobs == 0)
        #expect(try second.stat().blobs == 0)
        first.close()
        var again: ProviderClient?
        for _ in 0..<50 where again == nil {
            again = try? provider.connect(client)
            if again == nil { usleep(50_000) }
        }
        #expect(again != nil, "a slot comes back when a session ends")
    }

    /// A client that asks for a blob and stops reading loses its session after the write
    /// timeout instead of pinning a slot forever.
    @Test func aStalledReaderIsDropped() throws {
        var options = ProviderServer.Options()
        options.writeTimeout = 1
        let provider = try TestProvider(options: options)
        defer { provider.shutdown() }
        let client = NodeIdentity()
        try provider.allow(client)
        var generator = SeededGenerator(seed: 77)
        let blob = BlobFile(content: randomBytes(8 << 20, using: &generator))
        defer { blob.remove() }
        try provider.connect(client).put(root: blob.root, from: blob.descriptor, length: blob.length)
        // A GET whose reply is never read, on a socket with a small receive buffer: the
        // provider's send buffer fills, then it waits.
        let ended = provider.lines.all.filter { $0.contains("session ended") }.count
        let stalled = try RawSession(provider, as: client, receiveBuffer: 16 << 10)
        try stalled.send(WireRequest.get(root: blob.root, offset: 0, length: .max).frame(request: 1))
        let deadline = Date().addingTimeInterval(15)
        while provider.lines.all.filter({ $0.contains("session ended") }).count == ended && Date() < deadline { usleep(100_000) }
        #expect(provider.lines.all.filter { $0.contains("session ended") }.count > ended, "the stalled session was not ended: \(provider.lines.all)")
    }

    @Test func forgedFramesEndOnlyTheirSession() throws {
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let client = NodeIdentity()
        try provider.allow(client)
        let bystander = try provider.connect(client)
        // An authenticated session that then sends a frame that does not open is closed.
        let raw = try RawSession(provider, as: client)
        try raw.send(WireFrame(.stat, request: 1), key: raw.keys!.providerToClient)  // the wrong key
        #expect(throws: MaimoError.io("closed"), "the provider closes the session (not a timeout)") { _ = try raw.frame() }
        // The other session goes on.
        #expect(try bystander.stat().blobs == 0)
    }

    /// A `DATA` frame with no bytes (which would cost the provider work for nothing, forever) is
    /// a bad frame: refused, and the session ends.
    @Test func anEmptyDataFrameEndsTheSession() throws {
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let client = NodeIdentity()
        try provider.allow(client)
        let raw = try RawSession(provider, as: client)
        let blob = BlobFile(content: Array(repeating: 3, count: 2_000_000))
        defer { blob.remove() }
        var put: [UInt8] = blob.root.bytes
        withUnsafeBytes(of: blob.length.littleEndian) { put += $0 }
        withUnsafeBytes(of: UInt64.max.littleEndian) { put += $0 }
        try raw.send(WireFrame(.put, request: 1, payload: put))
        #expect(try raw.frame().kind == .ready)
        try raw.send(WireFrame(.data, request: 1, payload: [UInt8](repeating: 0, count: 8)))
        let refused = try raw.frame()
        #expect(refused.kind == .error && String(decoding: refused.payload.dropFirst(2), as: UTF8.self).contains("without bytes"))
        #expect(throws: MaimoError.io("closed")) { _ = try raw.frame() }
    }
}
