import Crypto
import Foundation

/// A connection to tor's control port (control-spec): authentication, GETINFO, events, onion
/// services and client authorization. Commands are synchronous: each waits for its reply, and
/// asynchronous events that arrive meanwhile go to ``eventHandler``.
public final class TorControl: @unchecked Sendable {
    let socket: StreamSocket
    var parser = ControlReplyParser()
    /// Called with each asynchronous event (a 650 reply) as it is read.
    public var eventHandler: ((ControlReply) -> Void)?
    private let lock = NSLock()

    /// Connects to a control port on loopback (`ControlPort 9051`).
    public init(host: String = "127.0.0.1", port: UInt16, timeout: Double = 60) throws(TorError) {
        socket = try StreamSocket.connect(host: host, port: port, timeout: timeout)
    }

    /// Connects to a control socket (`ControlPort unix:/run/tor/control`).
    public init(socketPath: String, timeout: Double = 60) throws(TorError) {
        socket = try StreamSocket.connect(unixPath: socketPath, timeout: timeout)
    }

    public func close() { socket.close() }

    /// Sends one command line and returns its reply (events that arrive first are dispatched).
    /// - Throws: ``TorError/controlError(code:message:)`` for a 4xx/5xx reply.
    @discardableResult
    public func send(_ command: String) throws(TorError) -> ControlReply {
        lock.lock()
        defer { lock.unlock() }
        guard !command.contains("\r") && !command.contains("\n") else { throw .malformedReply("a command is one line") }
        try socket.write(Array((command + "\r\n").utf8))
        while true {
            let reply = try readReply()
            if reply.isEvent { eventHandler?(reply); continue }
            try reply.check()
            return reply
        }
    }

    /// Waits for the next asynchronous event (up to the connection's timeout).
    public func nextEvent() throws(TorError) -> ControlReply {
        lock.lock()
        defer { lock.unlock() }
        while true {
            let reply = try readReply()
            if reply.isEvent { return reply }
        }
    }

    func readReply() throws(TorError) -> ControlReply {
        while true {
            if let reply = try parser.feed(try socket.readLine()) { return reply }
        }
    }

    // MARK: Authentication

    private var cachedProtocolInfo: ProtocolInfo?

    /// PROTOCOLINFO: the authentication methods and cookie file tor offers. Tor answers it only
    /// once before authentication, so the answer is kept.
    public func protocolInfo() throws(TorError) -> ProtocolInfo {
        if let cachedProtocolInfo { return cachedProtocolInfo }
        let info = try ProtocolInfo(send("PROTOCOLINFO 1"))
        cachedProtocolInfo = info
        return info
    }

