import Crypto
import Foundation

/// One reply of Tor's control protocol (control-spec §2.3, §4): lines sharing a status code, the
/// last one ending the reply; a line may carry a data block (`250+…` up to a lone `.`).
public struct ControlReply: Equatable, Sendable {
    /// One line of a reply.
    public struct Line: Equatable, Sendable {
        /// The text after the status code and separator.
        public var text: String
        /// The data block that followed a `+` line, dot-unstuffed, one string per line.
        public var data: [String]?
    }

    /// The three-digit status code (250 for success, 5xx for errors, 650 for events).
    public var status: Int
    /// The lines, the last one ending the reply.
    public var lines: [Line]

    /// 6xx replies are asynchronous events (SETEVENTS), not answers to a command.
    public var isEvent: Bool { status / 100 == 6 }
    /// 2xx: the command succeeded.
    public var isSuccess: Bool { status / 100 == 2 }

    /// Throws ``TorError/controlError(code:message:)`` with tor's message unless 2xx or 6xx.
    public func check() throws(TorError) {
        guard isSuccess || isEvent else {
            throw .controlError(code: status, message: lines.map(\.text).joined(separator: "; "))
        }
    }

    /// The value of `KEY=value` in the reply's lines (quoted values unescaped), if present.
    public func value(of key: String) -> String? {
        for line in lines {
            if let value = ControlReply.keywords(in: line.text)[key] { return value }
        }
        return nil
    }

    /// `KEY=value` pairs of a line (values may be quoted strings with C escapes).
    public static func keywords(in text: String) -> [String: String] {
        var result = [String: String]()
        let characters = Array(text)
        var i = 0
        while i < characters.count {
            while i < characters.count && characters[i] == " " { i += 1 }
            var key = ""
            while i < characters.count && characters[i] != "=" && characters[i] != " " { key.append(characters[i]); i += 1 }
            guard i < characters.count, characters[i] == "=" else { continue }
            i += 1
            var value = ""
            if i < characters.count && characters[i] == "\"" {
                i += 1
                while i < characters.count && characters[i] != "\"" {
                    if characters[i] == "\\" && i + 1 < characters.count {
                        i += 1
                        switch characters[i] {
                        case "n": value.append("\n")
                        case "t": value.append("\t")
                        case "r": value.append("\r")
                        default: value.append(characters[i])
                        }
                    } else {
                        value.append(characters[i])
                    }
                    i += 1
                }
                i += 1
            } else {
                while i < characters.count && characters[i] != " " { value.append(characters[i]); i += 1 }
            }
            result[key] = value
        }
        return result
    }
}

/// Assembles ``ControlReply`` values from the lines tor sends (CRLF already removed).
public struct ControlReplyParser: Sendable {
    var status: Int?
    var lines: [ControlReply.Line] = []
    var data: [String]?

    /// A parser waiting for the first line of a reply.
    public init() {}

    /// Feeds one line; returns a reply when it completes one.
    public mutating func feed(_ line: String) throws(TorError) -> ControlReply? {
        if var block = data {
            if line == "." {
                lines[lines.count - 1].data = block
                data = nil
            } else {
                block.append(line.hasPrefix(".") ? String(line.dropFirst()) : line)
                data = block
            }
            return nil
        }
        let bytes = Array(line.utf8)
        guard bytes.count >= 4, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (100...799).contains(code) else {
            throw .malformedReply(line)
        }
        if let status, status != code { throw .malformedReply("status \(code) inside a \(status) reply: \(line)") }
        status = code
        let text = String(decoding: bytes[4...], as: UTF8.self)
        switch bytes[3] {
        case UInt8(ascii: " "):
            lines.append(.init(text: text, data: nil))
            let reply = ControlReply(status: code, lines: lines)
            self = ControlReplyParser()
            return reply
        case UInt8(ascii: "-"):
            lines.append(.init(text: text, data: nil))
        case UInt8(ascii: "+"):
            lines.append(.init(text: text, data: nil))
            data = []
        default:
            throw .malformedReply(line)
        }
        return nil
    }
}

/// The SAFECOOKIE authentication of the control port (control-spec §3.24): proving knowledge of
/// the cookie file without sending it, and checking that tor knows it too.
public enum SafeCookie {
    static let serverKey = Array("Tor safe cookie authentication server-to-controller hash".utf8)
    static let clientKey = Array("Tor safe cookie authentication controller-to-server hash".utf8)

    /// The hash tor must send as `SERVERHASH` in its AUTHCHALLENGE reply.
    public static func serverHash(cookie: [UInt8], clientNonce: [UInt8], serverNonce: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: cookie + clientNonce + serverNonce, using: SymmetricKey(data: serverKey)))
    }

    /// The hash the controller sends in `AUTHENTICATE`.
    public static func clientHash(cookie: [UInt8], clientNonce: [UInt8], serverNonce: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: cookie + clientNonce + serverNonce, using: SymmetricKey(data: clientKey)))
    }

    /// Checks tor's `SERVERHASH` in constant time and returns the client hash to send.
    /// - Throws: ``TorError/controlError(code:message:)`` when tor does not know the cookie.
    public static func respond(cookie: [UInt8], clientNonce: [UInt8], serverNonce: [UInt8], serverHash: [UInt8]) throws(TorError) -> [UInt8] {
        let expected = Self.serverHash(cookie: cookie, clientNonce: clientNonce, serverNonce: serverNonce)
        var difference = UInt8(expected.count == serverHash.count ? 0 : 1)
        for (a, b) in zip(expected, serverHash) { difference |= a ^ b }
        guard difference == 0 else {
            throw .controlError(code: 515, message: "tor's SAFECOOKIE server hash is wrong: not the tor that wrote the cookie")
        }
        return clientHash(cookie: cookie, clientNonce: clientNonce, serverNonce: serverNonce)
    }
}

/// What PROTOCOLINFO says about authentication and the tor version.
public struct ProtocolInfo: Equatable, Sendable {
    /// The authentication methods tor accepts (`NULL`, `HASHEDPASSWORD`, `COOKIE`, `SAFECOOKIE`).
    public var methods: Set<String>
    /// The cookie file tor names, if cookie authentication is on.
    public var cookieFile: String?
    /// Tor's version string.
    public var torVersion: String?

    /// Parses the reply to `PROTOCOLINFO 1`.
    public init(_ reply: ControlReply) throws(TorError) {
        try reply.check()
        methods = []
        for line in reply.lines {
            if line.text.hasPrefix("AUTH ") {
                let keys = ControlReply.keywords(in: line.text)
                methods = Set((keys["METHODS"] ?? "").split(separator: ",").map(String.init))
                cookieFile = keys["COOKIEFILE"]
            } else if line.text.hasPrefix("VERSION ") {
                torVersion = ControlReply.keywords(in: line.text)["Tor"]
            }
        }
        guard !methods.isEmpty else { throw .malformedReply("PROTOCOLINFO without AUTH METHODS") }
    }
}
