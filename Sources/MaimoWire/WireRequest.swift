import MaimoBlake3

/// What a client asks of a provider (Docs/Engine.md, "Operations"): one encoder and one decoder,
/// used by both sides.
public enum WireRequest: Equatable, Sendable {
    /// Quota and usage.
    case stat
    /// What the provider holds under a root.
    case status(Blake3.Digest)
    /// An upload of `length` bytes whose BLAKE3 hash is `root`, from `start` (`UInt64.max`: from
    /// wherever the provider's staged upload stopped).
    case put(root: Blake3.Digest, length: UInt64, start: UInt64)
    /// Bytes of the upload in progress at `offset` (never empty).
    case data(offset: UInt64, bytes: [UInt8])
    /// `length` bytes of a blob's encoding from `offset` (`UInt64.max`: to the end).
    case get(root: Blake3.Digest, offset: UInt64, length: UInt64)
    /// The Bao slice of `count` content bytes from `start` (at most 1 MiB).
    case slice(root: Blake3.Digest, start: UInt64, count: UInt64)
    /// Deletes the blob with this root.
    case delete(Blake3.Digest)
    /// The client's blobs after `after` in root order, at most `limit`.
    case list(after: Blake3.Digest?, limit: UInt32)

    /// The frame type that carries this request.
    public var kind: WireFrame.Kind {
        switch self {
        case .stat: return .stat
        case .status: return .status
        case .put: return .put
        case .data: return .data
        case .get: return .get
        case .slice: return .slice
        case .delete: return .delete
        case .list: return .list
        }
    }

    /// The request as a frame with number `request`.
    public func frame(request: UInt32) -> WireFrame {
        var payload = PayloadWriter()
        switch self {
        case .stat: break
        case let .status(root), let .delete(root): payload.raw(root.bytes)
        case let .put(root, length, start): payload.raw(root.bytes); payload.u64(length); payload.u64(start)
        case let .data(offset, bytes):
            payload.bytes.reserveCapacity(8 + bytes.count)
            payload.u64(offset)
            payload.raw(bytes)
        case let .get(root, offset, length): payload.raw(root.bytes); payload.u64(offset); payload.u64(length)
        case let .slice(root, start, count): payload.raw(root.bytes); payload.u64(start); payload.u64(count)
        case let .list(after, limit): payload.raw(after?.bytes ?? Self.noRoot); payload.u32(limit)
        }
        return WireFrame(kind, request: request, payload: payload.bytes)
    }

    /// The request a frame carries; a frame of another type, or a payload of another layout,
    /// is a `badFrame`.
    public init(_ frame: WireFrame) throws(WireError) {
        var reader = PayloadReader(frame.payload, "\(frame.kind)")
        switch frame.kind {
        case .stat: self = .stat
        case .status: self = .status(try reader.digest())
        case .put: self = .put(root: try reader.digest(), length: try reader.u64(), start: try reader.u64())
        case .data:
            let offset = try reader.u64(), bytes = reader.rest()
            guard !bytes.isEmpty else { throw .badFrame("a DATA frame without bytes") }
            self = .data(offset: offset, bytes: bytes)
        case .get: self = .get(root: try reader.digest(), offset: try reader.u64(), length: try reader.u64())
        case .slice: self = .slice(root: try reader.digest(), start: try reader.u64(), count: try reader.u64())
        case .delete: self = .delete(try reader.digest())
        case .list:
            let after = try reader.raw(32), limit = try reader.u32()
            self = .list(after: after == Self.noRoot ? nil : try! Blake3.Digest(bytes: after), limit: limit)
        default: throw .badFrame("a client does not send \(frame.kind)")
        }
        try reader.end()
    }

    /// `list`'s "from the start": 32 zero bytes (no BLAKE3 output is expected to be).
    static let noRoot = [UInt8](repeating: 0, count: 32)
}
