// libFuzzer target: both sides of the wire handshake (Docs/Engine.md, "Handshake"), between a
// fixed client and a fixed provider with fixed randomness. Input: byte 0 picks the message an
// attacker in the middle changes (client hello, provider hello or auth) and how (its encoded
// frame replaced by the rest of the input, or the rest XORed into it); the handshake then runs
// with that message as the attacker sent it. What must hold: no crash; the handshake completes
// exactly when the message arrived as it was sent, and then both sides hold the same session
// keys and each the other's node ID; a changed message is refused by one side with a WireError
// (the transcript binds every byte), never accepted.
import Crypto
import FuzzSupport
@_spi(Deterministic) import MaimoWire
import MaimoCipher

private func key(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: 32) }
// 32-byte values are always valid Curve25519 private keys.
private let clientIdentity = try! Curve25519.Signing.PrivateKey(rawRepresentation: key(1))
private let providerIdentity = try! Curve25519.Signing.PrivateKey(rawRepresentation: key(2))
private let clientEphemeral = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: key(3))
private let providerEphemeral = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: key(4))
private let clientID = Array(clientIdentity.publicKey.rawRepresentation)
private let providerID = Array(providerIdentity.publicKey.rawRepresentation)

/// The frame the attacker delivers in place of `sent`: nil when its bytes are not one whole frame
/// (the receiver would see a broken stream and close it).
private func tampered(_ sent: WireFrame, mode: UInt8, with bytes: ArraySlice<UInt8>) -> WireFrame? {
    var wire = sent.encoded()
    if mode & 1 == 0 {
        wire = Array(bytes)
    } else {
        for (i, byte) in bytes.enumerated() where i < wire.count { wire[i] ^= byte }
    }
    var reader = WireFrameReader()
    reader.append(wire)
    guard let frame = try? reader.next() else { return nil }
    return frame
}

private func same(_ a: CipherKey, _ b: CipherKey) -> Bool {
    a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHandshake(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let step = selector % 3, mode = selector / 3
    let rest = input.dropFirst()

    var client = WireHandshake.Client(identity: clientIdentity, expectedProvider: providerID, nonce: key(5), ephemeral: clientEphemeral)
    var provider = WireHandshake.Provider(identity: providerIdentity, nonce: key(6), ephemeral: providerEphemeral)
    var changed = false
    func deliver(_ frame: WireFrame, at index: UInt8) -> WireFrame? {
        guard index == step else { return frame }
        let arrived = tampered(frame, mode: mode, with: rest)
        changed = arrived.map { $0.encoded() != frame.encoded() } ?? true
        return arrived
    }

    guard let hello = deliver(client.hello(), at: 0) else { return 0 }
    let providerHello: WireFrame
    do { providerHello = try provider.respond(to: hello) } catch {
        precondition(changed, "the provider refused the client's own hello: \(error)")
        return 0
    }
    guard let arrivedProviderHello = deliver(providerHello, at: 1) else { return 0 }
    let auth: WireFrame, clientKeys: SessionKeys
    do { (auth, clientKeys) = try client.respond(to: arrivedProviderHello) } catch {
        precondition(changed, "the client refused the provider's own hello: \(error)")
        return 0
    }
    precondition(!changed, "the client accepted a changed handshake message")
    guard let arrivedAuth = deliver(auth, at: 2) else { return 0 }
    let result: (client: [UInt8], keys: SessionKeys)
    do { result = try provider.finish(with: arrivedAuth, isAllowed: { _ in true }) } catch {
        precondition(changed, "the provider refused the client's own auth: \(error)")
        return 0
    }
    precondition(!changed, "the provider accepted a changed auth")
    precondition(result.client == clientID, "the provider saw another client")
    precondition(same(result.keys.clientToProvider, clientKeys.clientToProvider)
        && same(result.keys.providerToClient, clientKeys.providerToClient), "the two sides derived different session keys")
    return 0
}
