import Foundation
import MaimoTor
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `TorControl.authenticate` against a listener posing as tor: it is believed only when it
/// proves it knows a cookie read from where tor keeps one (SAFECOOKIE), so it never receives the
/// cookie, and the provider never sends it an onion service key.
@Suite("tor control authentication")
struct ControlAuthenticationTests {
    /// A scripted control port: answers PROTOCOLINFO with `methods` and `cookieFile`, then
    /// records every further line it is sent.
    final class FakeTor: @unchecked Sendable {
        let port: UInt16
        private let lock = NSLock()
        private var lines: [String] = []
        var received: [String] { lock.lock(); defer { lock.unlock() }; return lines }

        init(methods: String, cookieFile: String) {
            let (listener, port) = Loopback.bind(listen: true)
            self.port = port
            Thread { [self] in
                let connection = accept(listener, nil, nil)
                close(listener)
                guard connection >= 0 else { return }
                defer { close(connection) }
                var pending = ""
                var buffer = [UInt8](repeating: 0, count: 1024)
                while true {
                    let n = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                    guard n > 0 else { return }
                    pending += String(decoding: buffer[..<n], as: UTF8.self)
                    while let end = pending.range(of: "\r\n") {
                        let line = String(pending[..<end.lowerBound])
                        pending = String(pending[end.upperBound...])
                        if line.hasPrefix("PROTOCOLINFO") {
                            let reply = "250-PROTOCOLINFO 1\r\n250-AUTH METHODS=\(methods) COOKIEFILE=\"\(cookieFile)\"\r\n250-VERSION Tor=\"0.4.8.10\"\r\n250 OK\r\n"
                            _ = Array(reply.utf8).withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        } else {
                            lock.lock(); lines.append(line); lock.unlock()
                            _ = Array("515 Authentication failed\r\n".utf8).withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                        }
                    }
                }
            }.start()
        }
    }

    static func cookie(_ count: Int) throws -> String {
        let directory = TorTestSupport.temporaryPath("maimo-cookie")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/control_auth_cookie"
        try Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func policy(allowing path: String) -> TorControl.AuthenticationPolicy {
        var policy = TorControl.AuthenticationPolicy()
        policy.cookieDirectories = [(path as NSString).deletingLastPathComponent]
        return policy
    }

    @Test func aCookieFileWhereTorKeepsNoneIsNotRead() throws {
        let path = try Self.cookie(32)
        let fake = FakeTor(methods: "SAFECOOKIE,COOKIE", cookieFile: path)
        let control = try TorControl(port: fake.port, timeout: 5)
        #expect {
            try control.authenticate()
        } throws: { error in
            "\(error)".contains("where tor keeps none")
        }
        #expect(fake.received.isEmpty, "\(fake.received)")
    }

    @Test func theCookieItselfGoesOnlyWhereAllowed() throws {
        let path = try Self.cookie(32)
        let fake = FakeTor(methods: "COOKIE", cookieFile: path)
        let control = try TorControl(port: fake.port, timeout: 5)
        #expect {
            try control.authenticate(policy: Self.policy(allowing: path))
        } throws: { error in
            "\(error)".contains("not SAFECOOKIE")
        }
        #expect(fake.received.isEmpty, "the cookie was sent: \(fake.received)")
    }

    @Test func aCookieOfAnotherSizeIsRefused() throws {
        let path = try Self.cookie(100)
        let fake = FakeTor(methods: "SAFECOOKIE", cookieFile: path)
        let control = try TorControl(port: fake.port, timeout: 5)
        #expect {
            try control.authenticate(policy: Self.policy(allowing: path))
        } throws: { error in
            "\(error)".contains("not a tor cookie's 32")
        }
        #expect(fake.received.isEmpty)
    }

    @Test func noAuthenticationIsRefusedUnlessAllowed() throws {
        let fake = FakeTor(methods: "NULL", cookieFile: "/nonexistent")
        let control = try TorControl(port: fake.port, timeout: 5)
        #expect {
            try control.authenticate()
        } throws: { error in
            "\(error)".contains("asks for no authentication")
        }
        #expect(fake.received.isEmpty)
    }

    @Test func aControlPortOffLoopbackIsRefused() throws {
        #expect {
            _ = try TorControl(host: "192.0.2.1", port: 9051, timeout: 1)
        } throws: { error in
            "\(error)".contains("only loopback")
        }
    }

    /// A fake that offers SAFECOOKIE but cannot prove it knows the cookie: its server hash is
    /// wrong, so the client's proof is never sent.
    @Test func aServerThatCannotProveTheCookieGetsNoProof() throws {
        let path = try Self.cookie(32)
        let fake = FakeTor(methods: "SAFECOOKIE", cookieFile: path)
        let control = try TorControl(port: fake.port, timeout: 5)
        #expect(throws: TorError.self) { try control.authenticate(policy: Self.policy(allowing: path)) }
        #expect(!fake.received.contains { $0.hasPrefix("AUTHENTICATE") }, "\(fake.received)")
    }
}
