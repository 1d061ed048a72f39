import Dispatch
import Foundation
import Maimo
import MaimoBlake3
import NIOCore
import NIOPosix
import MaimoWire

/// Serves a ``ProviderStore`` to authenticated clients over TCP (or behind an onion service that
/// forwards to the listener). Sockets are SwiftNIO's, on one event loop; each session's work
/// (handshake, disk, verification) runs on its own serial queue, and the next bytes are read
/// only when that work is done, so a fast client cannot fill the provider's memory. A malformed
/// or unauthenticated session is closed and logged without secrets while the others go on.
public final class ProviderServer: @unchecked Sendable {
    public struct Options: Sendable {
        /// Seconds a connection has to complete the handshake.
        public var handshakeTimeout: Double = 10
        /// Seconds a session may go without a whole frame in or out (bytes alone do not count).
        public var idleTimeout: Double = 300
        /// Seconds a frame may take to arrive once its first bytes have: a 1 MiB frame at
        /// 20 KB/s, far slower than Tor.
        public var frameTimeout: Double = 60
        /// Requests one client may make per second, over all its sessions (a second's worth
        /// may come at once); past it, its sessions wait instead of being refused. A proof of
        /// the demo's tree asks ~15,000 slices a second on loopback.
        public var maxRequestsPerSecond: Double = 20_000
        public var maxConnections = 256
        /// Connections still in their handshake at once (the oldest makes room for a new one):
        /// strangers cannot take every slot.
        public var maxUnauthenticated = 64
        /// Sessions one client may hold at once (a client pools up to 16 per peer, and more
        /// than one program of the same identity may run).
        public var maxSessionsPerClient = 64
        /// Seconds a reply may wait for a client that stopped reading before the session ends
        /// (a `GET` reader that stops would otherwise pin its slot forever).
        public var writeTimeout: Double = 60
        public init() {}
    }

    public let store: ProviderStore
    public let identity: NodeIdentity
    public let options: Options
    /// Where sessions are reported (one line each: peer, client, outcome); never keys or data.
    let log: @Sendable (String) -> Void
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let lock = NSLock()
    private var listener: Channel?
    /// Every admitted connection, its session's clock, and the client it authenticated as (nil:
    /// in its handshake).
    private var sessions: [ObjectIdentifier: (channel: Channel, clock: SessionClock, client: [UInt8]?, admitted: UInt64)] = [:]
    /// Connections admitted so far: the order in which they came.
    private var admissions: UInt64 = 0
    /// The per-client request rate (``Options/maxRequestsPerSecond``).
    let budget: RequestBudget
    /// Ends sessions that are idle or trickle a frame (every second).
    private var sweeper: RepeatedTask?
    private var stopped = false
    /// Sessions whose queue has not finished (waited for by ``stop()``).
    let running = DispatchGroup()

    public init(store: ProviderStore, identity: NodeIdentity, options: Options = Options(),
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.identity = identity
        self.options = options
        self.log = log
        budget = RequestBudget(requestsPerSecond: options.maxRequestsPerSecond)
    }

    /// Sets the process's allocator for a provider: frame-sized buffers (1 MiB) mapped and
    /// handed back when freed. With glibc's moving threshold they stayed in the threads' heaps:
    /// 50 sessions whose `GET` was never read held 818 MB of anonymous memory, 147 MB with this
    /// (`provider-load --kinds stall --hostile 50`). Call it once, early, in a provider process.
    public static func tuneAllocator() {
        Allocator.fixThresholds(mmapThreshold: 256 << 10)
    }

    /// How often a client's sessions were made to wait for its request budget.
    public var throttledRequests: Int { budget.pauseCount }

