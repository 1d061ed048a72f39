import Foundation
import Maimo
import MaimoBlake3
import MaimoWire

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
            case .io, .network:
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
        let decoded: WireRequest
        do { decoded = try WireRequest(frame) } catch {
            // DATA of an upload already answered may be on its way; whatever it holds is dropped.
            if frame.kind == .data && frame.request == answeredUpload { return }
            throw .wire(error)
        }
        let request = frame.request
        switch decoded {
        case .stat:
            try connection.send(.usage(store.usage(for: client)), request: request)
        case let .status(root):
            try connection.send(.status(try store.status(client: client, root: root.bytes)), request: request)
        case let .put(digest, length, start):
            let root = digest.bytes
            upload?.end()
            upload = nil
            answeredUpload = request
            // Stored already: nothing to send (a retried or repeated put).
            if case .complete(let stored) = try store.status(client: client, root: root) {
                guard stored == length else { throw .refused(.badFrame, "the blob is stored with another length") }
                try connection.send(.stored, request: request)
                return
            }
            let started = try store.beginUpload(client: client, root: root, length: length, start: start)
            answeredUpload = nil
            upload = started
            try connection.send(.ready(offset: started.written), request: request)
            if started.isComplete { try completeUpload(request) }
        case let .data(offset, bytes):
            if request == answeredUpload { return }
            guard let upload else { throw .refused(.badFrame, "data without a put") }
            do {
                try upload.append(bytes, at: offset)
            } catch {
                if case .refused(let code, _) = error, code == .internal || code == .noSpace {
                    upload.end()
                    self.upload = nil
                    answeredUpload = request
                }
                throw error
            }
            if upload.isComplete { try completeUpload(request) }
        case let .get(root, offset, length):
            var position = offset
            let end = offset &+ length < offset ? UInt64.max : offset + length
            repeat {
                try connection.waitUntilWritable()
                let want = Int(min(UInt64(WireFrame.maxDataBytes), end - position))
                let bytes = try store.read(client: client, root: root.bytes, offset: position, count: want)
                position += UInt64(bytes.count)
                let last = bytes.count < want || position == end
                try connection.send(.data(bytes, last: last), request: request)
                if last { break }
            } while true
        case let .slice(root, start, count):
            guard count <= 1 << 20 else { throw .refused(.badFrame, "slices are at most 1 MiB") }
            let slice = try store.slice(client: client, root: root.bytes, start: start, count: count)
            var offset = 0
            repeat {
                let n = min(WireFrame.maxDataBytes, slice.count - offset)
                let last = offset + n == slice.count
                try connection.send(.data(Array(slice[offset..<(offset + n)]), last: last), request: request)
                offset += n
                if last { break }
            } while true
        case let .delete(digest):
            let root = digest.bytes
            if let upload, upload.root == root { upload.end(); self.upload = nil }
            let existed = try store.delete(client: client, root: root)
            try connection.send(.deleted(existed: existed), request: request)
        case let .list(after, limit):
            let entries = try store.list(client: client, after: after?.bytes ?? [], limit: Int(min(limit, 16384)))
            let listing = entries.compactMap { entry in (try? Blake3.Digest(bytes: entry.0)).map { WireResponse.ListEntry(root: $0, length: entry.1) } }
            try connection.send(.listing(listing), request: request)
        }
    }

    private mutating func completeUpload(_ request: UInt32) throws(MaimoError) {
        guard let upload else { return }
        defer { upload.end(); self.upload = nil }
        try upload.commit()
        try connection.send(.stored, request: request)
    }
}
