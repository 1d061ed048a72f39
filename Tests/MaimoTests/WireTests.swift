#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import Maimo
import MaimoBlake3
import Testing

/// The wire protocol's frames and handshake (Docs/Engine.md): both sides derive the same keys,
/// the wrong provider, an unknown client or a forged signature is refused, and tampered,
/// replayed, oversized or unknown frames are typed errors.
@Suite("wire protocol")
struct WireTests {
    /// Runs a handshake through the frame encoding, as two peers would over a socket.
    static func handshake(
        client: Curve25519.Signing.PrivateKey, provider: Curve25519.Signing.PrivateKey, expected: [UInt8]? = nil,
        allowed: @escaping ([UInt8]) -> Bool = { _ in true }
    ) throws(WireError) -> (SessionKeys, SessionKeys, [UInt8]) {
        var clientSide = WireHandshake.Client(identity: client, expectedProvider: expected ?? Array(provider.publicKey.rawRepresentation))
        var providerSide = WireHandshake.Provider(identity: provider)
        var toProvider = WireFrameReader(), toClient = WireFrameReader()
        toProvider.append(clientSide.hello().encoded())
        let hello = try providerSide.respond(to: toProvider.next()!)
        toClient.append(hello.encoded())
        let (auth, clientKeys) = try clientSide.respond(to: toClient.next()!)
        toProvider.append(auth.encoded())
        let (clientID, providerKeys) = try providerSide.finish(with: toProvider.next()!, isAllowed: allowed)
        return (clientKeys, providerKeys, clientID)
    }

    @Test func handshakeAgreesOnKeysAndIdentity() throws {
        let client = Curve25519.Signing.PrivateKey(), provider = Curve25519.Signing.PrivateKey()
        let (a, b, clientID) = try Self.handshake(client: client, provider: provider)
        #expect(a.clientToProvider == b.clientToProvider && a.providerToClient == b.providerToClient)
        #expect(a.clientToProvider != a.providerToClient)
        #expect(clientID == Array(client.publicKey.rawRepresentation))
        // Fresh nonces and ephemeral keys: another session, other keys.
        let (c, _, _) = try Self.handshake(client: client, provider: provider)
        #expect(c.clientToProvider != a.clientToProvider)
    }