    /// Starts listening on `host:port` (0: any free port) and returns the bound port.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: UInt16 = 0) throws(MaimoError) -> UInt16 {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 128)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 64 << 10, maximum: 1 << 20))
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SessionHandler(server: self))
                }
            }
        do {
            let channel = try bootstrap.bind(host: host, port: Int(port)).wait()
            lock.lock()
            listener = channel
            sweeper = group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [weak self] _ in
                self?.sweep()
            }
            lock.unlock()
            return UInt16(channel.localAddress?.port ?? Int(port))
        } catch {
            throw .io("listening on \(host):\(port): \(error)")
        }
    }

    /// Registers a new connection; false when the server is full (or has as many connections
    /// in their handshake as it takes) or is stopping.
    ///
    /// When as many connections as may be are in their handshake, the oldest of them makes
    /// room for the new one rather than the new one being refused: strangers that connect and
    /// say nothing (or trickle) would otherwise hold every handshake slot, reconnecting as each
    /// timed out, and no client could get in; a client's handshake takes a few round trips, so
    /// it completes long before that many newer connections push it out.
    func admit(_ channel: Channel, clock: SessionClock) -> Bool {
        lock.lock()
        let handshaking = sessions.filter { $0.value.client == nil }
        var evicted: Channel?
        if !stopped && handshaking.count >= options.maxUnauthenticated,
           let oldest = handshaking.min(by: { $0.value.admitted < $1.value.admitted }) {
            evicted = oldest.value.channel
            sessions[oldest.key] = nil
        }
        let admitted = !stopped && sessions.count < options.maxConnections
        if admitted {
            admissions += 1
            sessions[ObjectIdentifier(channel)] = (channel, clock, nil, admissions)
        }
        lock.unlock()
        if let evicted {
            log("\(evicted.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown peer"): handshake refused: "
                + "evicted by a newer connection (\(options.maxUnauthenticated) in their handshake)")
            evicted.close(promise: nil)
        }
        return admitted
    }

    /// Closes the authenticated sessions that went idle or trickle a frame (the handshake has
    /// its own, shorter timer).
    private func sweep() {
        lock.lock()
        let open = sessions.values.filter { $0.client != nil }
        lock.unlock()
        for session in open {
            if let reason = session.clock.overdue(idle: options.idleTimeout, frame: options.frameTimeout) {
                session.channel.pipeline.fireUserInboundEventTriggered(SessionOverdue(reason: reason))
            }
        }
        budget.sweep()
    }

    /// Records that a connection authenticated as `client`; false when the client holds as
    /// many sessions as it may.
    func authenticated(_ channel: Channel, as client: [UInt8]) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let held = sessions.values.reduce(0) { $0 + ($1.client == client ? 1 : 0) }
        guard held < options.maxSessionsPerClient, let admitted = sessions[ObjectIdentifier(channel)] else { return false }
        sessions[ObjectIdentifier(channel)] = (channel, admitted.clock, client, admitted.admitted)
        return true
    }

    func release(_ channel: Channel) {
        lock.lock()
        sessions[ObjectIdentifier(channel)] = nil
        lock.unlock()
    }

    /// Stops accepting, ends every session, waits for their work to finish and releases the
    /// event loop. A stopped server does not start again (make a new one).
    public func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        let listener = self.listener
        let open = sessions.values.map(\.channel)
        let sweeper = self.sweeper
        lock.unlock()
        guard !wasStopped else { return }
        sweeper?.cancel()
        try? listener?.close().wait()
        for channel in open { try? channel.close().wait() }
        _ = running.wait(timeout: .now() + 30)
        try? group.syncShutdownGracefully()
    }
}

/// Sends frames on a channel from a session's queue, sealed once the keys are set. A send waits
/// for the socket only when the channel's outbound buffer is over its high-water mark, so
/// short replies flow without a thread hop each and long ones (`GET`) are held back.
final class ChannelFrameSender: FrameSender, @unchecked Sendable {
    let channel: Channel
    let writeTimeout: Double
    let clock: SessionClock
    var sealer: WireFrameCipher?

    init(channel: Channel, writeTimeout: Double, clock: SessionClock) {
        self.channel = channel
        self.writeTimeout = writeTimeout
        self.clock = clock
    }

    /// The last write queued while the channel was over its high-water mark.
    private var backlog: EventLoopFuture<Void>?

