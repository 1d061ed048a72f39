#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A connected, blocking stream socket with send and receive timeouts: a TCP connection or the
/// descriptor of a Tor stream (whose owner it keeps alive).
public final class WireSocket: @unchecked Sendable {
    public let descriptor: Int32
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

    /// Connects to `host` (a name or an IPv4/IPv6 literal) and `port`, trying each address.
    public static func connect(host: String, port: UInt16, timeout: Double = 30) throws(MaimoError) -> WireSocket {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw .io("resolving \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        var lastError: Int32 = ECONNREFUSED
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errno; continue }
            let socket = WireSocket(descriptor: fd, peer: "\(host):\(port)")
            socket.setTimeout(timeout)
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return socket }
            lastError = errno
            socket.close()
        }
        throw .io("connecting to \(host):\(port): \(String(cString: strerror(lastError)))")
    }

    /// Send and receive timeouts (a blocked call fails after `seconds`).
    public func setTimeout(_ seconds: Double) {
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    public func send(_ bytes: [UInt8]) throws(MaimoError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let code = errno
                throw .io("sending to \(peer): " + (code == EAGAIN ? "timed out" : String(cString: strerror(code))))
            }
            done += n
        }
    }

    /// Reads what is available into `buffer` (at most its size); 0 when the peer closed.
    public func receive(into buffer: inout [UInt8]) throws(MaimoError) -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if n >= 0 { return n }
            let code = errno
            if code == EINTR { continue }
            throw .io("receiving from \(peer): " + (code == EAGAIN ? "timed out" : String(cString: strerror(code))))
        }
    }

    /// Wakes any thread blocked on this socket (reads return 0) without releasing the descriptor.
    public func shutdown() {
        lock.lock()
        defer { lock.unlock() }
        if !closed { _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }
    }

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
    func closeStream()
}

/// A listening TCP socket.
public final class WireListener: @unchecked Sendable {
    let descriptor: Int32
    /// The bound port (useful when 0 was asked for).
    public let port: UInt16
    public let host: String
    private let lock = NSLock()
    private var closed = false

    /// Listens on `host` (an IPv4 or IPv6 literal, or a name) and `port` (0: any free port).
    public init(host: String, port: UInt16) throws(MaimoError) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let info = list else {
            throw .io("resolving \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(info) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { throw .io("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, listen(fd, 64) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .io("listening on \(host):\(port): \(String(cString: strerror(code)))")
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let family = storage.ss_family
        let bound: UInt16 = withUnsafePointer(to: &storage) { pointer in
            if family == sa_family_t(AF_INET6) {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
        self.descriptor = fd
        self.port = bound
        self.host = host
    }

    /// The next connection, or nil once the listener is closed.
    public func accept() -> WireSocket? {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(descriptor, $0, &length) }
            }
            if fd >= 0 { return WireSocket(descriptor: fd, peer: Self.describe(storage)) }
            let code = errno
            if code == EINTR || code == ECONNABORTED || code == EMFILE || code == ENFILE {
                if code == EMFILE || code == ENFILE { usleep(100_000) }
                lock.lock()
                let isClosed = closed
                lock.unlock()
                if isClosed { return nil }
                continue
            }
            return nil
        }
    }

    static func describe(_ storage: sockaddr_storage) -> String {
        var storage = storage
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST)), service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let status = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, socklen_t(MemoryLayout<sockaddr_storage>.size), &host, socklen_t(host.count),
                            &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard status == 0 else { return "unknown peer" }
        return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + ":"
            + String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Stops accepting: a thread blocked in ``accept()`` returns nil.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return }
        closed = true
        _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR))
        _ = Glibc.close(descriptor)
    }

    deinit { close() }
}
