import MaimoBlake3

/// What a provider answers (Docs/Engine.md, "Operations"): one encoder and one decoder, used
/// by both sides. Every reply is one frame but `data`, whose last frame has flag bit 0 set.
public enum WireResponse: Equatable, Sendable {
    /// The end of the handshake: the client's quota and usage.
    case welcome(ProviderUsage)
    /// The answer to `STAT`.
    case usage(ProviderUsage)
    /// The answer to `STATUS`.
    case status(BlobStatus)
    /// An upload may go on from `offset`.
    case ready(offset: UInt64)
    /// The upload was verified and stored (or was stored already).
    case stored
    /// The answer to `DELETE`: whether the provider held the blob.
    case deleted(existed: Bool)
    /// The answer to `LIST`: roots and their encoding lengths, in root order.
    case listing([ListEntry])
    /// Bytes of a `GET` or `SLICE` reply; `last` on its final frame.
    case data([UInt8], last: Bool)
    /// A refusal, with a message that is printable text (control and format characters of
    /// the peer's text are shown as `?` when decoded).
    case error(WireErrorCode, String)

    /// One blob in a `LIST` reply.
    public struct ListEntry: Equatable, Sendable {
        /// The blob's Bao root.
        public var root: Blake3.Digest
        /// The length of its encoding in bytes.
        public var length: UInt64
        /// An entry for a blob.
        public init(root: Blake3.Digest, length: UInt64) {
            self.root = root
            self.length = length
        }
    }

    /// The frame type that carries this reply.
    public var kind: WireFrame.Kind {
        switch self {
        case .welcome: return .welcome
        case .usage: return .usage
        case .status: return .blobStatus
        case .ready: return .ready
        case .stored: return .stored
        case .deleted: return .deleted
        case .listing: return .listing
        case .data: return .data
        case .error: return .error
        }
    }

    /// Messages are cut to this many bytes of UTF-8.
    public static let maxMessage = 1024

    /// The reply as a frame answering request number `request`.
    public func frame(request: UInt32) -> WireFrame {
        var payload = PayloadWriter()
        var last = true
        switch self {
        case let .welcome(usage), let .usage(usage): payload.u64(usage.quota); payload.u64(usage.used); payload.u64(usage.blobs)
        case let .status(status):
            switch status {
            case .absent: payload.u8(0); payload.u64(0)
            case .partial(let n): payload.u8(1); payload.u64(n)
            case .complete(let n): payload.u8(2); payload.u64(n)
            }
        case let .ready(offset): payload.u64(offset)
        case .stored: break
        case let .deleted(existed): payload.u8(existed ? 1 : 0)
        case let .listing(entries):
            payload.u32(UInt32(entries.count))
            for entry in entries { payload.raw(entry.root.bytes); payload.u64(entry.length) }
        case let .data(bytes, isLast):
            payload.bytes = bytes
            last = isLast
        case let .error(code, message):
            payload.u16(code.rawValue)
            payload.raw(Array(Self.clipped(message).utf8))
        }
        return WireFrame(kind, flags: last ? 1 : 0, request: request, payload: payload.bytes)
    }

    /// The reply a frame carries; a frame of another type, or a payload of another layout, is
    /// a `badFrame`.
    public init(_ frame: WireFrame) throws(WireError) {
        var reader = PayloadReader(frame.payload, "\(frame.kind)")
        switch frame.kind {
        case .welcome: self = .welcome(try reader.usage())
        case .usage: self = .usage(try reader.usage())
        case .blobStatus:
            let kind = try reader.u8(), length = try reader.u64()
            switch kind {
            case 0 where length == 0: self = .status(.absent)
            case 1: self = .status(.partial(length))
            case 2: self = .status(.complete(length))
            default: throw .badFrame("status \(kind) with length \(length)")
            }
        case .ready: self = .ready(offset: try reader.u64())
        case .stored: self = .stored
        case .deleted:
            let existed = try reader.u8()
            guard existed <= 1 else { throw .badFrame("deleted \(existed)") }
            self = .deleted(existed: existed == 1)
        case .listing:
            let count = try reader.u32()
            guard UInt64(count) * 40 == UInt64(frame.payload.count - 4) else { throw .badFrame("a listing of \(count) entries in \(frame.payload.count) bytes") }
            var entries: [ListEntry] = []
            entries.reserveCapacity(Int(count))
            for _ in 0..<count { entries.append(ListEntry(root: try reader.digest(), length: try reader.u64())) }
            self = .listing(entries)
        case .data: self = .data(reader.rest(), last: frame.flags & 1 != 0)
        case .error:
            let raw = try reader.u16()
            // Clipped again after decoding: each invalid byte became U+FFFD, three bytes long.
            let message = Self.clipped(Self.printable(String(decoding: reader.rest().prefix(Self.maxMessage), as: UTF8.self)))
            self = .error(WireErrorCode(rawValue: raw) ?? .internal, message)
        default: throw .badFrame("a provider does not send \(frame.kind)")
        }
        try reader.end()
    }

    /// The longest prefix of `text`, whole Unicode scalars, that is at most ``maxMessage`` bytes
    /// of UTF-8: what an error frame carries, so that a message decoded from a frame encodes to
    /// a frame that decodes to the same message (cut in the middle of a scalar, it would not).
    public static func clipped(_ text: String) -> String {
        guard text.utf8.count > maxMessage else { return text }
        var bytes = 0
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            guard bytes <= maxMessage else { break }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// Text from a peer without control and format characters (escape sequences that would
    /// drive the terminal, bidirectional overrides that would disguise it), each shown as `?`.
    public static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned: return "?"
            default: return scalar
            }
        }))
    }
}

extension PayloadReader {
    mutating func digest() throws(WireError) -> Blake3.Digest {
        let bytes = try take(32)
        return try! Blake3.Digest(bytes: bytes)
    }

    mutating func usage() throws(WireError) -> ProviderUsage {
        ProviderUsage(quota: try u64(), used: try u64(), blobs: try u64())
    }
}
