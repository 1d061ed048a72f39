import Crypto
import MaimoBlake3
import MaimoCipher

/// The session keys a handshake yields: one ``WireFrameCipher`` key per direction.
public struct SessionKeys: Sendable {
    /// The key of frames the client sends.
    public let clientToProvider: CipherKey
    /// The key of frames the provider sends.
    public let providerToClient: CipherKey

    /// The client's ciphers: it seals with the first, opens with the second.
    public var client: (send: WireFrameCipher, receive: WireFrameCipher) {
        (WireFrameCipher(key: clientToProvider), WireFrameCipher(key: providerToClient))
    }

    /// The provider's ciphers.
    public var provider: (send: WireFrameCipher, receive: WireFrameCipher) {
        (WireFrameCipher(key: providerToClient), WireFrameCipher(key: clientToProvider))
    }
}

/// The wire handshake, version 2 (Docs/Engine.md, "Handshake"): a SIGMA-I exchange. The client
/// sends a nonce and an ephemeral X25519 key in clear; the provider answers with its own and,
/// sealed under a key from the ephemeral exchange, its node ID and its Ed25519 signature over
/// the transcript; the client checks it is the provider it meant to reach before it sends,
/// sealed the same way, its own node ID and signature. A passive observer learns neither node
/// ID; an active one learns the client's only by holding the provider's key. Session keys come
/// from the X25519 secret and the whole transcript. Pure: frames in, frames out, no I/O.
public enum WireHandshake {
    /// The eight bytes that open a client's hello.
    public static let magic = Array("MAIMOWIR".utf8)
    /// The wire version this module speaks.
    public static let version: UInt16 = 2
    static let sealedIdentity = 32 + 64
    static let tagLength = XChaCha8Blake3SIV.tagLength
    /// Each handshake key seals one message: the nonce can be constant.
    static let zeroNonce = try! XChaCha8Blake3SIV.Nonce([UInt8](repeating: 0, count: XChaCha8Blake3SIV.nonceLength))

    static func transcript(_ label: String, _ parts: [[UInt8]]) -> [UInt8] {
        var hasher = Blake3()
        hasher.update(Array(label.utf8))
        for part in parts { hasher.update(part) }
        return hasher.finalize().bytes
    }

    /// Two keys from the X25519 secret and a transcript hash; the copies of the secret are zeroed.
    static func keyPair(_ context: String, secret: SharedSecret, transcript: [UInt8]) -> (CipherKey, CipherKey) {
        var material = secret.withUnsafeBytes { Array($0) } + transcript
        var keys = Blake3.deriveKey(context: context, material: material, outputLength: 64)
        defer {
            for i in material.indices { material[i] = 0 }
            for i in keys.indices { keys[i] = 0 }
        }
        // 32-byte slices always make keys.
        return (try! CipherKey(bytes: keys[0..<32]), try! CipherKey(bytes: keys[32..<64]))
    }

    static func sessionKeys(secret: SharedSecret, transcript: [UInt8]) -> SessionKeys {
        let (c, p) = keyPair("maimo wire v2 session keys", secret: secret, transcript: transcript)
        return SessionKeys(clientToProvider: c, providerToClient: p)
    }

    /// A handshake frame's header carries nothing but its kind: flags and request ID must be 0.
    /// Otherwise a man in the middle could change the auth frame's header unnoticed by the
    /// provider (the sealed identity does not cover it), which would then accept a session
    /// whose keys differ from the client's (found with fuzz-handshake's property).
    static func checkHeader(_ frame: WireFrame, _ what: String) throws(WireError) {
        guard frame.flags == 0, frame.request == 0 else {
            throw .badFrame("\(what) with flags \(frame.flags) and request \(frame.request) (both must be 0)")
        }
    }

    /// Seals a node ID and a signature under a handshake key.
    static func sealIdentity(_ id: [UInt8], _ signature: [UInt8], key: CipherKey, transcript: [UInt8]) -> [UInt8] {
        let box = try! XChaCha8Blake3SIV.seal(id + signature, key: key, nonce: zeroNonce, associatedData: transcript)
        return box.tag + box.ciphertext
    }

