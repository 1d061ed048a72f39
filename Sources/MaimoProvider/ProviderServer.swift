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
    /// Limits and timeouts of a server.
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
        /// Connections open at once, in their handshake or not; past it a newcomer is told `busy`.
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
        /// New connections accepted a second while all ``maxUnauthenticated`` handshake slots
        /// are taken (a flood of strangers), after a burst of a quarter second's worth; the rest
        /// wait in the kernel's accept queue. Unlimited while slots are free.
        public var acceptsPerSecondUnderPressure: Double = 200
        /// The defaults documented on each property.
        public init() {}
    }

    /// The blobs, allow-list and usage it serves.
    public let store: ProviderStore
    /// The provider's node identity (its node ID is the onion service's key).
    public let identity: NodeIdentity
    /// The limits it was started with.
    public let options: Options
    /// Where sessions are reported (one line each: peer, client, outcome); never keys or data.
    let log: @Sendable (String) -> Void
    /// Up to four event loops: frames are sealed on the loop of their connection.
    private let group = MultiThreadedEventLoopGroup(numberOfThreads: min(4, max(1, System.coreCount)))
    private let lock = NSLock()
    private var listener: Channel?
    /// Every admitted connection, its session's clock, and the client it authenticated as (nil:
    /// in its handshake).
    private var sessions: [ObjectIdentifier: (channel: Channel, clock: SessionClock, client: [UInt8]?, admitted: UInt64)] = [:]
    /// Connections admitted so far: the order in which they came.
    private var admissions: UInt64 = 0
    /// Admitted connections still in their handshake (those in `sessions` without a client).
    private var handshaking = 0
    /// The per-client request rate (``Options/maxRequestsPerSecond``).
    let budget: RequestBudget
    /// Ends sessions that are idle or trickle a frame (every second).
    private var sweeper: RepeatedTask?
    private var stopped = false
    /// Sessions whose queue has not finished (waited for by ``stop()``).
    let running = DispatchGroup()

    /// A server over `store`, not yet listening.
    /// - Parameters:
    /// - store: where blobs, the allow-list and usage live.
    /// - identity: the provider's node identity, proven in every handshake.
    /// - options: limits and timeouts.
    /// - log: receives one line per session event; never keys or data.
    public init(store: ProviderStore, identity: NodeIdentity, options: Options = Options(),
                log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.identity = identity
        self.options = options
        self.log = log
        budget = RequestBudget(requestsPerSecond: options.maxRequestsPerSecond)
    }

    /// Sets the process's allocator for a provider: blocks up to 2 MiB (a frame and its copies)
    /// come from the threads' heaps, which keep up to 8 MiB free at their tops; larger ones are
    /// mapped and handed back when freed. Call it once, early, in a provider process.
    ///
    /// Why these two numbers (`provider-load`, same session, same binary, 5 rounds, medians): with
    /// glibc's moving threshold, 50 sessions whose `GET` was never read held 818 MB of anonymous
    /// memory. Mapping every block above 256 KiB held them to 147 MB, but then each 1 MiB frame
    /// (sealed, copied by swift-crypto's `Data` API, queued) was a fresh mapping of zeroed pages:
    /// a retrieve ran at 134–155 MB/s and a `GET` in memory at 0.13 GB/s. With these thresholds
    /// retrieve runs at 205–241 MB/s alone and 182–192 MB/s under 200 hostile connections, the
    /// provider's CPU for the same unattacked rounds falls by a third (7.2–8.7 s from
    /// 11.8–13.4 s), and the attack's peak memory is 317–321 MB instead of 168–171 MB.
    public static func tuneAllocator() {
        Allocator.fixThresholds(mmapThreshold: 2 << 20, trimThreshold: 8 << 20)
    }

    /// How often a client's sessions were made to wait for its request budget.
    public var throttledRequests: Int { budget.pauseCount }

    /// Starts listening on `host:port` (0: any free port) and returns the bound port.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: UInt16 = 0) throws(MaimoError) -> UInt16 {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 128)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { [self] channel in
                let rate = options.acceptsPerSecondUnderPressure
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AcceptPacer(rate: rate, burst: max(1, rate / 4)) { [weak self] in self?.isUnderPressure ?? false })
                }
            }
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.autoRead, value: false)
            .childChannelOption(ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 64 << 10, maximum: 1 << 20))
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = SessionHandler(server: self)
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(WireFrameDecoder(clock: handler.clock)), WireFrameEncoder(), handler)
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
        var evicted: Channel?
        if !stopped && handshaking >= options.maxUnauthenticated,
           let oldest = sessions.lazy.filter({ $0.value.client == nil }).min(by: { $0.value.admitted < $1.value.admitted }) {
            evicted = oldest.value.channel
            sessions[oldest.key] = nil
            handshaking -= 1
        }
        let admitted = !stopped && sessions.count < options.maxConnections
        if admitted {
            admissions += 1
            handshaking += 1
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

    /// Whether every handshake slot is taken: new connections are then paced (``AcceptPacer``).
    var isUnderPressure: Bool {
        lock.lock()
        defer { lock.unlock() }
        return handshaking >= options.maxUnauthenticated
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
        if admitted.client == nil { handshaking -= 1 }
        sessions[ObjectIdentifier(channel)] = (channel, admitted.clock, client, admitted.admitted)
        return true
    }

    func release(_ channel: Channel) {
        lock.lock()
        if let removed = sessions.removeValue(forKey: ObjectIdentifier(channel)), removed.client == nil { handshaking -= 1 }
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
