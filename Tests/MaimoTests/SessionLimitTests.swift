#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Maimo
import MaimoProvider
import MaimoWire
import Testing

/// Authenticated clients that misbehave slowly: a frame trickled a byte at a time, a session
/// that says nothing, a flood of requests. Each attack is made over loopback by hand.
@Suite("provider session limits")
struct SessionLimitTests {
    /// Slow-loris: bytes keep coming but no frame ever completes. Before, any byte reset the
    /// idle timer and such a session held its slot forever.
    @Test func aTrickledFrameEndsItsSession() throws {
        var options = ProviderServer.Options()
        options.frameTimeout = 1
        let provider = try TestProvider(options: options)
        defer { provider.shutdown() }
        let client = NodeIdentity()
        try provider.allow(client)
        let raw = try RawSession(provider, as: client)
        let bytes = WireFrame(.stat, request: 1).sealed(with: &raw.sealer!)
        let started = Date()
        var sent = 0
        // One byte every 0.2 s: the frame would take 10 s; the provider gives it 1 s.
        while sent < bytes.count - 1 && Date().timeIntervalSince(started) < 12 {
            guard (try? raw.socket.send([bytes[sent]])) != nil else { break }
            sent += 1
            if raw.socket.isReadable(within: 0.2) { break }
        }
        #expect(throws: MaimoError.io("closed")) { _ = try raw.frame() }
        #expect(sent < bytes.count - 1, "the whole frame but one byte went through: the session was not ended")
        #expect(provider.lines.wait(for: "took more than 1 s"), "\(provider.lines.all)")
    }

    /// Whole frames are activity: a session that asks something now and then stays; one that
    /// says nothing goes after the idle timeout.
    @Test func onlyWholeFramesKeepASessionAlive() throws {
        var options = ProviderServer.Options()
        options.idleTimeout = 1.5
        let provider = try TestProvider(options: options)
        defer { provider.shutdown() }
        let client = NodeIdentity()
        try provider.allow(client)
        let talking = try provider.connect(client)
        let silent = try RawSession(provider, as: client)
        for _ in 0..<8 {
            #expect(try talking.stat().blobs == 0)
            usleep(400_000)
        }
        #expect(throws: MaimoError.io("closed")) { _ = try silent.frame() }
        #expect(provider.lines.wait(for: "idle for 1 s"), "\(provider.lines.all)")
    }

    /// A client over its request rate waits; it is answered in full and in order, and another
    /// client is served meanwhile.
    @Test func aFloodOfRequestsIsSlowedNotRefused() throws {
        var options = ProviderServer.Options()
        options.maxRequestsPerSecond = 40
        let provider = try TestProvider(options: options)
        defer { provider.shutdown() }
        let client = NodeIdentity(), other = NodeIdentity()
        try provider.allow(client)
        try provider.allow(other)
        let flood = try RawSession(provider, as: client)
        let count = 120
        var burst: [UInt8] = []
        for request in 1...count { burst += WireFrame(.stat, request: UInt32(request)).sealed(with: &flood.sealer!) }
        let started = Date()
        try flood.socket.send(burst)
        #expect(try provider.connect(other).stat().blobs == 0)
        for request in 1...count {
            let reply = try flood.frame()
            #expect(reply.request == UInt32(request) && reply.kind == .usage, "reply \(request): \(reply.kind)")
        }
        // 40 at once, the other 80 at 40 a second: at least 2 s, whatever the machine's speed.
        #expect(Date().timeIntervalSince(started) > 1.8)
        #expect(provider.server.throttledRequests > 0)
    }
}
