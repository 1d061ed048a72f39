/// One frame: `u32 length (big-endian) | u8 type | u8 flags | u16 0 | u32 request | payload`,
/// and after the handshake everything past the length field is encrypted and followed by a
/// 16-byte tag (``WireFrameCipher``): an observer sees frame lengths, nothing else.
public struct WireFrame: Equatable, Sendable {
    /// The frame types (Docs/Engine.md, "Frames").
    public enum Kind: UInt8, Sendable {
        /// The handshake (Docs/Engine.md, "Handshake"): the client's hello.
        case hello = 1
        /// The provider's hello, with its sealed identity.
        case providerHello = 2
        /// The client's sealed identity.
        case auth = 3
        /// The provider's acceptance, with the client's usage.
        case welcome = 4
        /// Requests (client to provider); `data` also carries replies.
        case stat = 16, status = 17, put = 18, data = 19, get = 20, slice = 21, delete = 22, list = 23
        /// Replies (provider to client).
        case ready = 32, stored = 34, deleted = 35, usage = 36, blobStatus = 37, listing = 38
        /// A refusal: a ``WireErrorCode`` and a message.
        case error = 255
    }

    /// The largest payload a frame may carry: 1 MiB.
    public static let maxPayload = 1 << 20
    /// The most bytes of a blob one `DATA` frame carries (its payload less the 8-byte offset).
    public static let maxDataBytes = maxPayload - 8
    static let headerSize = 12

    /// The frame's type.
    public var kind: Kind
    /// Bit 0: the last frame of a reply.
    public var flags: UInt8
    /// The request this frame belongs to (replies carry the request's number).
    public var request: UInt32
    /// The payload, decoded by ``WireRequest`` and ``WireResponse``.
    public var payload: [UInt8]

    /// A frame of `kind` with the given fields.
    public init(_ kind: Kind, flags: UInt8 = 0, request: UInt32 = 0, payload: [UInt8] = []) {
        self.kind = kind
        self.flags = flags
        self.request = request
        self.payload = payload
    }

    /// The frame's bytes in clear (the handshake's frames and a refusal before it).
    public func encoded() -> [UInt8] {
        Self.lengthField(bodyLength: Self.headerSize - 4 + payload.count) + encodedBody()
    }

    /// The frame's bytes sealed by `cipher`, which moves on to the next sequence number.
    public func sealed(with cipher: inout WireFrameCipher) -> [UInt8] {
        let body = encodedBody()
        let total = 4 + body.count + WireFrameCipher.tagLength
        let lengthField = Self.lengthField(bodyLength: total - 4)
        // Filled with memcpy: appending a raw buffer to an array goes byte by byte.
        return [UInt8](unsafeUninitializedCapacity: total) { out, count in
            let raw = UnsafeMutableRawBufferPointer(out)
            raw.copyBytes(from: lengthField)
            body.withUnsafeBytes { body in
                lengthField.withUnsafeBytes { field in
                    cipher.seal(body, lengthField: field) { ciphertext, tag in
                        UnsafeMutableRawBufferPointer(rebasing: raw[4..<(4 + ciphertext.count)]).copyMemory(from: ciphertext)
                        UnsafeMutableRawBufferPointer(rebasing: raw[(4 + ciphertext.count)...]).copyMemory(from: tag)
                    }
                }
            }
            count = total
        }
    }

    /// The big-endian length field of a frame with `bodyLength` bytes after it.
    public static func lengthField(bodyLength length: Int) -> [UInt8] {
        [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
    }

    /// Header and payload, without the length field: what a sealed frame encrypts.
    public func encodedBody() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.headerSize - 4 + payload.count)
        bytes += [kind.rawValue, flags, 0, 0]
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: request >> (8 * UInt32(i)))) }
        bytes += payload
        return bytes
    }
}
