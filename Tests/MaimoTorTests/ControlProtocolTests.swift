import MaimoTor
import Testing

/// Control-port replies from recorded transcripts (tor 0.4.8), SAFECOOKIE against values
/// computed with Python's hmac, and SOCKS5 messages with every extended error.
@Suite("tor control protocol and SOCKS5")
struct ControlProtocolTests {
    func replies(_ transcript: String) throws -> [ControlReply] {
        var parser = ControlReplyParser()
        var out = [ControlReply]()
        for line in transcript.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if let reply = try parser.feed(String(line)) { out.append(reply) }
        }
        return out
    }

    @Test func parsesProtocolInfo() throws {
        let reply = try #require(try replies("""
            250-PROTOCOLINFO 1
            250-AUTH METHODS=COOKIE,SAFECOOKIE,HASHEDPASSWORD COOKIEFILE="/var/lib/tor/control_auth_cookie"
            250-VERSION Tor="0.4.8.16"
            250 OK
            """).first)
        let info = try ProtocolInfo(reply)
        #expect(info.methods == ["COOKIE", "SAFECOOKIE", "HASHEDPASSWORD"])
        #expect(info.cookieFile == "/var/lib/tor/control_auth_cookie")
        #expect(info.torVersion == "0.4.8.16")
    }

    @Test func parsesMultiLineDataEventsAndErrors() throws {
        let all = try replies("""
            250-ServiceID=25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid
            250-PrivateKey=ED25519-V3:MHyDhk8oM8tCei7xwAoBPP3/J2jZgMCjpSDwBpBN6U8=
            250 OK
            250+config-text=
            ControlPort 9051
            ..a line that starts with a dot
            .
            250 OK
            650 STATUS_CLIENT NOTICE CIRCUIT_ESTABLISHED
            650 HS_DESC UPLOADED 25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid UNKNOWN $AAAA~relay
            552 Unrecognized key "no-such-key"
            512-Bad arguments
            512 to ADD_ONION
            """)
        #expect(all.count == 6)
        #expect(all[0].value(of: "ServiceID") == "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid")
        #expect(all[0].isSuccess)
        #expect(all[1].lines[0].data == ["ControlPort 9051", ".a line that starts with a dot"])
        #expect(all[2].isEvent && all[3].isEvent)
        #expect(throws: Never.self) { try all[2].check() }
        #expect(throws: TorError.controlError(code: 552, message: "Unrecognized key \"no-such-key\"")) { try all[4].check() }
        #expect(throws: TorError.controlError(code: 512, message: "Bad arguments; to ADD_ONION")) { try all[5].check() }
        var parser = ControlReplyParser()
        #expect(throws: TorError.self) { _ = try parser.feed("hello") }
        var mixed = ControlReplyParser()
        _ = try mixed.feed("250-first")
        #expect(throws: TorError.self) { _ = try mixed.feed("551 second") }
    }

    @Test func safeCookieMatchesPythonHMAC() throws {
        let cookie = Array(0..<32) as [UInt8], client = Array(100..<132) as [UInt8], server = Array(200..<232) as [UInt8]
        let serverHash = [UInt8](hex: "0cd2811abe486545c2be5e94041712bfb974921245ead5541a47db984343ceee")
        #expect(SafeCookie.serverHash(cookie: cookie, clientNonce: client, serverNonce: server) == serverHash)
        let answer = try SafeCookie.respond(cookie: cookie, clientNonce: client, serverNonce: server, serverHash: serverHash)
        #expect(answer == [UInt8](hex: "d42c79f3763c2e27f0073ce04620b69162f3f514e5526bebdd7ad160886e0c8a"))
        var forged = serverHash
        forged[5] ^= 1
        #expect(throws: TorError.self) { try SafeCookie.respond(cookie: cookie, clientNonce: client, serverNonce: server, serverHash: forged) }
    }

    @Test func socksMessagesAndEveryExtendedError() throws {
        #expect(SOCKS5.greeting() == [5, 1, 0])
        #expect(try SOCKS5.method(from: [5, 0]) == 0)
        #expect(throws: TorError.socks(.noAcceptableAuthentication)) { try SOCKS5.method(from: [5, 0xFF]) }
        let request = try SOCKS5.connectRequest(host: "abc.onion", port: 443)
        #expect(request == [5, 1, 0, 3, 9] + Array("abc.onion".utf8) + [1, 187])
        #expect(try SOCKS5.remainingReplyLength(afterHeader: [5, 0, 0, 1, 0]) == 5)
        #expect(try SOCKS5.remainingReplyLength(afterHeader: [5, 0, 0, 3, 7]) == 9)
        #expect(try SOCKS5.remainingReplyLength(afterHeader: [5, 0, 0, 4, 0]) == 17)
        let expected: [(UInt8, SOCKSFailure)] = [
            (1, .generalFailure), (2, .notAllowedByRuleset), (3, .networkUnreachable), (4, .hostUnreachable),
            (5, .connectionRefused), (6, .ttlExpired), (7, .commandNotSupported), (8, .addressTypeNotSupported),
            (0xF0, .onionDescriptorNotFound), (0xF1, .onionDescriptorInvalid), (0xF2, .onionIntroductionFailed),
            (0xF3, .onionRendezvousFailed), (0xF4, .onionClientAuthorizationMissing), (0xF5, .onionClientAuthorizationWrong),
            (0xF6, .onionAddressInvalid), (0xF7, .onionIntroductionTimedOut), (0x42, .unknown(0x42)),
        ]
        for (code, failure) in expected {
            #expect(throws: TorError.socks(failure)) { try SOCKS5.remainingReplyLength(afterHeader: [5, code, 0, 1, 0]) }
        }
        #expect(throws: TorError.self) { try SOCKS5.remainingReplyLength(afterHeader: [4, 0, 0, 1, 0]) }
        #expect(throws: TorError.self) { try SOCKS5.connectRequest(host: String(repeating: "a", count: 256), port: 1) }
        #expect(try SOCKS5.credentials(username: "maimo", password: "x") == [1, 5] + Array("maimo".utf8) + [1, UInt8(ascii: "x")])
    }
}