    @Test func refusesTheWrongPeers() throws {
        let client = Curve25519.Signing.PrivateKey(), provider = Curve25519.Signing.PrivateKey()
        let impostor = Curve25519.Signing.PrivateKey()
        #expect(throws: WireError.notAllowed("the client expects another provider")) {
            try Self.handshake(client: client, provider: impostor, expected: Array(provider.publicKey.rawRepresentation))
        }
        #expect(throws: WireError.notAllowed("this client is not on the provider's allow-list")) {
            try Self.handshake(client: client, provider: provider, allowed: { _ in false })
        }
        // A provider hello whose signature was altered in transit.
        var clientSide = WireHandshake.Client(identity: client, expectedProvider: Array(provider.publicKey.rawRepresentation))
        var providerSide = WireHandshake.Provider(identity: provider)
        var hello = try providerSide.respond(to: clientSide.hello())
        hello.payload[hello.payload.count - 1] ^= 1
        #expect(throws: WireError.notAllowed("the provider's signature does not verify")) { try clientSide.respond(to: hello) }
        // A client AUTH signed by another key.
        var honest = WireHandshake.Client(identity: client, expectedProvider: Array(provider.publicKey.rawRepresentation))
        var provider2 = WireHandshake.Provider(identity: provider)
        let reply = try provider2.respond(to: honest.hello())
        var (auth, _) = try honest.respond(to: reply)
        auth.payload[0] ^= 1
        #expect(throws: WireError.notAllowed("the client's signature does not verify")) { try provider2.finish(with: auth, isAllowed: { _ in true }) }
    }

    @Test func framesAreAuthenticatedInOrder() throws {
        let key = try Blake3.Key([UInt8](repeating: 7, count: 32))
        let frames = (0..<5).map { WireFrame(.data, flags: $0 == 4 ? 1 : 0, request: 9, payload: Array(repeating: UInt8($0), count: 1000 * $0)) }
        var reader = WireFrameReader()
        reader.macKey = key
        var stream = [UInt8]()
        for (i, frame) in frames.enumerated() { stream += frame.encoded(macKey: key, sequence: UInt64(i)) }
        // Fed a few bytes at a time, every frame comes back whole.
        var out = [WireFrame]()
        for start in stride(from: 0, to: stream.count, by: 777) {
            reader.append(Array(stream[start..<min(stream.count, start + 777)]))
            while let frame = try reader.next() { out.append(frame) }
        }
        #expect(out == frames)

        var tampered = WireFrameReader()
        tampered.macKey = key
        var bytes = frames[1].encoded(macKey: key, sequence: 0)
        bytes[20] ^= 1
        tampered.append(bytes)
        #expect(throws: WireError.badMAC(sequence: 0)) { try tampered.next() }

        var replayed = WireFrameReader()
        replayed.macKey = key
        let once = frames[2].encoded(macKey: key, sequence: 0)
        replayed.append(once + once)
        #expect(try replayed.next() == frames[2])
        #expect(throws: WireError.badMAC(sequence: 1)) { try replayed.next() }
    }

    /// Thousands of frames in one buffer, and the same split at random points: every frame
    /// comes out as it went in (the reader moves an index instead of shifting the buffer).
    @Test func manyFramesFromOneBuffer() throws {
        var generator = SystemRandomNumberGenerator()
        let frames = (0..<5000).map { i in
            WireFrame(.data, flags: UInt8(i & 1), request: UInt32(i), payload: (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        }
        let bytes = frames.flatMap { $0.encoded() }
        var whole = WireFrameReader()
        whole.append(bytes)
        var out: [WireFrame] = []
        while let frame = try whole.next() { out.append(frame) }
        #expect(out == frames)
        var pieces = WireFrameReader()
        var position = 0
        out = []
        while position < bytes.count {
            let n = min(bytes.count - position, Int.random(in: 1...300, using: &generator))
            pieces.append(Array(bytes[position..<(position + n)]))
            position += n
            while let frame = try pieces.next() { out.append(frame) }
        }
        #expect(out == frames)
    }

    /// An ERROR before the provider proved who it is is not a refusal a client believes: it is
    /// a failure to connect; and a provider's text reaches the terminal without control or
    /// format characters.
    @Test func anUnauthenticatedErrorIsAFailureToConnectAndItsTextIsPrintable() throws {
        let (listener, port) = Loopback.listener()
        defer { close(listener) }
        var payload: [UInt8] = [UInt8(WireErrorCode.notAllowed.rawValue), 0]
        payload += Array("\u{1b}[2J\u{1b}]0;owned\u{07}you are \u{202e}dellawon\nnot allowed".utf8)
        let reply = WireFrame(.error, flags: 1, request: 0, payload: payload).encoded()
        Thread {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 4096)
            _ = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            _ = reply.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            usleep(200_000)
            close(client)
        }.start()
        #expect {
            _ = try ProviderClient(address: PeerAddress(host: "127.0.0.1", port: port), provider: NodeIdentity().nodeID, identity: NodeIdentity())
        } throws: { error in
            guard case let .io(message) = error as? MaimoError else { return false }
            return message.contains("unauthenticated") && message.contains("not allowed")
                && !message.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{202e}" || $0.value == 0x7F }
        }
    }

    @Test func anOnionNameWithATrailingDotIsAnOnionName() throws {
        let name = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion."
        let parsed = try PeerAddress(name + ":7070")
        #expect(parsed.isOnion && !parsed.host.hasSuffix("."))
        #expect(try PeerAddress(name).isOnion)
        #expect(PeerAddress(host: name, port: 7070).isOnion)
    }

    @Test func malformedFramesAreTypedErrors() throws {
        var oversized = WireFrameReader()
        oversized.append([0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: WireError.self) { try oversized.next() }
        var unknown = WireFrameReader()
        unknown.append([0, 0, 0, 8, 99, 0, 0, 0, 0, 0, 0, 0])
        #expect(throws: WireError.badFrame("unknown frame type 99")) { try unknown.next() }
        var short = WireFrameReader()
        short.append([0, 0, 0, 2, 1, 0])
        #expect(throws: WireError.self) { try short.next() }
        // Random garbage: typed errors or waiting for more, never a trap.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var reader = WireFrameReader()
            if Bool.random(using: &generator) { reader.macKey = try Blake3.Key((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }) }
            reader.append((0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            _ = try? reader.next()
        }
    }
}
