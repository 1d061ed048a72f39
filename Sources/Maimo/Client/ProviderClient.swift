#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MaimoBlake3
import MaimoTor
import MaimoWire

extension TorStream: WireSocketOwner {
    /// Closes the Tor stream under a session.
    public func closeStream() { close() }
}

/// An authenticated session with one provider: the client side of Docs/Engine.md's operations.
/// One thread uses a session at a time.
public final class ProviderClient {
    let connection: WireConnection
    /// The provider's node ID.
    public let provider: NodeID
    /// Quota and usage as the provider reported them at the handshake.
    public let welcome: ProviderUsage
    private var nextRequest: UInt32 = 1

    /// Connects and runs the handshake: the provider must prove `provider` as its identity.
    /// `network` says which sockets may be opened (plain TCP only to loopback by default).
    public init(address: PeerAddress, provider: NodeID, identity: NodeIdentity, tor: TorConfiguration? = nil,
                network: NetworkPolicy = .loopbackOrTor, timeout: Double = 30) throws(MaimoError) {
        let socket: WireSocket
        if address.isOnion {
            guard let tor else { throw .usage("\(address.host) is an onion address: Tor's SOCKS port is needed (--tor-socks)") }
            let onion: OnionAddress
            do { onion = try OnionAddress(address.host) } catch { throw .usage("\(address.host): \(error)") }
            guard onion.publicKey == provider.bytes else { throw .usage("\(address.host) is not the onion address of that provider") }
            do {
                let stream = try TorStream.connect(
                    to: onion.description, port: address.port, proxyHost: tor.socksHost, proxyPort: tor.socksPort, timeout: tor.timeout)
                socket = WireSocket(connected: stream.descriptor, peer: onion.description, owner: stream)
            } catch {
                throw .network("reaching \(address) through Tor: \(error)")
            }
        } else {
            guard network != .torOnly else {
                throw .usage("\(address) is not an onion address, and --tor-only opens no socket but Tor's")
            }
            socket = try WireSocket.connect(host: address.host, port: address.port, timeout: timeout,
                                            loopbackOnly: network == .loopbackOrTor)
        }
        socket.setTimeout(timeout)
        let connection = WireConnection(socket: socket)
        var handshake = WireHandshake.Client(identity: identity.signingKey, expectedProvider: provider.bytes)
        do {
            try connection.send(handshake.hello())
            let hello = try connection.receive()
            // Before the provider has proven who it is, an ERROR is anyone's word: a failure to
            // connect, not a refusal to believe (a client would not retry, or would report it).
            if hello.kind == .error { throw MaimoError.network("\(address) answered the handshake with an unauthenticated error (\(hello.refusal))") }
            let result: (auth: WireFrame, keys: SessionKeys)
            do { result = try handshake.respond(to: hello) } catch { throw MaimoError.wire(error) }
            try connection.send(result.auth)
            let ciphers = result.keys.client
            connection.encrypt(send: ciphers.send, receive: ciphers.receive)
            let welcome = try connection.receive()
            switch try Self.decode(welcome) {
            case let .welcome(usage): self.welcome = usage
            case let .error(code, message): throw MaimoError.refused(code, message)
            default: throw MaimoError.wire(.badFrame("expected welcome, got \(welcome.kind)"))
            }
        } catch let error as MaimoError {
            socket.close()
            // A provider that closes right after AUTH refused us without saying so (MACs not set up).
            throw error
        } catch {
            socket.close()
            throw .network("\(error)")
        }
        self.connection = connection
        self.provider = provider
    }

    /// Closes the session.
    public func close() { connection.close() }

    deinit { connection.close() }

    private func request(_ request: WireRequest) throws(MaimoError) -> UInt32 {
        let id = nextRequest
        nextRequest &+= 1
        try connection.send(request.frame(request: id))
        return id
    }

    static func decode(_ frame: WireFrame) throws(MaimoError) -> WireResponse {
        do { return try WireResponse(frame) } catch { throw .wire(error) }
    }

    /// The next reply to `request`: an `ERROR` becomes ``MaimoError/refused(_:_:)``.
    private func reply(_ request: UInt32) throws(MaimoError) -> WireResponse {
        let frame = try connection.receive()
        guard frame.request == request else { throw .wire(.badFrame("reply to request \(frame.request), expected \(request)")) }
        let response = try Self.decode(frame)
        if case let .error(code, message) = response { throw .refused(code, message) }
        return response
    }

