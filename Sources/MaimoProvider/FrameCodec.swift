import MaimoWire
import NIOCore

/// The first stage of a session's pipeline: cuts whole frames (length field included) out of
/// the byte stream, on the event loop, and passes each on as bytes; the session opens them in
/// order on its queue. A length over the limit or under a header is refused as soon as its
/// four bytes arrive, so a peer cannot make the provider buffer more than one frame.
struct WireFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = [UInt8]

    /// Told when a whole frame arrived and when part of one waits (the sweeper ends sessions
    /// whose frame trickles in).
    let clock: SessionClock

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let available = buffer.readableBytes
        guard available >= 4, let field = buffer.getBytes(at: buffer.readerIndex, length: 4) else {
            clock.parsed(processed: false, buffered: available)
            return .needMoreData
        }
        let length = try WireFrameParser.bodyLength(field[0], field[1], field[2], field[3])
        guard available >= 4 + length, let frame = buffer.readBytes(length: 4 + length) else {
            clock.parsed(processed: false, buffered: available)
            return .needMoreData
        }
        clock.parsed(processed: true, buffered: buffer.readableBytes)
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A partial frame at the end of the stream is dropped with the connection.
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Tells a session's ``WireFrameEncoder`` to seal every later frame with `cipher`: sent down
/// the pipeline after the handshake's keys are known, in order with the frames around it.
struct StartSealing {
    let cipher: WireFrameCipher
}

/// The last stage before the socket: encodes outgoing frames, sealed once ``StartSealing``
/// came by, on the event loop, so that a session's queue reads the next piece of a reply from
/// disk while the previous frame is sealed and sent (a `GET` keeps two threads busy).
final class WireFrameEncoder: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = WireFrame
    typealias OutboundOut = ByteBuffer

    private var sealer: WireFrameCipher?

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        guard sealer != nil else {
            context.write(wrapOutboundOut(ByteBuffer(bytes: frame.encoded())), promise: promise)
            return
        }
        let body = frame.encodedBody()
        let length = body.count + WireFrameCipher.tagLength
        let field = WireFrame.lengthField(bodyLength: length)
        var out = context.channel.allocator.buffer(capacity: 4 + length)
        out.writeBytes(field)
        body.withUnsafeBytes { body in
            field.withUnsafeBytes { field in
                sealer!.seal(body, lengthField: field) { ciphertext, tag in
                    out.writeBytes(ciphertext)
                    out.writeBytes(tag)
                }
            }
        }
        context.write(wrapOutboundOut(out), promise: promise)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if let start = event as? StartSealing {
            sealer = start.cipher
            promise?.succeed(())
        } else {
            context.triggerUserOutboundEvent(event, promise: promise)
        }
    }
}
