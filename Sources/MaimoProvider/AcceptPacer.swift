import NIOCore

/// Paces accepting new connections while every handshake slot is taken (a flood of strangers):
/// at most `rate` a second then, with a burst of `burst`; unlimited otherwise.
///
/// Each accepted connection costs the provider work (the socket, a session, its handshake timer,
/// the eviction of an older stranger) whether or not it ever says a word; strangers that
/// reconnect as soon as they are dropped made it spend a third of a core on them, taken from the
/// clients it serves. While paced, the server socket is not read: new connections wait in the
/// kernel's accept queue (and past it, their SYNs are retried by their own kernels), costing the
/// provider nothing. Authenticated sessions are not touched; a client's new connection waits its
/// turn in the queue (at most the backlog over `rate` seconds).
final class AcceptPacer: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    private let rate: Double
    private let burst: Double
    private let underPressure: @Sendable () -> Bool
    private var tokens: Double
    private var last = NIODeadline.now()
    private var paused = false

    init(rate: Double, burst: Double, underPressure: @escaping @Sendable () -> Bool) {
        self.rate = rate
        self.burst = burst
        self.underPressure = underPressure
        tokens = burst
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let now = NIODeadline.now()
        tokens = min(burst, tokens + Double((now - last).nanoseconds) / 1e9 * rate)
        last = now
        if underPressure() {
            tokens -= 1
            if tokens < 1 && !paused { pause(context) }
        }
        context.fireChannelRead(data)
    }

    /// Stops reading the server socket until one token has come back.
    private func pause(_ context: ChannelHandlerContext) {
        paused = true
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        let wait = TimeAmount.nanoseconds(Int64(max(1 - tokens, 0) / rate * 1e9) + 1)
        let channel = context.channel
        context.eventLoop.scheduleTask(in: wait) { [self] in
            paused = false
            guard channel.isActive else { return }
            channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        }
    }
}
