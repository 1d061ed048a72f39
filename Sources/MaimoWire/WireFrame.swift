/// One frame: `u32 length (big-endian) | u8 type | u8 flags | u16 0 | u32 request | payload`,
/// and after the handshake everything past the length field is encrypted and followed by a
/// 16-byte tag (``WireFrameCipher``): an observer sees frame lengths, nothing else.
public struct WireFrame: Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        case hello = 1, providerHello = 2, auth = 3, welcome = 4
        /// Requests (client to provider); `data` also carries replies.
        case stat = 16, status = 17, put = 18, data = 19, get = 20, slice = 21, delete = 22, list = 23
        /// Replies (provider to client).
        case ready = 32, stored = 34, deleted = 35, usage = 36, blobStatus = 37, listing = 38
        case error = 255
    }

    public static let maxPayload = 1 << 20
    /// The most bytes of a blob one `DATA` frame carries (its payload less the 8-byte offset).
    public static let maxDataBytes = maxPayload - 8
    static let headerSize = 12

    public var kind: Kind
    /// Bit 0: the last frame of a reply.
    public var flags: UInt8
    public var request: UInt32
    public var payload: [UInt8]

    public init(_ kind: Kind, flags: UInt8 = 0, request: UInt32 = 0, payload: [UInt8] = []) {
        self.kind = kind
        self.flags = flags
        self.request = request
        self.payload = payload
    }

    /// The frame's bytes in clear (the handshake's frames and a refusal before it).
    public func encoded() -> [UInt8] { encoded(tagLength: 0) }

    /// The frame's bytes sealed by `cipher`, which moves on to the next sequence number.
    public func sealed(with cipher: inout WireFrameCipher) -> [UInt8] {
        var bytes = encoded(tagLength: WireFrameCipher.tagLength)
        let lengthField = Array(bytes[0..<4])
        let tag = bytes.withUnsafeMutableBytes { raw in
            cipher.seal(UnsafeMutableRawBufferPointer(rebasing: raw[4..<(raw.count - WireFrameCipher.tagLength)]), lengthField: lengthField)
        }
        bytes.replaceSubrange((bytes.count - WireFrameCipher.tagLength)..., with: tag)
        return bytes
    }

    /// Header and payload, with room for a tag of `tagLength` bytes at the end.
    private func encoded(tagLength: Int) -> [UInt8] {
        let length = Self.headerSize - 4 + payload.count + tagLength
        var bytes = [UInt8]()
        bytes.reserveCapacity(4 + length)
        bytes += [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
        bytes += [kind.rawValue, flags, 0, 0]
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: request >> (8 * UInt32(i)))) }
        bytes += payload
        if tagLength > 0 { bytes += repeatElement(0, count: tagLength) }
        return bytes
    }
}

/// Splits a byte stream into frames, enforcing the size limit and, once ``opener`` is set,
/// opening every frame under the session key in sequence.
public struct WireFrameReader: Sendable {
    private var buffer: [UInt8] = []
    /// Where the unread bytes of `buffer` begin: frames are taken by moving this index, and
    /// the buffer is compacted only when half of it is read (removing each frame from the front
    /// was quadratic in the frames a buffer held).
    private var start = 0
    /// What opens incoming frames (set when the handshake completes).
    public var opener: WireFrameCipher?

    public init() {}

    /// The sequence number the next sealed frame must carry (0 before the handshake ends).
    public var sequence: UInt64 { opener?.sequence ?? 0 }

    /// Bytes received that do not make a whole frame yet.
    public var buffered: Int { buffer.count - start }

    public mutating func append(_ bytes: [UInt8]) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer += bytes
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws(WireError) -> WireFrame? {
        let available = buffer.count - start
        guard available >= 4 else { return nil }
        let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
        let tagLength = opener == nil ? 0 : WireFrameCipher.tagLength
        guard length >= WireFrame.headerSize - 4 + tagLength else { throw .badFrame("length \(length) is shorter than a header") }
        guard length <= WireFrame.headerSize - 4 + WireFrame.maxPayload + tagLength else {
            throw .badFrame("length \(length) exceeds the 1 MiB limit")
        }
        guard available >= 4 + length else { return nil }
        let frameStart = start + 4, frameEnd = start + 4 + length - tagLength
        if var cipher = opener {
            let lengthField = Array(buffer[start..<frameStart]), tag = Array(buffer[frameEnd..<(frameEnd + tagLength)])
            var failure: WireError?
            buffer.withUnsafeMutableBytes { raw in
                do throws(WireError) {
                    try cipher.open(UnsafeMutableRawBufferPointer(rebasing: raw[frameStart..<frameEnd]), tag: tag, lengthField: lengthField)
                } catch { failure = error }
            }
            if let failure { throw failure }
            opener = cipher
        }
        guard let kind = WireFrame.Kind(rawValue: buffer[frameStart]) else {
            throw .badFrame("unknown frame type \(buffer[frameStart])")
        }
        let flags = buffer[frameStart + 1]
        // Reserved (Docs/Engine.md): zero now, so that a later version can give it a meaning.
        guard buffer[frameStart + 2] == 0, buffer[frameStart + 3] == 0 else {
            throw .badFrame("reserved header bytes are not zero")
        }
        var request: UInt32 = 0
        for i in 0..<4 { request |= UInt32(buffer[frameStart + 4 + i]) << (8 * UInt32(i)) }
        let payload = Array(buffer[(frameStart + 8)..<frameEnd])
        start += 4 + length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return WireFrame(kind, flags: flags, request: request, payload: payload)
    }
}
