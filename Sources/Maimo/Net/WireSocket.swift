#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A connected, blocking stream socket with send and receive timeouts: a TCP connection or the
/// descriptor of a Tor stream (whose owner it keeps alive).
public final class WireSocket: @unchecked Sendable {
    /// The socket descriptor (package-internal: importers never hold a raw descriptor).
    package let descriptor: Int32
    /// Where the other end is, for messages and logs ("127.0.0.1:50123", an onion address).
    public let peer: String
    private let owner: AnyObject?
    private let lock = NSLock()
    private var closed = false

    init(descriptor: Int32, peer: String, owner: AnyObject? = nil) {
        self.descriptor = descriptor
        self.peer = peer
        self.owner = owner
        var one: Int32 = 1
        setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Wraps a descriptor someone else connected (a Tor stream); `owner` is kept until close.
    public convenience init(connected descriptor: Int32, peer: String, owner: AnyObject) {
        self.init(descriptor: descriptor, peer: peer, owner: owner)
    }

    /// Connects to `host` (a name or an IPv4/IPv6 literal) and `port`, trying each address. With
    /// `loopbackOnly` an address off this machine is not tried (and named in the error).
    public static func connect(host: String, port: UInt16, timeout: Double = 30, loopbackOnly: Bool = false) throws(MaimoError) -> WireSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .network("resolving \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var lastError: Int32 = ECONNREFUSED
        var entry: UnsafeMutablePointer<addrinfo>? = first
        var offMachine = false, tried = false
        while let info = entry {
            entry = info.pointee.ai_next
            if loopbackOnly && !isLoopback(info.pointee.ai_addr) { offMachine = true; continue }
            tried = true
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            let socket = WireSocket(descriptor: fd, peer: "\(host):\(port)")
            socket.setTimeout(timeout)
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return socket }
            lastError = errno
            socket.close()
        }
        if offMachine && !tried {
            throw .usage("\(host):\(port) is off this machine: plain TCP there shows an observer who talks to whom; "
                         + "use the provider's onion address, or allow it with --allow-clearnet")
        }
        throw .network("connecting to \(host):\(port): \(String(cString: strerror(lastError)))")
    }

    /// Whether a socket address is on this machine: 127.0.0.0/8, ::1, or ::ffff:127.x.y.z.
    static func isLoopback(_ address: UnsafePointer<sockaddr>) -> Bool {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                UInt32(bigEndian: $0.pointee.sin_addr.s_addr) >> 24 == 127
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                let bytes = withUnsafeBytes(of: pointer.pointee.sin6_addr) { Array($0) }
                if bytes[..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
                return bytes[..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127
            }
        default:
            return false
        }
    }

    /// Send and receive timeouts (a blocked call fails after `seconds`).
    public func setTimeout(_ seconds: Double) {
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends all of `bytes`.
    public func send(_ bytes: [UInt8]) throws(MaimoError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let code = errno
                throw .network("sending to \(peer): " + (code == EAGAIN ? "timed out" : String(cString: strerror(code))))
            }
            done += n
        }
    }

    /// Reads what is available into `buffer` (at most its size); 0 when the peer closed.
    public func receive(into buffer: inout [UInt8]) throws(MaimoError) -> Int {
        var result: Result<Int, MaimoError>?
        buffer.withUnsafeMutableBytes { raw in result = Result { () throws(MaimoError) -> Int in try receive(into: raw) } }
        return try result!.get()
    }

    /// Receives into `buffer`; the number of bytes, 0 when the peer closed.
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(MaimoError) -> Int {
        while true {
            let n = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if n >= 0 { return n }
            let code = errno
            if code == EINTR { continue }
            throw .network("receiving from \(peer): " + (code == EAGAIN ? "timed out" : String(cString: strerror(code))))
        }
    }

    /// Whether a receive would return at once (bytes, or the peer's close), waiting at most
    /// `seconds`.
    public func isReadable(within seconds: Double = 0) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while true {
            let n = poll(&entry, 1, Int32(seconds * 1000))
            if n < 0 && errno == EINTR { continue }
            return n > 0
        }
    }

    /// Asks the system for a receive buffer of `bytes` (a small one makes a sender that is not
    /// read from block sooner: load tests use it).
    public func setReceiveBufferSize(_ bytes: Int) {
        var size = Int32(clamping: bytes)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Whether the peer closed or shut down its side, waiting at most `seconds`; unread bytes
    /// do not count (unlike ``isReadable(within:)``).
    public func peerHasClosed(within seconds: Double) -> Bool {
        #if os(Linux)
        let events = Int16(0x2000)  // POLLRDHUP
        #else
        let events = Int16(POLLHUP)
        #endif
        var entry = pollfd(fd: descriptor, events: events, revents: 0)
        while true {
            let n = poll(&entry, 1, Int32(seconds * 1000))
            if n < 0 && errno == EINTR { continue }
            return n > 0 && entry.revents & (events | Int16(POLLHUP) | Int16(POLLERR)) != 0
        }
    }

    /// Wakes any thread blocked on this socket (reads return 0) without releasing the descriptor.
    public func shutdown() {
        lock.lock()
        defer { lock.unlock() }
        if !closed { _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }
    }

    /// Closes the socket (or the stream that owns it).
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        if owner == nil { _ = Glibc.close(descriptor) } else if let closable = owner as? WireSocketOwner { closable.closeStream() }
    }

    deinit { close() }
}

/// What owns a descriptor a ``WireSocket`` borrows (a Tor stream).
public protocol WireSocketOwner: AnyObject {
    /// Closes the owned stream.
    func closeStream()
}
