#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking stream socket with a receive timeout: the control port and SOCKS connections.
final class StreamSocket: @unchecked Sendable {
    let descriptor: Int32
    private var buffer = [UInt8]()

    init(descriptor: Int32) { self.descriptor = descriptor }

    /// Connects to an IPv4 `host` (a dotted quad; tor's ports listen on loopback) and `port`.
    static func connect(host: String, port: UInt16, timeout: Double) throws(TorError) -> StreamSocket {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            throw .io(operation: "parsing the IPv4 address \(host)", errno: EINVAL)
        }
        return try open(AF_INET, address, name: "\(host):\(port)", timeout: timeout)
    }

    /// Connects to a Unix domain socket (tor's `ControlPort unix:PATH`).
    static func connect(unixPath path: String, timeout: Double) throws(TorError) -> StreamSocket {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw .io(operation: "connecting to \(path) (path too long)", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        return try open(AF_UNIX, address, name: path, timeout: timeout)
    }

    /// A stream socket of `family` connected to `address`, with send and receive timeouts.
    static func open<Address>(_ family: Int32, _ address: Address, name: String, timeout: Double) throws(TorError) -> StreamSocket {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw .io(operation: "socket", errno: errno) }
        var address = address
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<Address>.size)) }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            throw .io(operation: "connecting to \(name)", errno: code)
        }
        let socket = StreamSocket(descriptor: fd)
        socket.setTimeout(timeout)
        return socket
    }

    func setTimeout(_ seconds: Double) {
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    func write(_ bytes: [UInt8]) throws(TorError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .io(operation: "writing to tor", errno: errno) }
            done += n
        }
    }

    /// Exactly `count` bytes (buffered data first).
    func read(exactly count: Int) throws(TorError) -> [UInt8] {
        while buffer.count < count { try fill() }
        let out = Array(buffer.prefix(count))
        buffer.removeFirst(count)
        return out
    }

    /// One line without its CRLF (or LF).
    func readLine() throws(TorError) -> String {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            try fill()
        }
    }

    private func fill() throws(TorError) {
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .io(operation: errno == EAGAIN ? "waiting for tor (timed out)" : "reading from tor", errno: errno) }
            if n == 0 { throw .io(operation: "reading from tor (connection closed)", errno: ECONNRESET) }
            buffer += chunk[..<n]
            return
        }
    }

    private var isClosed = false

    func close() {
        guard !isClosed else { return }
        isClosed = true
        _ = Glibc.close(descriptor)
    }

    deinit { close() }
}