    static func openIdentity(_ sealed: ArraySlice<UInt8>, key: CipherKey, transcript: [UInt8], who: String) throws(WireError) -> (id: [UInt8], signature: [UInt8]) {
        let box = XChaCha8Blake3SIV.SealedBox(tag: Array(sealed.prefix(tagLength)), ciphertext: Array(sealed.dropFirst(tagLength)))
        guard let opened = try? XChaCha8Blake3SIV.open(box, key: key, nonce: zeroNonce, associatedData: transcript) else {
            throw .notAllowed("the \(who)'s sealed identity does not open")
        }
        return (Array(opened[0..<32]), Array(opened[32..<96]))
    }

    /// The client's side: `hello()`, then `respond(to:)` with the provider's hello, which checks
    /// the provider and returns the AUTH frame and the session keys.
    public struct Client {
        let identity: Curve25519.Signing.PrivateKey
        let expectedProvider: [UInt8]
        let nonce: [UInt8]
        let ephemeral: Curve25519.KeyAgreement.PrivateKey
        var helloFrame: WireFrame?

        /// - Parameters:
        ///   - identity: the client's long-term signing key (its node ID is the public half).
        ///   - expectedProvider: the provider's node ID (its Ed25519 public key).
        public init(identity: Curve25519.Signing.PrivateKey, expectedProvider: [UInt8]) {
            self.init(identity: identity, expectedProvider: expectedProvider, nonce: SecureRandom.bytes(32),
                      ephemeral: Curve25519.KeyAgreement.PrivateKey())
        }

        /// With given randomness: for the transcript test vector and the handshake fuzz target
        /// only (a real client must take ``init(identity:expectedProvider:)``'s fresh values).
        @_spi(Deterministic)
        public init(identity: Curve25519.Signing.PrivateKey, expectedProvider: [UInt8], nonce: [UInt8],
             ephemeral: Curve25519.KeyAgreement.PrivateKey) {
            self.identity = identity
            self.expectedProvider = expectedProvider
            self.nonce = nonce
            self.ephemeral = ephemeral
        }

        /// The first frame: magic, version, nonce and ephemeral key, in clear.
        public mutating func hello() -> WireFrame {
            var payload = WireHandshake.magic
            payload += [UInt8(WireHandshake.version & 0xFF), UInt8(WireHandshake.version >> 8)]
            payload += nonce + Array(ephemeral.publicKey.rawRepresentation)
            let frame = WireFrame(.hello, payload: payload)
            helloFrame = frame
            return frame
        }

