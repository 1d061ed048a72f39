import MaimoCipher

/// One direction of a session's frame protection (Docs/Engine.md, "Frames"): every frame after
/// the handshake is sealed with XChaCha8-Blake3-SIV under the direction's key, its nonce the
/// frame's sequence number and its associated data the frame's length field. A frame that is
/// changed, replayed, reordered or dropped does not open. Sender and receiver each keep their
/// own copy and count in step.
public struct WireFrameCipher: Sendable {
    let key: CipherKey
    /// The sequence number of the next frame this side seals or opens.
    public private(set) var sequence: UInt64 = 0

    public static let tagLength = XChaCha8Blake3SIV.tagLength

    public init(key: CipherKey) { self.key = key }

    /// `"maimo wire frame"` (16 bytes) and the sequence number, little-endian.
    static func nonce(_ sequence: UInt64) -> [UInt8] {
        var nonce = Array("maimo wire frame".utf8)
        withUnsafeBytes(of: sequence.littleEndian) { nonce += $0 }
        return nonce
    }

    /// Encrypts `body` in place; returns the tag.
    mutating func seal(_ body: UnsafeMutableRawBufferPointer, lengthField: [UInt8]) -> [UInt8] {
        defer { sequence += 1 }
        // The nonce is 24 bytes: sealing cannot fail.
        return try! XChaCha8Blake3SIV.sealInPlace(body, key: key, nonce: Self.nonce(sequence), associatedData: lengthField)
    }

    /// Decrypts `body` in place when `tag` is right (otherwise the body is zeroed).
    mutating func open(_ body: UnsafeMutableRawBufferPointer, tag: [UInt8], lengthField: [UInt8]) throws(WireError) {
        do {
            try XChaCha8Blake3SIV.openInPlace(body, tag: tag, key: key, nonce: Self.nonce(sequence), associatedData: lengthField)
        } catch {
            throw .badMAC(sequence: sequence)
        }
        sequence += 1
    }
}
