import Dispatch
import Foundation
import Maimo
import MaimoWire
import NIOCore

/// Tells a session's handler, on its event loop, that the sweeper found it idle or trickling.
struct SessionOverdue {
    let reason: String
}

/// One connection: the handshake, then the client's requests, on a serial queue.
final class SessionHandler: ChannelInboundHandler, @unchecked Sendable {
    /// Whole frames, as ``WireFrameDecoder`` cut them.
    typealias InboundIn = [UInt8]

    let server: ProviderServer
    let queue = DispatchQueue(label: "maimo.provider.session")
    // Touched only on `queue` once the channel is active.
    private var parser = WireFrameParser()
    private var handshake: WireHandshake.Provider?
    private var session: ProviderSession?
    private var sender: ChannelFrameSender?
    private var peer = "unknown peer"
    private var clientName = ""
    private var closed = false
    private var admitted = false
    private var timer: Scheduled<Void>?
    let clock = SessionClock()
    /// A frame parsed while the client's request budget was spent (and its size), handled
    /// when it refills; meanwhile the frames after it wait unopened in `waiting` and nothing
    /// more is read.
    private var held: (frame: WireFrame, size: Int)?
    private var waiting: [[UInt8]] = []
    private var throttled = false

    init(server: ProviderServer) { self.server = server }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        peer = channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown peer"
        guard server.admit(channel, clock: clock) else {
            let busy = WireResponse.error(.busy, "too many connections").frame(request: 0)
            context.writeAndFlush(NIOAny(busy)).whenComplete { _ in channel.close(promise: nil) }
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

    /// Bytes of frames handed to the queue and not yet handled (held ones included): reading
    /// goes on ahead of the session's work up to `readAhead`, then waits for it (back-pressure).
    private let pendingLock = NSLock()
    private var pending = 0
    static let readAhead = 2 << 20

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        pendingLock.lock()
        pending += frame.count
        pendingLock.unlock()
        let channel = context.channel
        queue.async { self.consume(frame, channel) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        pendingLock.lock()
        let below = pending < Self.readAhead
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

    /// A length the decoder refused is answered (best effort) before the connection closes.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        let channel = context.channel
        if let wire = error as? WireError, admitted {
            queue.async {
                guard !self.closed, let sender = self.sender else { return }
                sender.sendError(.badFrame, self.session == nil ? "bad handshake" : "\(wire)", request: 0)
                self.close(channel, "\(wire)")
            }
        } else {
            context.close(promise: nil)
        }
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

    /// Opens and handles `raw` (or, with nil, the frame held for the budget) and whatever
    /// waits behind it, then asks for more bytes.
    private func consume(_ raw: [UInt8]?, _ channel: Channel) {
        if let raw { waiting.append(raw) }
        var handled = 0
        defer {
            pendingLock.lock()
            pending -= handled
            let below = pending < Self.readAhead
            pendingLock.unlock()
            // More only while the backlog is under the read-ahead (each read can bring several
            // frames, so asking after every consumed one would let it grow without bound), and
            // not while the client waits for its request budget.
            if below && !throttled && !closed { channel.read() }
        }
        guard !closed, let sender else {
            handled = waiting.reduce(0) { $0 + $1.count } + (held?.size ?? 0)
            waiting = []
            held = nil
            return
        }
        while !throttled {
            let frame: WireFrame, size: Int
            if let waiting = held {
                (frame, size) = waiting
                held = nil
            } else {
                guard !waiting.isEmpty else { break }
                let raw = waiting.removeFirst()
                size = raw.count
                do throws(WireError) {
                    frame = try Self.open(raw, with: &parser)
                } catch {
                    handled += size
                    if session == nil || error != .badMAC(sequence: parser.sequence) {
                        sender.sendError(.badFrame, session == nil ? "bad handshake" : "\(error)", request: 0)
                    }
                    close(channel, "\(error)")
                    return
                }
            }
            if session != nil {
                let wait = server.budget.take(for: session!.client)
                guard wait == 0 else {
                    held = (frame, size)
                    throttled = true
                    queue.asyncAfter(deadline: .now() + wait) {
                        self.throttled = false
                        self.consume(nil, channel)
                    }
                    return
                }
                handled += size
                guard session!.process(frame) else {
                    close(channel, session!.lastError ?? "protocol error")
                    return
                }
            } else {
                handled += size
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
        }
    }

    private static func open(_ raw: [UInt8], with parser: inout WireFrameParser) throws(WireError) -> WireFrame {
        var result: Result<WireFrame, WireError> = .failure(.badFrame("empty"))
        raw.withUnsafeBytes { bytes in
            do throws(WireError) { result = .success(try parser.frame(bytes)) } catch { result = .failure(error) }
        }
        return try result.get()
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
        parser.opener = ciphers.receive
        sender.startSealing(with: ciphers.send)
        clientName = String(NodeID(unchecked: result.client).description.prefix(16))
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
