import Foundation
import Maimo
import MaimoWire
import NIOCore

/// Sends frames on a channel from a session's queue. Frames are encoded and, after the
/// handshake, sealed by the pipeline's ``WireFrameEncoder`` on the event loop. At most
/// ``maxBytesInFlight`` of frames are queued and not yet written to the socket: past that a
/// send waits (at most the write timeout, after which the session ends), so a reply's next
/// piece is read from disk while the previous one is sealed and sent, and a client that stops
/// reading pins two frames, not a whole blob.
final class ChannelFrameSender: FrameSender, @unchecked Sendable {
    let channel: Channel
    let writeTimeout: Double
    let clock: SessionClock

    static let maxBytesInFlight = 3 << 20
    private let flight = NSCondition()
    private var bytesInFlight = 0

    init(channel: Channel, writeTimeout: Double, clock: SessionClock) {
        self.channel = channel
        self.writeTimeout = writeTimeout
        self.clock = clock
    }

    /// Seals every frame sent after this one with `cipher`.
    func startSealing(with cipher: WireFrameCipher) {
        channel.triggerUserOutboundEvent(StartSealing(cipher: cipher), promise: nil)
    }

    func send(_ frame: WireFrame) throws(MaimoError) {
        guard channel.isActive else { throw .network("sending: the connection is closed") }
        let size = frame.payload.count + 32
        try waitForRoom(size)
        // A long reply (GET) keeps its session alive while the client receives it.
        clock.touch()
        let flight = self.flight
        channel.writeAndFlush(frame).whenComplete { [self] _ in
            flight.lock()
            bytesInFlight -= size
            flight.broadcast()
            flight.unlock()
        }
    }

    /// Waits until a frame of a megabyte fits in what may be in flight.
    func waitUntilWritable() throws(MaimoError) {
        try waitForRoom(WireFrame.maxPayload, reserve: false)
    }

    /// Waits until `size` more bytes fit (or nothing is in flight) and, when `reserve`,
    /// counts them as in flight.
    private func waitForRoom(_ size: Int, reserve: Bool = true) throws(MaimoError) {
        let deadline = Date(timeIntervalSinceNow: writeTimeout)
        flight.lock()
        while bytesInFlight > 0 && bytesInFlight + size > Self.maxBytesInFlight {
            if !flight.wait(until: deadline) && bytesInFlight > 0 && bytesInFlight + size > Self.maxBytesInFlight {
                flight.unlock()
                channel.close(promise: nil)
                throw .network("sending: the client did not read for \(writeTimeout) s")
            }
        }
        if reserve { bytesInFlight += size }
        flight.unlock()
        guard channel.isActive else { throw .network("sending: the connection is closed") }
    }
}
