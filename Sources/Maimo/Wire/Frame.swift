import MaimoBlake3

/// Errors of the wire protocol (Docs/Engine.md, "Wire protocol"). Messages never carry keys,
/// nonces or file names.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A frame longer than the limit, shorter than its header, or of an unknown type.
    case badFrame(String)
    /// A frame whose MAC does not match: tampered, replayed, reordered or dropped frames.
    case badMAC(sequence: UInt64)
    /// The peer is not who it should be (wrong node ID, bad signature, not on the allow-list).
    case notAllowed(String)
    /// The peer speaks another protocol version.
    case unsupportedVersion(UInt16)

    public var description: String {
        switch self {
        case let .badFrame(reason): return "malformed frame: \(reason)"
        case let .badMAC(sequence): return "frame \(sequence) failed authentication"
        case let .notAllowed(reason): return "not allowed: \(reason)"
        case let .unsupportedVersion(version): return "unsupported protocol version \(version)"
        }
    }
}

/// One frame: `u32 length (big-endian) | u8 type | u8 flags | u16 0 | u32 request | payload |
/// MAC (16, after the handshake)`.
public struct WireFrame: Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        case hello = 1, providerHello = 2, auth = 3, welcome = 4
        case stat = 16, status = 17, put = 18, data = 19, get = 20, slice = 21, delete = 22, list = 23
        case ready = 32, credit = 33, stored = 34, ok = 35, reply = 36
        case error = 255
    }

    public static let maxPayload = 1 << 20
    static let headerSize = 12
    static let macSize = 16

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

    /// The frame's bytes; with `key`, followed by the MAC over `sequence` and the frame.
    public func encoded(macKey key: Blake3.Key? = nil, sequence: UInt64 = 0) -> [UInt8] {
        let length = Self.headerSize - 4 + payload.count + (key == nil ? 0 : Self.macSize)
        var bytes = [UInt8]()
        bytes.reserveCapacity(4 + length)
        bytes += [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
        bytes += [kind.rawValue, flags, 0, 0]
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: request >> (8 * UInt32(i)))) }
        bytes += payload
        if let key { bytes += Self.mac(key: key, sequence: sequence, frame: bytes[4...]) }
        return bytes
    }

    static func mac(key: Blake3.Key, sequence: UInt64, frame: ArraySlice<UInt8>) -> [UInt8] {
        var hasher = Blake3.Hasher(key: key)
        withUnsafeBytes(of: sequence.littleEndian) { hasher.update($0) }
        frame.withUnsafeBytes { hasher.update($0) }
        return Array(hasher.finalize().bytes.prefix(macSize))
    }
}

/// Splits a byte stream into frames, enforcing the size limit and, once keys are set, checking
/// every frame's MAC and sequence number in constant time.
public struct WireFrameReader: Sendable {
    private var buffer: [UInt8] = []
    /// Where the unread bytes of `buffer` begin: frames are taken by moving this index, and
    /// the buffer is compacted only when half of it is read (removing each frame from the front
    /// was quadratic in the frames a buffer held).
    private var start = 0
    /// The key that authenticates incoming frames (set when the handshake completes).
    public var macKey: Blake3.Key?
    /// The sequence number the next authenticated frame must carry.
    public private(set) var sequence: UInt64 = 0

    public init() {}

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
        let macSize = macKey == nil ? 0 : WireFrame.macSize
        guard length >= WireFrame.headerSize - 4 + macSize else { throw .badFrame("length \(length) is shorter than a header") }
        guard length <= WireFrame.headerSize - 4 + WireFrame.maxPayload + macSize else {
            throw .badFrame("length \(length) exceeds the 1 MiB limit")
        }
        guard available >= 4 + length else { return nil }
        let frameStart = start + 4, frameEnd = start + 4 + length - macSize
        let frame = buffer[frameStart..<frameEnd]
        if let macKey {
            let expected = WireFrame.mac(key: macKey, sequence: sequence, frame: frame)
            var difference: UInt8 = 0
            for (a, b) in zip(expected, buffer[frameEnd..<(frameEnd + macSize)]) { difference |= a ^ b }
            guard difference == 0 else { throw .badMAC(sequence: sequence) }
            sequence += 1
        }
        guard let kind = WireFrame.Kind(rawValue: frame[frameStart]) else {
            throw .badFrame("unknown frame type \(frame[frameStart])")
        }
        let flags = frame[frameStart + 1]
        var request: UInt32 = 0
        for i in 0..<4 { request |= UInt32(frame[frameStart + 4 + i]) << (8 * UInt32(i)) }
        let payload = Array(frame[(frameStart + 8)...])
        start += 4 + length
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        return WireFrame(kind, flags: flags, request: request, payload: payload)
    }
}
