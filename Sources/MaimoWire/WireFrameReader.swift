/// Turns one whole frame's bytes (length field included) into a ``WireFrame``, opening it
/// under the session key once ``opener`` is set. The provider's NIO decoder cuts frames out of
/// its stream with ``bodyLength(_:_:_:_:)`` and hands each to a parser; ``WireFrameReader`` does both
/// for a blocking socket.
public struct WireFrameParser: Sendable {
    /// What opens incoming frames (set when the handshake completes).
    public var opener: WireFrameCipher?

    /// A parser for a connection's first frame (nothing sealed yet).
    public init() {}

    /// The sequence number the next sealed frame must carry (0 before the handshake ends).
    public var sequence: UInt64 { opener?.sequence ?? 0 }

    /// The most bytes a frame may hold after its length field, tag included.
    public static let maxBodyLength = WireFrame.headerSize - 4 + WireFrame.maxPayload + WireFrameCipher.tagLength

    /// The length field of a frame that starts with `header` (at least 4 bytes), checked
    /// against the limits whether or not frames are sealed yet: at least a header, at most a
    /// 1 MiB payload with its tag.
    public static func bodyLength(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) throws(WireError) -> Int {
        let length = Int(b0) << 24 | Int(b1) << 16 | Int(b2) << 8 | Int(b3)
        guard length >= WireFrame.headerSize - 4 else { throw .badFrame("length \(length) is shorter than a header") }
        guard length <= maxBodyLength else { throw .badFrame("length \(length) exceeds the 1 MiB limit") }
        return length
    }

    /// The frame in `raw` (its length field and exactly as many bytes as it gives). A sealed
    /// frame is opened and the opener moves on to the next sequence number; a frame that does
    /// not open, or whose header is not one of this version's, throws.
    public mutating func frame(_ raw: UnsafeRawBufferPointer) throws(WireError) -> WireFrame {
        guard raw.count >= 4 else { throw .badFrame("\(raw.count) bytes are not a frame") }
        let length = try Self.bodyLength(raw[0], raw[1], raw[2], raw[3])
        guard raw.count == 4 + length else { throw .badFrame("length \(length) for \(raw.count - 4) bytes") }
        guard var cipher = opener else {
            guard length <= WireFrame.headerSize - 4 + WireFrame.maxPayload else {
                throw .badFrame("length \(length) exceeds the 1 MiB limit")
            }
            return try Self.decode(UnsafeRawBufferPointer(rebasing: raw[4...]))
        }
        let tagLength = WireFrameCipher.tagLength
        guard length >= WireFrame.headerSize - 4 + tagLength else { throw .badFrame("length \(length) is shorter than a header") }
        let body = UnsafeRawBufferPointer(rebasing: raw[4..<(raw.count - tagLength)])
        let tag = UnsafeRawBufferPointer(rebasing: raw[(raw.count - tagLength)...])
        let frame = try cipher.open(body, tag: tag, lengthField: UnsafeRawBufferPointer(rebasing: raw[..<4])) {
            (plaintext) throws(WireError) in try Self.decode(plaintext)
        }
        opener = cipher
        return frame
    }

    /// A frame from its header and payload in clear.
    static func decode(_ body: UnsafeRawBufferPointer) throws(WireError) -> WireFrame {
        guard let kind = WireFrame.Kind(rawValue: body[0]) else { throw .badFrame("unknown frame type \(body[0])") }
        // Reserved (Docs/Engine.md): zero now, so that a later version can give it a meaning.
        guard body[2] == 0, body[3] == 0 else { throw .badFrame("reserved header bytes are not zero") }
        var request: UInt32 = 0
        for i in 0..<4 { request |= UInt32(body[4 + i]) << (8 * UInt32(i)) }
        return WireFrame(kind, flags: body[1], request: request, payload: copiedBytes(UnsafeRawBufferPointer(rebasing: body[8...])))
    }
}

