import Foundation
import MaimoBlake3

/// Serves a ``ProviderStore`` to authenticated clients over TCP (or behind an onion service that
/// forwards to the listener): one thread per connection, up to `maxConnections`; a malformed or
/// unauthenticated session is closed and logged without secrets while the others go on.
public final class ProviderServer: @unchecked Sendable {
    public struct Options: Sendable {
        public var handshakeTimeout: Double = 30
        public var idleTimeout: Double = 300
        public var maxConnections = 64
        public init() {}
    }

    public let store: ProviderStore
    public let identity: NodeIdentity
    public let options: Options
    /// Where sessions are reported (one line each: peer, client, outcome); never keys or data.
    let log: @Sendable (String) -> Void
    private let lock = NSLock()
    private var listener: WireListener?
    private var sockets: [ObjectIdentifier: WireSocket] = [:]
    private var threads = 0
    private let finished = NSCondition()

    public init(store: ProviderStore, identity: NodeIdentity, options: Options = Options(),
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.identity = identity
        self.options = options
        self.log = log
    }

    /// Starts listening on `host:port` (0: any free port) and returns the bound port; the
    /// accept loop runs on its own thread until ``stop()``.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: UInt16 = 0) throws(MaimoError) -> UInt16 {
        let listener = try WireListener(host: host, port: port)
        lock.lock()
        self.listener = listener
        threads += 1
        lock.unlock()
        let thread = Thread { [self] in
            acceptLoop(listener)
            threadEnded()
        }
        thread.name = "maimo provider accept"
        thread.start()
        return listener.port
    }

    private func acceptLoop(_ listener: WireListener) {
        while let socket = listener.accept() {
            lock.lock()
            let busy = sockets.count >= options.maxConnections
            if !busy {
                sockets[ObjectIdentifier(socket)] = socket
                threads += 1
            }
            lock.unlock()
            if busy {
                let connection = WireConnection(socket: socket)
                connection.sendError(.busy, "too many connections", request: 0)
                connection.close()
                log("\(socket.peer): refused, too many connections")
                continue
            }
            let thread = Thread { [self] in
                serve(socket)
                lock.lock()
                sockets[ObjectIdentifier(socket)] = nil
                lock.unlock()
                socket.close()
                threadEnded()
            }
            thread.name = "maimo provider session"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func threadEnded() {
        finished.lock()
        lock.lock()
        threads -= 1
        lock.unlock()
        finished.broadcast()
        finished.unlock()
    }

    /// Stops accepting, ends every session and waits for their threads.
    public func stop() {
        lock.lock()
        let listener = self.listener
        self.listener = nil
        let open = Array(sockets.values)
        lock.unlock()
        listener?.close()
        for socket in open { socket.shutdown() }
        finished.lock()
        while true {
            lock.lock()
            let remaining = threads
            lock.unlock()
            if remaining == 0 { break }
            _ = finished.wait(until: Date().addingTimeInterval(0.1))
        }
        finished.unlock()
    }

    // MARK: A session

    func serve(_ socket: WireSocket) {
        let connection = WireConnection(socket: socket)
        socket.setTimeout(options.handshakeTimeout)
        var client: [UInt8] = []
        do {
            client = try handshake(connection)
        } catch {
            if case .wire(.notAllowed) = error {
                // Sent already (authenticated) when the client was not on the list.
            } else if case .wire = error {
                connection.sendError(.badFrame, "bad handshake", request: 0)
            }
            log("\(socket.peer): handshake refused: \(error)")
            return
        }
        socket.setTimeout(options.idleTimeout)
        let name = NodeID.text(client)
        log("\(socket.peer): client \(name.prefix(16))… connected")
        var session = ProviderSession(store: store, client: client, connection: connection)
        do {
            try session.run()
            log("\(socket.peer): client \(name.prefix(16))… disconnected")
        } catch {
            log("\(socket.peer): client \(name.prefix(16))… session ended: \(error)")
        }
        session.finish()
    }

    private func handshake(_ connection: WireConnection) throws(MaimoError) -> [UInt8] {
        var provider = WireHandshake.Provider(identity: identity.signingKey)
        let hello = try connection.receive()
        let reply: WireFrame
        do { reply = try provider.respond(to: hello) } catch { throw .wire(error) }
        try connection.send(reply)
        let auth = try connection.receive()
        let result: (client: [UInt8], keys: SessionKeys)
        do { result = try provider.finish(with: auth) { _ in true } } catch { throw .wire(error) }
        connection.authenticate(send: result.keys.providerToClient, receive: result.keys.clientToProvider)
        // The client proved its key: the refusal is authenticated, so it can trust it.
        guard store.isAllowed(result.client) else {
            connection.sendError(.notAllowed, "this client is not on the provider's allow-list", request: 0)
            throw .wire(.notAllowed("client \(NodeID.text(result.client).prefix(16))… is not on the allow-list"))
        }
        let usage = store.usage(for: result.client)
        var payload = PayloadWriter()
        payload.u64(usage.quota)
        payload.u64(usage.used)
        payload.u64(usage.blobs)
        try connection.send(WireFrame(.welcome, flags: 1, payload: payload.bytes))
        return result.client
    }
}

/// The operations of one authenticated client (Docs/Engine.md, "Operations").
struct ProviderSession {
    let store: ProviderStore
    let client: [UInt8]
    let connection: WireConnection
    var upload: ProviderStore.Upload?
    static let chunk = WireFrame.maxPayload - 8

    init(store: ProviderStore, client: [UInt8], connection: WireConnection) {
        self.store = store
        self.client = client
        self.connection = connection
    }

    mutating func finish() {
        upload?.end()
        upload = nil
    }

    /// Serves requests until the client leaves. A refused request is answered with `ERROR` and
    /// the session goes on; a protocol violation ends it.
    mutating func run() throws(MaimoError) {
        while true {
            let frame: WireFrame
            do {
                frame = try connection.receive()
            } catch {
                if case .io = error { return }
                throw error
            }
            do {
                try handle(frame)
            } catch {
                switch error {
                case let .refused(code, message):
                    if code == .verifyFailed || code == .badFrame { finish() }
                    connection.sendError(code, message, request: frame.request)
                    if code == .badFrame { throw error }
                case let .wire(wire):
                    connection.sendError(.badFrame, "\(wire)", request: frame.request)
                    throw error
                default:
                    connection.sendError(.internal, "internal error", request: frame.request)
                    throw error
                }
            }
        }
    }

    mutating func handle(_ frame: WireFrame) throws(MaimoError) {
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
            let started = try store.beginUpload(client: client, root: root, length: length, start: start)
            upload = started
            var payload = PayloadWriter()
            payload.u64(started.written)
            try reply(.ready, payload.bytes, request)
            if started.isComplete { try completeUpload(request) }
        case .data:
            guard let upload else { throw .refused(.badFrame, "data without a put") }
            let offset = try reader.read64()
            try upload.append(reader.rest(), at: offset)
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