    func send(_ frame: WireFrame) throws(MaimoError) {
        guard channel.isActive else { throw .io("sending: the connection is closed") }
        try waitUntilWritable()
        let bytes = sealer != nil ? frame.sealed(with: &sealer!) : frame.encoded()
        // A long reply (GET) keeps its session alive while the client receives it.
        clock.touch()
        let written = channel.writeAndFlush(ByteBuffer(bytes: bytes))
        if !channel.isWritable { backlog = written }
    }

    /// Waits until what is queued went out (at most the write timeout: a client that stopped
    /// reading loses its session). Called before a reply's next piece is read from disk, so that
    /// a stalled reader pins one queued frame, not the buffers of the next one too.
    func waitUntilWritable() throws(MaimoError) {
        guard let written = backlog else { return }
        backlog = nil
        guard !channel.isWritable else { return }
        let channel = self.channel
        let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(writeTimeout * 1000))) { channel.close(promise: nil) }
        written.whenComplete { _ in deadline.cancel() }
        do {
            try written.wait()
        } catch {
            throw .io("sending: the client did not read for \(writeTimeout) s, or left (\(error))")
        }
    }
}

/// Tells a session's handler, on its event loop, that the sweeper found it idle or trickling.
struct SessionOverdue {
    let reason: String
}

