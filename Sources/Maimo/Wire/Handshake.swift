import Crypto
import Foundation
import MaimoBlake3
import MaimoCipher

/// The session keys a handshake yields: one MAC key per direction.
public struct SessionKeys: Sendable {
    public let clientToProvider: Blake3.Key
    public let providerToClient: Blake3.Key
}

/// The wire handshake (Docs/Engine.md, "Handshake"): nonces and ephemeral X25519 keys from both
/// sides, the provider's Ed25519 signature over the transcript, then the client's; session MAC
/// keys from the X25519 secret and the transcript. Pure: frames in, frames out, no I/O.
public enum WireHandshake {
    public static let magic = Array("MAIMOWIR".utf8)
    public static let version: UInt16 = 1

    static func random32() -> [UInt8] {
        SecureRandom.bytes(32)
    }

    static func transcript(_ label: String, _ parts: [[UInt8]]) -> [UInt8] {
        var hasher = Blake3.Hasher()
        hasher.update(Array(label.utf8))
        for part in parts { hasher.update(part) }
        return hasher.finalize().bytes
    }

    static func sessionKeys(secret: SharedSecret, transcript: [UInt8]) -> SessionKeys {
        let material = secret.withUnsafeBytes { Array($0) } + transcript
        let keys = Blake3.deriveKey(context: "maimo wire v1 session keys", material: material, outputLength: 64)
        // 32-byte slices always make keys.
        return SessionKeys(clientToProvider: try! Blake3.Key(keys[0..<32]), providerToClient: try! Blake3.Key(keys[32..<64]))
    }

    /// The client's side: `hello()`, then `respond(to:)` with the provider's hello, which checks
    /// the provider and returns the AUTH frame and the session keys.
    public struct Client {
        let identity: Curve25519.Signing.PrivateKey
        let expectedProvider: [UInt8]
        let nonce = WireHandshake.random32()
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        var helloFrame: WireFrame?

        /// - Parameter expectedProvider: the provider's node ID (its Ed25519 public key).
        public init(identity: Curve25519.Signing.PrivateKey, expectedProvider: [UInt8]) {
            self.identity = identity
            self.expectedProvider = expectedProvider
        }

        public mutating func hello() -> WireFrame {
            var payload = WireHandshake.magic
            payload += [UInt8(WireHandshake.version & 0xFF), UInt8(WireHandshake.version >> 8)]
            payload += nonce + Array(ephemeral.publicKey.rawRepresentation)
            payload += Array(identity.publicKey.rawRepresentation) + expectedProvider
            let frame = WireFrame(.hello, payload: payload)
            helloFrame = frame
            return frame
        }

        public func respond(to providerHello: WireFrame) throws(WireError) -> (auth: WireFrame, keys: SessionKeys) {
            guard let helloFrame else { throw .badFrame("hello not sent") }
            let p = providerHello.payload
            guard providerHello.kind == .providerHello, p.count == 2 + 32 + 32 + 32 + 64 else {
                throw .badFrame("provider hello of \(p.count) bytes")
            }
            let version = UInt16(p[0]) | UInt16(p[1]) << 8
            guard version == WireHandshake.version else { throw .unsupportedVersion(version) }
            let providerEphemeral = Array(p[34..<66]), providerID = Array(p[66..<98]), signature = Array(p[98..<162])
            guard providerID == expectedProvider else { throw .notAllowed("the provider is not the one expected") }
            let unsigned = WireFrame(.providerHello, payload: Array(p.dropLast(64))).encoded()
            let t1 = WireHandshake.transcript("maimo wire v1 provider", [helloFrame.encoded(), unsigned])
            guard let providerKey = try? Curve25519.Signing.PublicKey(rawRepresentation: providerID),
                  providerKey.isValidSignature(signature, for: t1) else {
                throw .notAllowed("the provider's signature does not verify")
            }
            let t2 = WireHandshake.transcript("maimo wire v1 client", [t1, providerHello.encoded()])
            guard let signatureBytes = try? identity.signature(for: t2),
                  let peer = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: providerEphemeral),
                  let secret = try? ephemeral.sharedSecretFromKeyAgreement(with: peer) else {
                throw .badFrame("the provider's ephemeral key is invalid")
            }
            return (WireFrame(.auth, payload: Array(signatureBytes)), WireHandshake.sessionKeys(secret: secret, transcript: t2))
        }
    }

    /// The provider's side: `respond(to:)` a client hello (returns the provider hello), then
    /// `finish(with:)` the AUTH frame, which checks the client's signature and its node ID
    /// against `isAllowed`.
    public struct Provider {
        let identity: Curve25519.Signing.PrivateKey
        let nonce = WireHandshake.random32()
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        var t1: [UInt8] = []
        var t2: [UInt8] = []
        var clientID: [UInt8] = []
        var clientEphemeral: [UInt8] = []

        public init(identity: Curve25519.Signing.PrivateKey) { self.identity = identity }

        public mutating func respond(to clientHello: WireFrame) throws(WireError) -> WireFrame {
            let p = clientHello.payload
            guard clientHello.kind == .hello, p.count == 8 + 2 + 32 * 4 else { throw .badFrame("client hello of \(p.count) bytes") }
            guard Array(p[0..<8]) == WireHandshake.magic else { throw .badFrame("not a Maimo client") }
            let version = UInt16(p[8]) | UInt16(p[9]) << 8
            guard version == WireHandshake.version else { throw .unsupportedVersion(version) }
            clientEphemeral = Array(p[42..<74])
            clientID = Array(p[74..<106])
            let expected = Array(p[106..<138])
            guard expected == Array(identity.publicKey.rawRepresentation) else {
                throw .notAllowed("the client expects another provider")
            }
            var payload = [UInt8(WireHandshake.version & 0xFF), UInt8(WireHandshake.version >> 8)]
            payload += nonce + Array(ephemeral.publicKey.rawRepresentation) + Array(identity.publicKey.rawRepresentation)
            let unsigned = WireFrame(.providerHello, payload: payload).encoded()
            t1 = WireHandshake.transcript("maimo wire v1 provider", [clientHello.encoded(), unsigned])
            guard let signature = try? identity.signature(for: t1) else { throw .badFrame("signing failed") }
            let frame = WireFrame(.providerHello, payload: payload + Array(signature))
            t2 = WireHandshake.transcript("maimo wire v1 client", [t1, frame.encoded()])
            return frame
        }

        /// Checks the client's AUTH; returns the client's node ID and the session keys.
        public func finish(with auth: WireFrame, isAllowed: ([UInt8]) -> Bool) throws(WireError) -> (client: [UInt8], keys: SessionKeys) {
            guard auth.kind == .auth, auth.payload.count == 64, !t2.isEmpty else { throw .badFrame("auth of \(auth.payload.count) bytes") }
            guard let clientKey = try? Curve25519.Signing.PublicKey(rawRepresentation: clientID),
                  clientKey.isValidSignature(auth.payload, for: t2) else {
                throw .notAllowed("the client's signature does not verify")
            }
            guard isAllowed(clientID) else { throw .notAllowed("this client is not on the provider's allow-list") }
            guard let peer = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: clientEphemeral),
                  let secret = try? ephemeral.sharedSecretFromKeyAgreement(with: peer) else {
                throw .badFrame("the client's ephemeral key is invalid")
            }
            return (clientID, WireHandshake.sessionKeys(secret: secret, transcript: t2))
        }
    }
}
