#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import Maimo
import MaimoCipher
@testable import MaimoWire
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

    static func same(_ a: CipherKey, _ b: CipherKey) -> Bool {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in Array(x) == Array(y) } }
    }

    /// Swift 6.3's `Array(unsafeUninitializedCapacity: 0)` writes into the shared empty-array
    /// storage: two sessions decoding empty bodies at once were a data race under
    /// ThreadSanitizer (Scripts/sanitize.sh thread runs this test instrumented).
    @Test func emptyBodiesAreCopiedOnManyThreadsAtOnce() {
        DispatchQueue.concurrentPerform(iterations: 64) { _ in
            #expect(copiedBytes(UnsafeRawBufferPointer(start: nil, count: 0)).isEmpty)
        }
    }

    @Test func handshakeAgreesOnKeysAndIdentity() throws {
        let client = Curve25519.Signing.PrivateKey(), provider = Curve25519.Signing.PrivateKey()
        let (a, b, clientID) = try Self.handshake(client: client, provider: provider)
        #expect(Self.same(a.clientToProvider, b.clientToProvider) && Self.same(a.providerToClient, b.providerToClient))
        #expect(!Self.same(a.clientToProvider, a.providerToClient))
        #expect(clientID == Array(client.publicKey.rawRepresentation))
        // Fresh nonces and ephemeral keys: another session, other keys.
        let (c, _, _) = try Self.handshake(client: client, provider: provider)
        #expect(!Self.same(c.clientToProvider, a.clientToProvider))
    }

    /// Neither node ID crosses the wire in clear: a passive observer of the three handshake
    /// frames sees random nonces and ephemeral keys, and sealed identities.
    @Test func theHandshakeHidesBothIdentities() throws {
        let client = Curve25519.Signing.PrivateKey(), provider = Curve25519.Signing.PrivateKey()
        var clientSide = WireHandshake.Client(identity: client, expectedProvider: Array(provider.publicKey.rawRepresentation))
        var providerSide = WireHandshake.Provider(identity: provider)
        let hello = clientSide.hello()
        let reply = try providerSide.respond(to: hello)
        let (auth, _) = try clientSide.respond(to: reply)
        let observed = hello.encoded() + reply.encoded() + auth.encoded()
        for id in [Array(client.publicKey.rawRepresentation), Array(provider.publicKey.rawRepresentation)] {
            #expect(!Loopback.contains(observed, id.prefix(8)), "a node ID in the handshake's clear bytes")
        }
    }

    /// A handshake frame's header is not covered by its seal: one with flags or a request ID set
    /// is refused on both sides, so a changed auth header cannot leave the provider with a
    /// session whose keys differ from the client's (fuzz-handshake's property found this).
    @Test func handshakeFramesMustHaveAnEmptyHeader() throws {
        let client = Curve25519.Signing.PrivateKey(), provider = Curve25519.Signing.PrivateKey()
        let providerID = Array(provider.publicKey.rawRepresentation)
        for field in ["flags", "request"] {
            func changed(_ frame: WireFrame) -> WireFrame {
                var frame = frame
                if field == "flags" { frame.flags = 1 } else { frame.request = 7 }
                return frame
            }
            var clientSide = WireHandshake.Client(identity: client, expectedProvider: providerID)
            var providerSide = WireHandshake.Provider(identity: provider)
            let hello = clientSide.hello()
            #expect(throws: WireError.self) { var other = WireHandshake.Provider(identity: provider); _ = try other.respond(to: changed(hello)) }
            let reply = try providerSide.respond(to: hello)
            #expect(throws: WireError.self) { try clientSide.respond(to: changed(reply)) }
            let (auth, _) = try clientSide.respond(to: reply)
            #expect(throws: WireError.self) { try providerSide.finish(with: changed(auth), isAllowed: { _ in true }) }
            _ = try providerSide.finish(with: auth, isAllowed: { _ in true })
        }
    }

    @Test func refusesTheWrongPeers() throws {
        let client = Curve25519.Signing.PrivateKey(), provider = Curve25519.Signing.PrivateKey()
        let impostor = Curve25519.Signing.PrivateKey()
        let providerID = Array(provider.publicKey.rawRepresentation)
        #expect(throws: WireError.notAllowed("the provider is not the one expected")) {
            try Self.handshake(client: client, provider: impostor, expected: providerID)
        }
        #expect(throws: WireError.notAllowed("this client is not on the provider's allow-list")) {
            try Self.handshake(client: client, provider: provider, allowed: { _ in false })
        }
        // A provider hello altered in transit.
        var clientSide = WireHandshake.Client(identity: client, expectedProvider: providerID)
        var providerSide = WireHandshake.Provider(identity: provider)
        var hello = try providerSide.respond(to: clientSide.hello())
        hello.payload[hello.payload.count - 1] ^= 1
        #expect(throws: WireError.notAllowed("the provider's sealed identity does not open")) { try clientSide.respond(to: hello) }
        // A man in the middle who made the ephemeral exchange with the client claims the real
        // provider's ID, with a signature of his own over the transcript.
        var victim = WireHandshake.Client(identity: client, expectedProvider: providerID)
        var middle = WireHandshake.Provider(identity: impostor)
        let clientHello = victim.hello()
        var forged = try middle.respond(to: clientHello)
        let h1 = WireHandshake.transcript("maimo wire v2 hello", [clientHello.encoded(), Array(forged.payload[0..<66])])
        let secret = try middle.ephemeral.sharedSecretFromKeyAgreement(with: .init(rawRepresentation: clientHello.payload[42..<74]))
        let (sealKey, _) = WireHandshake.keyPair("maimo wire v2 handshake keys", secret: secret, transcript: h1)
        forged.payload = Array(forged.payload[0..<66]) + WireHandshake.sealIdentity(providerID, Array(try impostor.signature(for: h1)), key: sealKey, transcript: h1)
        #expect(throws: WireError.notAllowed("the provider's signature does not verify")) { try victim.respond(to: forged) }
        // A client AUTH altered in transit.
        var honest = WireHandshake.Client(identity: client, expectedProvider: providerID)
        var provider2 = WireHandshake.Provider(identity: provider)
        let reply = try provider2.respond(to: honest.hello())
        var (auth, _) = try honest.respond(to: reply)
        auth.payload[40] ^= 1
        #expect(throws: WireError.notAllowed("the client's sealed identity does not open")) { try provider2.finish(with: auth, isAllowed: { _ in true }) }
        // Another version is named as such.
        var oldClient = WireHandshake.Client(identity: client, expectedProvider: providerID)
        var old = oldClient.hello()
        old.payload[8] = 1
        var provider3 = WireHandshake.Provider(identity: provider)
        #expect(throws: WireError.unsupportedVersion(1)) { try provider3.respond(to: old) }
    }

    @Test func framesAreSealedAndOpenedInOrder() throws {
        let key = try CipherKey(bytes: [UInt8](repeating: 7, count: 32))
        let frames = (0..<5).map { WireFrame(.data, flags: $0 == 4 ? 1 : 0, request: 9, payload: Array(repeating: 0xA5, count: 1000 * $0)) }
        var reader = WireFrameReader()
        reader.opener = WireFrameCipher(key: key)
        var sealer = WireFrameCipher(key: key)
        var stream = [UInt8]()
        for frame in frames { stream += frame.sealed(with: &sealer) }
        // Nothing of the payloads or headers in clear.
        #expect(!Loopback.contains(stream, [UInt8](repeating: 0xA5, count: 16)))
        // Fed a few bytes at a time, every frame comes back whole.
        var out = [WireFrame]()
        for start in stride(from: 0, to: stream.count, by: 777) {
            reader.append(Array(stream[start..<min(stream.count, start + 777)]))
            while let frame = try reader.next() { out.append(frame) }
        }
        #expect(out == frames)

        func fresh() -> (WireFrameCipher, WireFrameReader) {
            var reader = WireFrameReader()
            reader.opener = WireFrameCipher(key: key)
            return (WireFrameCipher(key: key), reader)
        }
        var (s1, tampered) = fresh()
        var bytes = frames[1].sealed(with: &s1)
        bytes[20] ^= 1
        tampered.append(bytes)
        #expect(throws: WireError.badMAC(sequence: 0)) { try tampered.next() }

        var (s2, replayed) = fresh()
        let once = frames[2].sealed(with: &s2)
        replayed.append(once + once)
        #expect(try replayed.next() == frames[2])
        #expect(throws: WireError.badMAC(sequence: 1)) { try replayed.next() }

        // Frames swapped in order, and a frame sealed for the other direction, do not open.
        var (s3, reordered) = fresh()
        let first = frames[0].sealed(with: &s3), second = frames[1].sealed(with: &s3)
        reordered.append(second + first)
        #expect(throws: WireError.badMAC(sequence: 0)) { try reordered.next() }
        var wrongDirection = WireFrameReader()
        wrongDirection.opener = WireFrameCipher(key: CipherKey())
        wrongDirection.append(first)
        #expect(throws: WireError.badMAC(sequence: 0)) { try wrongDirection.next() }
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
            guard case let .network(message) = error as? MaimoError else { return false }
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
            if Bool.random(using: &generator) { reader.opener = WireFrameCipher(key: CipherKey()) }
            reader.append((0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            _ = try? reader.next()
        }
    }
}