        /// Checks the provider's hello (its sealed identity must be the expected provider's) and returns the client's sealed identity and the session keys.
        /// - Throws: ``WireError`` for a malformed hello, another provider, or a bad signature.
        public func respond(to providerHello: WireFrame) throws(WireError) -> (auth: WireFrame, keys: SessionKeys) {
            guard let helloFrame else { throw .badFrame("hello not sent") }
            let p = providerHello.payload
            guard providerHello.kind == .providerHello, p.count >= 2 else { throw .badFrame("provider hello of \(p.count) bytes") }
            try WireHandshake.checkHeader(providerHello, "provider hello")
            let version = UInt16(p[0]) | UInt16(p[1]) << 8
            guard version == WireHandshake.version else { throw .unsupportedVersion(version) }
            guard p.count == 2 + 32 + 32 + tagLength + sealedIdentity else { throw .badFrame("provider hello of \(p.count) bytes") }
            let h1 = WireHandshake.transcript("maimo wire v2 hello", [helloFrame.encoded(), Array(p[0..<66])])
            guard let peer = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: p[34..<66]),
                  let secret = try? ephemeral.sharedSecretFromKeyAgreement(with: peer) else {
                throw .badFrame("the provider's ephemeral key is invalid")
            }
            let (providerKey, clientKey) = WireHandshake.keyPair("maimo wire v2 handshake keys", secret: secret, transcript: h1)
            let (providerID, signature) = try WireHandshake.openIdentity(p[66...], key: providerKey, transcript: h1, who: "provider")
            guard providerID == expectedProvider else { throw .notAllowed("the provider is not the one expected") }
            guard let signer = try? Curve25519.Signing.PublicKey(rawRepresentation: providerID),
                  signer.isValidSignature(signature, for: h1) else {
                throw .notAllowed("the provider's signature does not verify")
            }
            let h2 = WireHandshake.transcript("maimo wire v2 auth", [h1, providerHello.encoded()])
            guard let mine = try? identity.signature(for: h2) else { throw .badFrame("signing failed") }
            let auth = WireFrame(.auth, payload: WireHandshake.sealIdentity(
                Array(identity.publicKey.rawRepresentation), Array(mine), key: clientKey, transcript: h2))
            let h3 = WireHandshake.transcript("maimo wire v2 session", [h2, auth.encoded()])
            return (auth, WireHandshake.sessionKeys(secret: secret, transcript: h3))
        }
    }

    /// The provider's side: `respond(to:)` a client hello (returns the provider hello), then
    /// `finish(with:)` the AUTH frame, which checks the client's signature and its node ID
    /// against `isAllowed`.
    public struct Provider {
        let identity: Curve25519.Signing.PrivateKey
        let nonce: [UInt8]
        let ephemeral: Curve25519.KeyAgreement.PrivateKey
        var secret: SharedSecret?
        var clientKey: CipherKey?
        var h2: [UInt8] = []

        /// The provider's side, with a fresh nonce and ephemeral key.
        public init(identity: Curve25519.Signing.PrivateKey) {
            self.init(identity: identity, nonce: SecureRandom.bytes(32), ephemeral: Curve25519.KeyAgreement.PrivateKey())
        }

        /// With given randomness: for the transcript test vector and the handshake fuzz target
        /// only (a real provider must take ``init(identity:)``'s fresh values).
        @_spi(Deterministic)
        public init(identity: Curve25519.Signing.PrivateKey, nonce: [UInt8], ephemeral: Curve25519.KeyAgreement.PrivateKey) {
            self.identity = identity
            self.nonce = nonce
            self.ephemeral = ephemeral
        }

        /// Answers a client's hello with the provider's hello (its identity sealed).
        /// - Throws: ``WireError`` for a malformed hello or an unsupported version.
        public mutating func respond(to clientHello: WireFrame) throws(WireError) -> WireFrame {
            let p = clientHello.payload
            guard clientHello.kind == .hello, p.count >= 10, Array(p[0..<8]) == WireHandshake.magic else { throw .badFrame("not a Maimo client") }
            try WireHandshake.checkHeader(clientHello, "client hello")
            let version = UInt16(p[8]) | UInt16(p[9]) << 8
            guard version == WireHandshake.version else { throw .unsupportedVersion(version) }
            guard p.count == 8 + 2 + 32 + 32 else { throw .badFrame("client hello of \(p.count) bytes") }
            guard let peer = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: p[42..<74]),
                  let secret = try? ephemeral.sharedSecretFromKeyAgreement(with: peer) else {
                throw .badFrame("the client's ephemeral key is invalid")
            }
            var clear = [UInt8(WireHandshake.version & 0xFF), UInt8(WireHandshake.version >> 8)]
            clear += nonce + Array(ephemeral.publicKey.rawRepresentation)
            let h1 = WireHandshake.transcript("maimo wire v2 hello", [clientHello.encoded(), clear])
            let (providerKey, clientKey) = WireHandshake.keyPair("maimo wire v2 handshake keys", secret: secret, transcript: h1)
            guard let signature = try? identity.signature(for: h1) else { throw .badFrame("signing failed") }
            let frame = WireFrame(.providerHello, payload: clear + WireHandshake.sealIdentity(
                Array(identity.publicKey.rawRepresentation), Array(signature), key: providerKey, transcript: h1))
            self.secret = secret
            self.clientKey = clientKey
            h2 = WireHandshake.transcript("maimo wire v2 auth", [h1, frame.encoded()])
            return frame
        }

        /// Checks the client's AUTH; returns the client's node ID and the session keys.
        public func finish(with auth: WireFrame, isAllowed: ([UInt8]) -> Bool) throws(WireError) -> (client: [UInt8], keys: SessionKeys) {
            guard let secret, let clientKey else { throw .badFrame("auth before hello") }
            guard auth.kind == .auth, auth.payload.count == tagLength + sealedIdentity else { throw .badFrame("auth of \(auth.payload.count) bytes") }
            try WireHandshake.checkHeader(auth, "auth")
            let (clientID, signature) = try WireHandshake.openIdentity(auth.payload[...], key: clientKey, transcript: h2, who: "client")
            guard let signer = try? Curve25519.Signing.PublicKey(rawRepresentation: clientID),
                  signer.isValidSignature(signature, for: h2) else {
                throw .notAllowed("the client's signature does not verify")
            }
            guard isAllowed(clientID) else { throw .notAllowed("this client is not on the provider's allow-list") }
            let h3 = WireHandshake.transcript("maimo wire v2 session", [h2, auth.encoded()])
            return (clientID, WireHandshake.sessionKeys(secret: secret, transcript: h3))
        }
    }
}