/// One connection: the handshake, then the client's requests, on a serial queue.
final class SessionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    let server: ProviderServer
    let queue = DispatchQueue(label: "maimo.provider.session")
    // Touched only on `queue` once the channel is active.
    private var reader = WireFrameReader()
    private var handshake: WireHandshake.Provider?
    private var session: ProviderSession?
    private var sender: ChannelFrameSender?
    private var peer = "unknown peer"
    private var clientName = ""
    private var closed = false
    private var admitted = false
    private var timer: Scheduled<Void>?
    let clock = SessionClock()
    /// A frame parsed while the client's request budget was spent, handled when it refills;
    /// meanwhile nothing more is parsed or read.
    private var held: WireFrame?
    private var throttled = false

    init(server: ProviderServer) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        peer = channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown peer"
        guard server.admit(channel, clock: clock) else {
            let busy = WireResponse.error(.busy, "too many connections").frame(request: 0)
            context.writeAndFlush(NIOAny(ByteBuffer(bytes: busy.encoded()))).whenComplete { _ in channel.close(promise: nil) }
            server.log("\(peer): refused, too many connections")
            return
        }
        admitted = true
        server.running.enter()
        sender = ChannelFrameSender(channel: channel, writeTimeout: server.options.writeTimeout, clock: clock)
        let peer = self.peer, log = server.log
        timer = context.eventLoop.scheduleTask(in: .milliseconds(Int64(server.options.handshakeTimeout * 1000))) {
            log("\(peer): handshake refused: timed out")
            channel.close(promise: nil)
        }
        context.read()
        context.fireChannelActive()
    }

    /// Bytes handed to the queue and not yet parsed, and bytes parsed into no whole frame yet
    /// (or held while the client waits for its budget): reading goes on ahead of the session's
    /// work up to `readAhead`, then waits for it (back-pressure).
    private let pendingLock = NSLock()
    private var pending = 0
    private var parked = 0
    static let readAhead = 2 << 20

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        pendingLock.lock()
        pending += bytes.count
        pendingLock.unlock()
        let channel = context.channel
        queue.async { self.consume(bytes, channel) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        pendingLock.lock()
        let below = pending + parked < Self.readAhead
        pendingLock.unlock()
        if below { context.read() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let overdue = event as? SessionOverdue {
            queue.async { self.end(overdue.reason) }
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        guard admitted else { return }
        server.release(context.channel)
        queue.async {
            self.end(nil)
            self.server.running.leave()
        }
        context.fireChannelInactive()
    }

    /// Ends the session once (on `queue`): closes a pending upload and logs how it ended.
    private func end(_ reason: String?) {
        guard !closed else { return }
        closed = true
        session?.finish()
        if session != nil {
            server.log("\(peer): client \(clientName)… " + (reason.map { "session ended: \($0)" } ?? "disconnected"))
        } else if let reason {
            server.log("\(peer): handshake refused: \(reason)")
        }
    }

    private func close(_ channel: Channel, _ reason: String) {
        end(reason)
        channel.close(promise: nil)
    }

    /// Parses and handles every complete frame, then asks for more bytes.
    private func consume(_ bytes: [UInt8], _ channel: Channel) {
        pendingLock.lock()
        pending -= bytes.count
        pendingLock.unlock()
        guard !closed, let sender else { return }
        if !bytes.isEmpty { reader.append(bytes) }
        var processed = false
        defer {
            clock.parsed(processed: processed, buffered: reader.buffered + (held == nil ? 0 : 1))
            pendingLock.lock()
            parked = reader.buffered + (held?.payload.count ?? 0)
            let below = pending + parked < Self.readAhead
            pendingLock.unlock()
            // More only while the backlog is under the read-ahead (each read can bring several
            // buffers, so asking after every consumed one would let it grow without bound), and
            // not while the client waits for its request budget.
            if below && !throttled && !closed { channel.read() }
        }
        while !throttled {
            let frame: WireFrame
            if let waiting = held {
                frame = waiting
                held = nil
            } else {
                do {
                    guard let next = try reader.next() else { break }
                    frame = next
                } catch {
                    if session == nil || error != .badMAC(sequence: reader.sequence) {
                        sender.sendError(.badFrame, session == nil ? "bad handshake" : "\(error)", request: 0)
                    }
                    close(channel, "\(error)")
                    return
                }
            }
            if session != nil {
                let wait = server.budget.take(for: session!.client)
                guard wait == 0 else {
                    held = frame
                    throttled = true
                    queue.asyncAfter(deadline: .now() + wait) {
                        self.throttled = false
                        self.consume([], channel)
                    }
                    return
                }
                guard session!.process(frame) else {
                    close(channel, session!.lastError ?? "protocol error")
                    return
                }
            } else {
                do {
                    try handshakeStep(frame, sender)
                } catch {
                    if case .wire(.notAllowed) = error {
                        // Sent already, authenticated, when the client was not on the list.
                    } else {
                        sender.sendError(.badFrame, "bad handshake", request: 0)
                    }
                    close(channel, "\(error)")
                    return
                }
            }
            processed = true
        }
    }

    private func handshakeStep(_ frame: WireFrame, _ sender: ChannelFrameSender) throws(MaimoError) {
        // The ephemeral key is made when a HELLO arrives, not when a connection opens: a
        // stranger that connects and says nothing (or garbage) costs no X25519 key.
        if handshake == nil && frame.kind == .hello { handshake = WireHandshake.Provider(identity: server.identity.signingKey) }
        guard var provider = handshake else { throw .wire(.badFrame("handshake state")) }
        if frame.kind == .hello {
            let reply: WireFrame
            do { reply = try provider.respond(to: frame) } catch { throw .wire(error) }
            handshake = provider
            try sender.send(reply)
            return
        }
        let result: (client: [UInt8], keys: SessionKeys)
        do { result = try provider.finish(with: frame) { _ in true } } catch { throw .wire(error) }
        let ciphers = result.keys.provider
        reader.opener = ciphers.receive
        sender.sealer = ciphers.send
        clientName = String(NodeID.text(result.client).prefix(16))
        // The client proved its key: the refusal is authenticated, so it can trust it.
        guard server.store.isAllowed(result.client) else {
            sender.sendError(.notAllowed, "this client is not on the provider's allow-list", request: 0)
            throw .wire(.notAllowed("client \(clientName)… is not on the allow-list"))
        }
        guard server.authenticated(sender.channel, as: result.client) else {
            sender.sendError(.busy, "this client holds \(server.options.maxSessionsPerClient) sessions already", request: 0)
            throw .wire(.notAllowed("client \(clientName)… holds as many sessions as it may"))
        }
        timer?.cancel()
        try sender.send(.welcome(server.store.usage(for: result.client)), request: 0)
        session = ProviderSession(store: server.store, client: result.client, connection: sender)
        handshake = nil
        server.log("\(peer): client \(clientName)… connected")
    }
}