    /// Authenticates with the best method tor offers: none, SAFECOOKIE (proving knowledge of the
    /// cookie without sending it), COOKIE, or the password when given. `safeCookie: false` sends
    /// the cookie itself even when SAFECOOKIE is offered (for tors that predate it).
    public func authenticate(password: String? = nil, cookieFile: String? = nil, safeCookie: Bool = true) throws(TorError) {
        let info = try protocolInfo()
        if info.methods.contains("NULL") {
            try send("AUTHENTICATE")
        } else if let password, info.methods.contains("HASHEDPASSWORD") {
            try send("AUTHENTICATE " + Self.quoted(password))
        } else if let path = cookieFile ?? info.cookieFile, info.methods.contains("SAFECOOKIE") || info.methods.contains("COOKIE") {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .io(operation: "reading tor's cookie file \(path)", errno: errno)
            }
            let cookie = [UInt8](data)
            if safeCookie && info.methods.contains("SAFECOOKIE") {
                var generator = SystemRandomNumberGenerator()
                let clientNonce = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let challenge = try send("AUTHCHALLENGE SAFECOOKIE " + Self.hex(clientNonce))
                guard let serverHash = challenge.value(of: "SERVERHASH").flatMap(Self.bytes(hex:)),
                      let serverNonce = challenge.value(of: "SERVERNONCE").flatMap(Self.bytes(hex:)) else {
                    throw .malformedReply("AUTHCHALLENGE without SERVERHASH and SERVERNONCE")
                }
                let answer = try SafeCookie.respond(cookie: cookie, clientNonce: clientNonce, serverNonce: serverNonce, serverHash: serverHash)
                try send("AUTHENTICATE " + Self.hex(answer))
            } else if info.methods.contains("COOKIE") {
                try send("AUTHENTICATE " + Self.hex(cookie))
            } else {
                throw .controlError(code: 515, message: "tor offers only SAFECOOKIE")
            }
        } else {
            throw .controlError(code: 515, message: "no usable authentication method (tor offers \(info.methods.sorted().joined(separator: ", ")))")
        }
    }

    /// TAKEOWNERSHIP: tor exits when this connection closes (with `__OwningControllerProcess`,
    /// when this process dies).
    public func takeOwnership() throws(TorError) {
        try send("TAKEOWNERSHIP")
        try send("RESETCONF __OwningControllerProcess")
    }

    // MARK: Information and events

    /// GETINFO for `keys`; multi-line values come back joined with newlines.
    public func getInfo(_ keys: [String]) throws(TorError) -> [String: String] {
        let reply = try send("GETINFO " + keys.joined(separator: " "))
        var values = [String: String]()
        for line in reply.lines {
            guard let equals = line.text.firstIndex(of: "=") else { continue }
            let key = String(line.text[..<equals])
            values[key] = line.data?.joined(separator: "\n") ?? String(line.text[line.text.index(after: equals)...])
        }
        return values
    }

    /// SETEVENTS: which asynchronous events tor sends (`HS_DESC`, `STATUS_CLIENT`, …).
    public func setEvents(_ events: [String]) throws(TorError) {
        try send("SETEVENTS " + events.joined(separator: " "))
    }

    // MARK: Onion services

    /// ADD_ONION with an own key: publishes the service; each `ports` entry maps a virtual port
    /// to a local target (`"127.0.0.1:8080"`). With `detach` it outlives this connection;
    /// `clientAuthorization` (x25519 public keys) restricts it to those clients (V3Auth).
    @discardableResult
    public func addOnion(
        key: OnionServiceKey, ports: [(virtual: UInt16, target: String)], detach: Bool = false,
        clientAuthorization: [ClientAuthorizationKey.Public] = []
    ) throws(TorError) -> OnionAddress {
        var command = "ADD_ONION " + key.addOnionKeyBlob
        var flags = ["DiscardPK"]
        if detach { flags.append("Detach") }
        if !clientAuthorization.isEmpty { flags.append("V3Auth") }
        command += " Flags=" + flags.joined(separator: ",")
        for port in ports { command += " Port=\(port.virtual),\(port.target)" }
        for client in clientAuthorization { command += " ClientAuthV3=" + client.base32 }
        let reply = try send(command)
        guard let serviceID = reply.value(of: "ServiceID") else { throw .malformedReply("ADD_ONION without ServiceID") }
        let address = try OnionAddress(serviceID)
        guard address == key.address else { throw .malformedReply("ADD_ONION answered \(serviceID) for \(key.address)") }
        return address
    }

    /// DEL_ONION: withdraws a service this connection (or a detached one) published.
    public func deleteOnion(_ address: OnionAddress) throws(TorError) {
        try send("DEL_ONION " + address.serviceID)
    }

    /// ONION_CLIENT_AUTH_ADD: lets this tor reach `address`, a service that requires client
    /// authorization, with `key`.
    public func addClientAuthorization(for address: OnionAddress, key: ClientAuthorizationKey) throws(TorError) {
        try send("ONION_CLIENT_AUTH_ADD \(address.serviceID) x25519:\(key.privateBase64)")
    }

    /// ONION_CLIENT_AUTH_REMOVE.
    public func removeClientAuthorization(for address: OnionAddress) throws(TorError) {
        try send("ONION_CLIENT_AUTH_REMOVE \(address.serviceID)")
    }

    // MARK: Helpers

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        for i in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// A v3 client-authorization key (x25519): the service is told the public half
/// (`ClientAuthV3=`), the client's tor the private half (`ONION_CLIENT_AUTH_ADD … x25519:`).
public struct ClientAuthorizationKey: Sendable {
    public let privateKey: Curve25519.KeyAgreement.PrivateKey

    public init() { privateKey = Curve25519.KeyAgreement.PrivateKey() }
    public init(privateKey: Curve25519.KeyAgreement.PrivateKey) { self.privateKey = privateKey }

    public struct Public: Sendable, Equatable {
        public let bytes: [UInt8]
        /// Unpadded base32 (52 characters), as ADD_ONION's `ClientAuthV3=` takes it.
        public var base32: String { Base32.encode(bytes).uppercased() }
    }

    public var publicKey: Public { Public(bytes: Array(privateKey.publicKey.rawRepresentation)) }
    var privateBase64: String { privateKey.rawRepresentation.base64EncodedString() }
}