    static func unexpected(_ response: WireResponse, _ wanted: String) -> MaimoError {
        .wire(.badFrame("expected \(wanted), got \(response.kind)"))
    }

    /// The client's quota, usage and blob count at the provider.
    public func stat() throws(MaimoError) -> ProviderUsage {
        let response = try reply(try request(.stat))
        guard case let .usage(usage) = response else { throw Self.unexpected(response, "usage") }
        return usage
    }

    /// Whether the provider holds the blob with `root`.
    public func status(_ root: Blake3.Digest) throws(MaimoError) -> BlobStatus {
        let response = try reply(try request(.status(root)))
        guard case let .status(status) = response else { throw Self.unexpected(response, "a blob status") }
        return status
    }

    /// Uploads the content in `descriptor` (`length` bytes) under its BLAKE3 hash `root`, resuming a
    /// partial upload the provider kept; returns when the provider verified and stored it.
    /// `progress` gets the bytes sent so far (including those already there); what it throws
    /// stops the upload, which a later `put` resumes.
    package func put(root: Blake3.Digest, from descriptor: Int32, length: UInt64,
                    progress: (UInt64) throws(MaimoError) -> Void = { _ in }) throws(MaimoError) {
        var buffer = [UInt8](repeating: 0, count: WireFrame.maxDataBytes)
        try put(root: root, length: length, progress: progress) { (offset, count) throws(MaimoError) -> ArraySlice<UInt8> in
            let n = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
            guard n > 0 else { throw .io("reading the blob to upload: \(n < 0 ? String(cString: strerror(errno)) : "it ended early")") }
            return buffer[..<n]
        }
    }

    /// Uploads `content` under its BLAKE3 hash `root`, resuming a partial upload the provider
    /// kept; returns when the provider verified and stored it. `progress` gets the bytes sent so
    /// far (including those already there); what it throws stops the upload, which a later `put`
    /// resumes.
    public func put(root: Blake3.Digest, content: [UInt8], progress: (UInt64) throws(MaimoError) -> Void = { _ in }) throws(MaimoError) {
        try put(root: root, length: UInt64(content.count), progress: progress) { (offset, count) throws(MaimoError) -> ArraySlice<UInt8> in
            content[Int(offset)..<(Int(offset) + count)]
        }
    }

    private func put(root: Blake3.Digest, length: UInt64, progress: (UInt64) throws(MaimoError) -> Void,
                     read: (UInt64, Int) throws(MaimoError) -> ArraySlice<UInt8>) throws(MaimoError) {
        if length <= Self.pipelinedPut {
            try putPipelined(root: root, length: length, progress: progress, read: read)
            return
        }
        // Start offset 2⁶⁴−1: the provider continues from what it has staged, or answers
        // STORED at once when it holds the blob (one round trip instead of STATUS then PUT).
        let id = try request(.put(root: root, length: length, start: .max))
        var offset: UInt64
        switch try reply(id) {
        case .stored:
            try progress(length)
            return
        case let .ready(from): offset = from
        case let other: throw Self.unexpected(other, "ready")
        }
        try progress(offset)
        while offset < length {
            let n = try sendData(id, at: offset, length: length, read: read)
            // A refusal midway (the provider's disk is full) ends the upload now, not after the
            // rest of the blob was sent for nothing.
            if let early = try connection.receiveIfReady() {
                guard early.request == id, early.kind == .error else { throw .wire(.badFrame("\(early.kind) for request \(early.request) during an upload")) }
                throw early.refusal
            }
            offset += UInt64(n)
            try progress(offset)
        }
        let stored = try reply(id)
        guard stored == .stored else { throw Self.unexpected(stored, "stored") }
    }

    /// Sends the `DATA` frame of the upload `id` at `offset` (at most a frame's worth, up to
    /// `length`); returns how many content bytes it carried. A provider that refused the upload
    /// may have closed the connection: its reason is thrown, not the broken pipe.
    private func sendData(_ id: UInt32, at offset: UInt64, length: UInt64,
                          read: (UInt64, Int) throws(MaimoError) -> ArraySlice<UInt8>) throws(MaimoError) -> Int {
        let piece = try read(offset, Int(min(UInt64(WireFrame.maxDataBytes), length - offset)))
        do {
            try connection.send(WireRequest.data(offset: offset, bytes: Array(piece)).frame(request: id))
        } catch {
            if let frame = try? connection.receiveIfReady(within: 1), frame.request == id, frame.kind == .error { throw frame.refusal }
            throw error
        }
        return piece.count
    }