/// `raw` as an array, copied with one `memcpy` (an array made from a slice of a raw buffer is
/// filled byte by byte: it halved the speed of a frame's open).
///
/// Empty input returns `[]` without that initialiser: Swift 6.3's writes the count even into the
/// shared empty-array storage, a data race ThreadSanitizer reports when two threads do it.
func copiedBytes(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
    guard let base = raw.baseAddress, raw.count > 0 else { return [] }
    return [UInt8](unsafeUninitializedCapacity: raw.count) { buffer, count in
        buffer.baseAddress!.update(from: base.assumingMemoryBound(to: UInt8.self), count: raw.count)
        count = raw.count
    }
}

/// Splits a byte stream into frames, enforcing the size limit and, once ``opener`` is set,
/// opening every frame under the session key in sequence.
public struct WireFrameReader: Sendable {
    /// Received bytes live in `buffer[start..<end]`; frames are taken by moving `start`, and
    /// the bytes left are moved to the front only when a receive needs the room (removing
    /// each frame from the front was quadratic in the frames a buffer held).
    private var buffer: [UInt8] = []
    private var start = 0
    private var end = 0
    private var parser = WireFrameParser()

    /// A reader with nothing buffered.
    public init() {}

    /// What opens incoming frames (set when the handshake completes).
    public var opener: WireFrameCipher? {
        get { parser.opener }
        set { parser.opener = newValue }
    }

    /// The sequence number the next sealed frame must carry (0 before the handshake ends).
    public var sequence: UInt64 { parser.sequence }

    /// Bytes received that do not make a whole frame yet.
    public var buffered: Int { end - start }

    /// Adds bytes received from the connection.
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { source in
            makeRoom(source.count)
            buffer.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[end...]).copyMemory(from: source) }
        }
        end += bytes.count
    }

    /// Receives straight into the buffer: `fill` gets room for at least `atLeast` bytes and
    /// returns how many it wrote there (0 at the end of the stream), which is returned.
    public mutating func receive<E: Error>(
        atLeast: Int = 256 << 10, _ fill: (UnsafeMutableRawBufferPointer) throws(E) -> Int
    ) throws(E) -> Int {
        makeRoom(atLeast)
        let end = self.end
        var result: Result<Int, E>?
        buffer.withUnsafeMutableBytes { raw in
            result = Result { () throws(E) -> Int in try fill(UnsafeMutableRawBufferPointer(rebasing: raw[end...])) }
        }
        let n = try result!.get()
        self.end += n
        return n
    }

    /// At least `count` free bytes after `end`: the unread bytes move to the front first, and
    /// the buffer grows only when that is not enough.
    private mutating func makeRoom(_ count: Int) {
        if start > 0 && buffer.count - end < count {
            if start < end {
                buffer.withUnsafeMutableBytes { raw in
                    let base = raw.baseAddress!
                    (base).copyMemory(from: base + start, byteCount: end - start)
                }
            }
            end -= start
            start = 0
        }
        if buffer.count - end < count {
            buffer += repeatElement(0, count: max(count - (buffer.count - end), buffer.count))
        }
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func next() throws(WireError) -> WireFrame? {
        guard end - start >= 4 else { return nil }
        let length = try WireFrameParser.bodyLength(buffer[start], buffer[start + 1], buffer[start + 2], buffer[start + 3])
        guard end - start >= 4 + length else { return nil }
        let frameStart = start
        var parser = self.parser
        var result: Result<WireFrame, WireError>?
        buffer.withUnsafeBytes { raw in
            result = Result { () throws(WireError) -> WireFrame in
                try parser.frame(UnsafeRawBufferPointer(rebasing: raw[frameStart..<(frameStart + 4 + length)]))
            }
        }
        let frame = try result!.get()
        self.parser = parser
        start += 4 + length
        if start == end { start = 0; end = 0 }
        return frame
    }
}
