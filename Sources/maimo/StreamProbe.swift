#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MaimoLeanCommands
import MaimoTor

/// What one Tor stream carries: a plain sink on loopback behind the demo's onion service, and a
/// timed copy of `count` bytes through one SOCKS stream to it (no Maimo framing, no crypto of
/// ours), so that the demo's store rate can be set against the network it ran on.
final class StreamProbe: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard descriptor >= 0, bound, listen(descriptor, 4) == 0 else {
            throw CLIFile.Failure(description: "the stream probe cannot listen: \(String(cString: strerror(errno)))")
        }
        port = UInt16(bigEndian: address.sin_port)
        // The sink: reads an 8-byte length, then that many bytes, and answers one byte.
        Thread.detachNewThread {
            while true {
                let connection = accept(descriptor, nil, nil)
                guard connection >= 0 else { return }
                var buffer = [UInt8](repeating: 0, count: 1 << 16)
                var header: [UInt8] = []
                var remaining = UInt64.max
                while remaining > 0 {
                    let n = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
                    guard n > 0 else { break }
                    var piece = buffer[..<n]
                    if header.count < 8 {
                        let take = min(8 - header.count, piece.count)
                        header += piece.prefix(take)
                        piece = piece.dropFirst(take)
                        if header.count == 8 { remaining = header.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) } }
                    }
                    remaining -= min(remaining, UInt64(piece.count))
                }
                var done: UInt8 = 1
                _ = write(connection, &done, 1)
                close(connection)
            }
        }
    }

    /// Sends `count` bytes through one stream to `onion`:`port` and returns MB/s, measured from
    /// the first byte written to the sink's answer.
    func measure(onion: String, servicePort: UInt16, socksPort: UInt16, count: Int) throws -> Double {
        let stream = try TorStream.connect(to: onion, port: servicePort, proxyPort: socksPort, timeout: 60)
        defer { stream.close() }
        var payload = withUnsafeBytes(of: UInt64(count).littleEndian) { Array($0) }
        payload += (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131) }
        let started = Date()
        var offset = 0
        while offset < payload.count {
            let end = min(payload.count, offset + (1 << 16))
            try stream.write(Array(payload[offset..<end]))
            offset = end
        }
        _ = try stream.read(exactly: 1)
        return Double(count) / Date().timeIntervalSince(started) / 1e6
    }

    deinit { close(listener) }
}

extension StreamProbe {
    /// The onion service port the probe's sink is published on.
    static let servicePort: UInt16 = 9
}