    /// Blobs up to this long are sent without waiting for `READY` (index and snapshot blobs,
    /// small packs): one round trip instead of two, which over Tor is 0.17 s a blob. Longer ones
    /// ask first, so that an upload cut off resumes from what the provider staged.
    static let pipelinedPut: UInt64 = 1 << 20

    /// `PUT` from offset 0 and every `DATA` frame at once; then `READY` (or `STORED` if the
    /// provider holds the blob already, or `ERROR`: the provider drops the frames that follow
    /// such an answer), then `STORED`.
    private func putPipelined(root: Blake3.Digest, length: UInt64, progress: (UInt64) throws(MaimoError) -> Void,
                              read: (UInt64, Int) throws(MaimoError) -> ArraySlice<UInt8>) throws(MaimoError) {
        let id = try request(.put(root: root, length: length, start: 0))
        var offset: UInt64 = 0
        while offset < length { offset += UInt64(try sendData(id, at: offset, length: length, read: read)) }
        switch try reply(id) {
        case .stored: break
        case .ready:
            let stored = try reply(id)
            guard stored == .stored else { throw Self.unexpected(stored, "stored") }
        case let other: throw Self.unexpected(other, "ready")
        }
        try progress(length)
    }

    /// Streams `length` bytes of the blob's encoding from `offset` to `sink`, as they arrive.
    public func get(root: Blake3.Digest, offset: UInt64 = 0, length: UInt64 = .max,
                    to sink: ([UInt8]) throws(MaimoError) -> Void) throws(MaimoError) {
        let id = try request(.get(root: root, offset: offset, length: length))
        while true {
            let response = try reply(id)
            guard case let .data(bytes, last) = response else { throw Self.unexpected(response, "data") }
            try sink(bytes)
            if last { return }
        }
    }

    /// The Bao slice of `count` content bytes from `start` (unverified: check it with the root).
    public func slice(root: Blake3.Digest, start: UInt64, count: UInt64) throws(MaimoError) -> [UInt8] {
        var result: [UInt8] = []
        try slices(root: root, starts: [start], count: count, window: 1) { (_, slice) throws(MaimoError) in result = slice }
        return result
    }

    /// Slices of `count` bytes at each of `starts`, with up to `window` requests in flight;
    /// `body` gets each (unverified) slice in order.
    public func slices(root: Blake3.Digest, starts: [UInt64], count: UInt64, window: Int = 16,
                       _ body: (UInt64, [UInt8]) throws(MaimoError) -> Void) throws(MaimoError) {
        var sent = 0, received = 0
        var ids: [UInt32] = []
        while received < starts.count {
            while sent < starts.count && sent - received < max(1, window) {
                ids.append(try request(.slice(root: root, start: starts[sent], count: count)))
                sent += 1
            }
            var slice: [UInt8] = []
            while true {
                let response = try reply(ids[received])
                guard case let .data(bytes, last) = response else { throw Self.unexpected(response, "data") }
                slice += bytes
                guard slice.count <= 4 << 20 else { throw .wire(.badFrame("a slice longer than 4 MiB")) }
                if last { break }
            }
            try body(starts[received], slice)
            received += 1
        }
    }

    /// Deletes a blob; whether the provider had it.
    @discardableResult
    public func delete(root: Blake3.Digest) throws(MaimoError) -> Bool {
        let response = try reply(try request(.delete(root)))
        guard case let .deleted(existed) = response else { throw Self.unexpected(response, "deleted") }
        return existed
    }

    /// The client's blobs at this provider, in root order, after `after`.
    public func list(after: Blake3.Digest? = nil, limit: UInt32 = 4096) throws(MaimoError) -> [(root: Blake3.Digest, length: UInt64)] {
        let response = try reply(try request(.list(after: after, limit: limit)))
        guard case let .listing(entries) = response else { throw Self.unexpected(response, "a listing") }
        return entries.map { ($0.root, $0.length) }
    }
}
