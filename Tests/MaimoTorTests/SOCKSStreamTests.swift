import Foundation
import MaimoTor
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// TorStream against a scripted SOCKS5 server on loopback: a success that then echoes bytes,
/// and each of Tor's extended onion errors arriving as its typed failure.
@Suite("SOCKS5 streams")
struct SOCKSStreamTests {
    /// Accepts one connection on an ephemeral loopback port and runs `script` on it.
    static func serve(_ script: @escaping @Sendable (Int32) -> Void) throws -> UInt16 {
        let (listener, port) = Loopback.bind(listen: true)
        let thread = Thread {
            let connection = accept(listener, nil, nil)
            close(listener)
            script(connection)
            close(connection)
        }
        thread.start()
        return port
    }

    static func read(_ fd: Int32, _ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + done, count - done, 0) }
            if n <= 0 { return Array(out[..<done]) }
            done += n
        }
        return out
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    @Test func connectsByNameAndCarriesBytes() throws {
        let host = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid.onion"
        let port = try Self.serve { fd in
            guard Self.read(fd, 3) == [5, 1, 0] else { return }
            Self.write(fd, [5, 0])
            let request = Self.read(fd, 5 + host.utf8.count + 2)
            guard request == [5, 1, 0, 3, UInt8(host.utf8.count)] + Array(host.utf8) + [0x1F, 0x90] else { return }
            Self.write(fd, [5, 0, 0, 1, 127, 0, 0, 1, 0, 0])
            let payload = Self.read(fd, 1000)
            Self.write(fd, payload.reversed())
        }
        let stream = try TorStream.connect(to: host, port: 8080, proxyPort: port, timeout: 10)
        let payload = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        try stream.write(payload)
        #expect(try stream.read(exactly: 1000) == payload.reversed())
        stream.close()
    }

    @Test(arguments: [(UInt8(0xF0), SOCKSFailure.onionDescriptorNotFound), (0xF4, .onionClientAuthorizationMissing),
                      (0xF5, .onionClientAuthorizationWrong), (0xF6, .onionAddressInvalid), (0x05, .connectionRefused)])
    func reportsTorsReasons(code: UInt8, failure: SOCKSFailure) throws {
        let port = try Self.serve { fd in
            _ = Self.read(fd, 3)
            Self.write(fd, [5, 0])
            _ = Self.read(fd, 5)
            Self.write(fd, [5, code, 0, 1, 0, 0, 0, 0, 0, 0])
        }
        #expect(throws: TorError.socks(failure)) {
            _ = try TorStream.connect(to: "x.onion", port: 80, proxyPort: port, timeout: 10)
        }
    }
}
