import Foundation

/// What sends frames for a provider session (a NIO channel, or a blocking socket).
protocol FrameSender: AnyObject {
    func send(_ frame: WireFrame) throws(MaimoError)
}

extension FrameSender {
    /// Sends `ERROR code message` (best effort: the peer may be gone).
    func sendError(_ code: WireErrorCode, _ message: String, request: UInt32) {
        var payload = PayloadWriter()
        payload.u16(code.rawValue)
        payload.raw(Array(message.utf8.prefix(1024)))
        try? send(WireFrame(.error, flags: 1, request: request, payload: payload.bytes))
    }
}

/// The operations of one authenticated client (Docs/Engine.md, "Operations").
struct ProviderSession {
    let store: ProviderStore
    let client: [UInt8]
    let connection: any FrameSender
    var upload: ProviderStore.Upload?
    /// The request of an upload already answered — refused at `PUT` or midway (the disk is
    /// full), or stored already — whose `DATA` frames may still be on their way (a client sends
    /// a small blob without waiting for `READY`): they are dropped; the answer was given.
    var answeredUpload: UInt32?
    /// Why the session must end, after ``process(_:)`` returned false.
    var lastError: String?
    static let chunk = WireFrame.maxPayload - 8

    init(store: ProviderStore, client: [UInt8], connection: any FrameSender) {
        self.store = store
        self.client = client
        self.connection = connection
    }

    mutating func finish() {
        upload?.end()
        upload = nil
    }

    /// Handles one request. A refused request is answered with `ERROR` and the session goes on
    /// (true); a protocol violation or a failure to answer ends it (false, ``lastError`` says why).
    mutating func process(_ frame: WireFrame) -> Bool {
        do {
            try handle(frame)
            return true
        } catch {
            lastError = "\(error)"
            switch error {
            case let .refused(code, message):
                if code == .verifyFailed || code == .badFrame || code == .notAllowed { finish() }
                connection.sendError(code, message, request: frame.request)
                return code != .badFrame && code != .notAllowed
            case let .wire(wire):
                connection.sendError(.badFrame, "\(wire)", request: frame.request)
                return false
            case .io:
                return false
            default:
                connection.sendError(.internal, "internal error", request: frame.request)
                return false
            }
        }
    }

    mutating func handle(_ frame: WireFrame) throws(MaimoError) {
        // A client taken off the allow-list loses its live sessions at their next request.
        guard store.isAllowed(client) else { throw .refused(.notAllowed, "this client is no longer allowed here") }
        var reader = PayloadReader(frame.payload, "\(frame.kind)")
        let request = frame.request
        switch frame.kind {
        case .stat:
            try reader.endOrThrow()
            let usage = store.usage(for: client)
            var payload = PayloadWriter()
            payload.u64(usage.quota)
            payload.u64(usage.used)
            payload.u64(usage.blobs)
            try reply(.reply, payload.bytes, request)
        case .status:
            let root = try reader.read(32)
            try reader.endOrThrow()
            var payload = PayloadWriter()
            switch try store.status(client: client, root: root) {
            case .absent: payload.u8(0); payload.u64(0)
            case .partial(let n): payload.u8(1); payload.u64(n)
            case .complete(let n): payload.u8(2); payload.u64(n)
            }
            try reply(.reply, payload.bytes, request)
        case .put:
            let root = try reader.read(32), length = try reader.read64(), start = try reader.read64()
            try reader.endOrThrow()
            upload?.end()
            upload = nil
            answeredUpload = request
            // Stored already: nothing to send (a retried or repeated put).
            if case .complete(let stored) = try store.status(client: client, root: root) {
                guard stored == length else { throw .refused(.badFrame, "the blob is stored with another length") }
                try reply(.stored, [], request)
                return
            }
            let started = try store.beginUpload(client: client, root: root, length: length, start: start)
            answeredUpload = nil
            upload = started
            var payload = PayloadWriter()
            payload.u64(started.written)
            try reply(.ready, payload.bytes, request)
            if started.isComplete { try completeUpload(request) }
        case .data:
            if request == answeredUpload { return }
            guard let upload else { throw .refused(.badFrame, "data without a put") }
            let offset = try reader.read64()
            let bytes = reader.rest()
            guard !bytes.isEmpty else { throw .refused(.badFrame, "a DATA frame without bytes") }
            do {
                try upload.append(bytes, at: offset)
            } catch {
                if case .refused(.internal, _) = error {
                    upload.end()
                    self.upload = nil
                    answeredUpload = request
                }
                throw error
            }
            if upload.isComplete { try completeUpload(request) }
        case .get:
            let root = try reader.read(32), offset = try reader.read64(), length = try reader.read64()
            try reader.endOrThrow()
            var position = offset
            let end = offset &+ length < offset ? UInt64.max : offset + length
            repeat {
                let want = Int(min(UInt64(Self.chunk), end - position))
                let bytes = try store.read(client: client, root: root, offset: position, count: want)
                position += UInt64(bytes.count)
                let last = bytes.count < want || position == end
                try connection.send(WireFrame(.data, flags: last ? 1 : 0, request: request, payload: bytes))
                if last { break }
            } while true
        case .slice:
            let root = try reader.read(32), start = try reader.read64(), count = try reader.read64()
            try reader.endOrThrow()
            guard count <= 1 << 20 else { throw .refused(.badFrame, "slices are at most 1 MiB") }
            let slice = try store.slice(client: client, root: root, start: start, count: count)
            var offset = 0
            repeat {
                let n = min(Self.chunk, slice.count - offset)
                let last = offset + n == slice.count
                try connection.send(WireFrame(.data, flags: last ? 1 : 0, request: request, payload: Array(slice[offset..<(offset + n)])))
                offset += n
                if last { break }
            } while true
        case .delete:
            let root = try reader.read(32)
            try reader.endOrThrow()
            if let upload, upload.root == root { upload.end(); self.upload = nil }
            let existed = try store.delete(client: client, root: root)
            try reply(.ok, [existed ? 1 : 0], request)
        case .list:
            let after = try reader.read(32), limit = try reader.read32()
            try reader.endOrThrow()
            let entries = try store.list(client: client, after: after == [UInt8](repeating: 0, count: 32) ? [] : after,
                                         limit: Int(min(limit, 16384)))
            var payload = PayloadWriter()
            payload.u32(UInt32(entries.count))
            for (root, length) in entries { payload.raw(root); payload.u64(length) }
            try reply(.reply, payload.bytes, request)
        default:
            throw .wire(.badFrame("a client does not send \(frame.kind)"))
        }
    }

    private mutating func completeUpload(_ request: UInt32) throws(MaimoError) {
        guard let upload else { return }
        defer { upload.end(); self.upload = nil }
        try upload.commit()
        try reply(.stored, [], request)
    }

    private func reply(_ kind: WireFrame.Kind, _ payload: [UInt8], _ request: UInt32) throws(MaimoError) {
        try connection.send(WireFrame(kind, flags: 1, request: request, payload: payload))
    }
}

extension PayloadReader {
    mutating func read(_ count: Int) throws(MaimoError) -> [UInt8] {
        do { return try raw(count) } catch { throw .wire(error) }
    }
    mutating func read64() throws(MaimoError) -> UInt64 {
        do { return try u64() } catch { throw .wire(error) }
    }
    mutating func read32() throws(MaimoError) -> UInt32 {
        do { return try u32() } catch { throw .wire(error) }
    }
    func endOrThrow() throws(MaimoError) {
        do { try end() } catch { throw .wire(error) }
    }
}
