import Crypto
import MaimoBlake3
import MaimoCipher
@_spi(Deterministic) @testable import MaimoWire
import Testing

/// The handshake's transcript test vector (Docs/Engine.md, "Handshake: a worked example"): with
/// the keys and randomness below, both sides produce these frames and these session keys, and
/// the first sealed frame has these bytes. Another implementation checks itself against it.
@Suite("wire v2 transcript vector")
struct WireVectorTests {
    static func bytes(_ range: ClosedRange<UInt8>) -> [UInt8] { Array(range) }
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static let expected = (
        hello: "0000005201000000000000004d41494d4f5749520200" + String(repeating: "41", count: 32)
            + "675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f",
        providerHello: "5b1923d8c4623dbdb7fed0871e1909e532d1da5a89e0ec6317dea8192a716616",
        auth: "6ff0c34cae92bcdfbcd6b62a745211891736c24549c91b7c96e91389ec005bdf",
        clientToProvider: "fb31ecc1497c4763f23432a8cef702917c94b122932fbfd4380b1d9404f63fb5",
        providerToClient: "f07a961a2d1f778acdc8f0cd97d0643a674c7c6f63b83d2e818e14a722eb4d40",
        firstFrame: "000000182e856c67c1c9699a2801e51a6ac29cd65fe86546d325c7aa"  // checked with Python cryptography's ChaCha20Poly1305
    )

    @Test func bothSidesProduceTheVector() throws {
        let client = try Curve25519.Signing.PrivateKey(rawRepresentation: Self.bytes(0x00...0x1F))
        let provider = try Curve25519.Signing.PrivateKey(rawRepresentation: Self.bytes(0x20...0x3F))
        var clientSide = WireHandshake.Client(
            identity: client, expectedProvider: Array(provider.publicKey.rawRepresentation),
            nonce: [UInt8](repeating: 0x41, count: 32), ephemeral: try .init(rawRepresentation: Self.bytes(0x60...0x7F)))
        var providerSide = WireHandshake.Provider(
            identity: provider, nonce: [UInt8](repeating: 0x42, count: 32), ephemeral: try .init(rawRepresentation: Self.bytes(0x80...0x9F)))
        let hello = clientSide.hello()
        let providerHello = try providerSide.respond(to: hello)
        let (auth, clientKeys) = try clientSide.respond(to: providerHello)
        let (clientID, providerKeys) = try providerSide.finish(with: auth) { _ in true }
        #expect(clientID == Array(client.publicKey.rawRepresentation))
        var sealer = clientKeys.client.send
        let first = WireRequest.stat.frame(request: 1).sealed(with: &sealer)
        let key = { (k: CipherKey) in k.withUnsafeBytes { Self.hex(Array($0)) } }
        let got = (
            hello: Self.hex(hello.encoded()),
            providerHello: Blake3.hash(providerHello.encoded()).description,
            auth: Blake3.hash(auth.encoded()).description,
            clientToProvider: key(clientKeys.clientToProvider),
            providerToClient: key(clientKeys.providerToClient),
            firstFrame: Self.hex(first)
        )
        #expect(got == Self.expected)
        #expect(key(providerKeys.clientToProvider) == got.clientToProvider && key(providerKeys.providerToClient) == got.providerToClient)
        // The provider opens the first frame with its side's cipher.
        var reader = WireFrameReader()
        reader.opener = providerKeys.provider.receive
        reader.append(first)
        #expect(try reader.next() == WireRequest.stat.frame(request: 1))
    }
}
