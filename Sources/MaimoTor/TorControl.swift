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

    /// Connects to a control port on loopback (`ControlPort 9051`). Another host is refused:
    /// the control protocol is not encrypted, and what a provider sends there includes its
    /// onion service's secret key.
    public init(host: String = "127.0.0.1", port: UInt16, timeout: Double = 60) throws(TorError) {
        guard Self.isLoopback(host) else {
            throw .io(operation: "connecting to tor's control port at \(host): only loopback (or a Unix socket) is used", errno: EACCES)
        }
        socket = try StreamSocket.connect(host: host, port: port, timeout: timeout)
    }

    /// 127.0.0.0/8, ::1 or localhost.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Connects to a control socket (`ControlPort unix:/run/tor/control`).
    public init(socketPath: String, timeout: Double = 60) throws(TorError) {
        socket = try StreamSocket.connect(unixPath: socketPath, timeout: timeout)
    }

    /// Closes the control connection (a tor it owns then exits).
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

    /// What ``authenticate(password:cookieFile:policy:)`` accepts. The defaults trust only a
    /// tor that proves it knows the cookie (SAFECOOKIE's server hash) read from where tor keeps
    /// it, or that takes the password given: whatever else listens on that port (a process
    /// posing as tor) learns nothing, and gets no onion service key.
    public struct AuthenticationPolicy: Sendable {
        /// Accept a control port that asks for no authentication (anyone on the machine can then
        /// drive that tor, and a listener posing as tor would be believed).
        public var allowNull = false
        /// Send the cookie itself (COOKIE) to a tor that does not offer SAFECOOKIE.
        public var allowPlainCookie = false
        /// Where a cookie file named by tor's PROTOCOLINFO may be (one named by the caller is
        /// used wherever it is): Debian's and tor's own places by default.
        public var cookieDirectories = ["/run/tor", "/var/run/tor", "/var/lib/tor",
                                        (ProcessInfo.processInfo.environment["HOME"] ?? "/root") + "/.tor"]
        /// The default policy: SAFECOOKIE or a password, cookies only from tor's usual places.
        public init() {}
    }

    /// Authenticates: the password (HASHEDPASSWORD) when given and offered, else SAFECOOKIE with
    /// a 32-byte cookie from an expected directory (tor must prove it knows the cookie before
    /// this side proves it does), else what `policy` allows.
    public func authenticate(password: String? = nil, cookieFile: String? = nil,
                             policy: AuthenticationPolicy = AuthenticationPolicy()) throws(TorError) {
        let info = try protocolInfo()
        if let password, info.methods.contains("HASHEDPASSWORD") {
            try send("AUTHENTICATE " + Self.quoted(password))
            return
        }
        if info.methods.contains("NULL") {
            guard policy.allowNull else {
                throw .controlError(code: 515, message: "this control port asks for no authentication: refused (a listener posing as tor would be believed); set CookieAuthentication 1, or allow it explicitly")
            }
            try send("AUTHENTICATE")
            return
        }
        guard info.methods.contains("SAFECOOKIE") || info.methods.contains("COOKIE"), let path = cookieFile ?? info.cookieFile else {
            throw .controlError(code: 515, message: "no usable authentication method (tor offers \(info.methods.sorted().joined(separator: ", ")))")
        }
        if cookieFile == nil {
            let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            guard policy.cookieDirectories.contains(where: { resolved.hasPrefix(URL(fileURLWithPath: $0).resolvingSymlinksInPath().path + "/") }) else {
                throw .controlError(code: 515, message: "the control port names a cookie file at \(path), where tor keeps none (expected under \(policy.cookieDirectories.joined(separator: ", "))): refused")
            }
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .io(operation: "reading tor's cookie file \(path)", errno: errno)
        }
        guard data.count == 32 else {
            throw .controlError(code: 515, message: "\(path) holds \(data.count) bytes, not a tor cookie's 32: refused")
        }
        let cookie = [UInt8](data)
        if info.methods.contains("SAFECOOKIE") {
            var generator = SystemRandomNumberGenerator()
            let clientNonce = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let challenge = try send("AUTHCHALLENGE SAFECOOKIE " + Self.hex(clientNonce))
            guard let serverHash = challenge.value(of: "SERVERHASH").flatMap(Self.bytes(hex:)),
                  let serverNonce = challenge.value(of: "SERVERNONCE").flatMap(Self.bytes(hex:)) else {
                throw .malformedReply("AUTHCHALLENGE without SERVERHASH and SERVERNONCE")
            }
            let answer = try SafeCookie.respond(cookie: cookie, clientNonce: clientNonce, serverNonce: serverNonce, serverHash: serverHash)
            try send("AUTHENTICATE " + Self.hex(answer))
        } else {
            guard policy.allowPlainCookie else {
                throw .controlError(code: 515, message: "this control port offers COOKIE but not SAFECOOKIE: refused (the cookie would go to whoever listens); allow it explicitly for an old tor")
            }
            try send("AUTHENTICATE " + Self.hex(cookie))
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
    /// `defenses` are tor's own limits for the service (streams per circuit, proof of work
    /// under load).
    @discardableResult
    public func addOnion(
        key: OnionServiceKey, ports: [(virtual: UInt16, target: String)], detach: Bool = false,
        clientAuthorization: [ClientAuthorizationKey.Public] = [], defenses: OnionServiceDefenses = .none
    ) throws(TorError) -> OnionAddress {
        var command = "ADD_ONION " + key.addOnionKeyBlob
        var flags = ["DiscardPK"]
        if detach { flags.append("Detach") }
        if !clientAuthorization.isEmpty { flags.append("V3Auth") }
        if defenses.maxStreams != nil && defenses.closeCircuitOnMaxStreams { flags.append("MaxStreamsCloseCircuit") }
        command += " Flags=" + flags.joined(separator: ",")
        if let maxStreams = defenses.maxStreams { command += " MaxStreams=\(min(maxStreams, 65535))" }
        if defenses.proofOfWork { command += " PoWDefensesEnabled=1" }
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
    /// The private half, for the client's tor.
    public let privateKey: Curve25519.KeyAgreement.PrivateKey

    /// A new key from the system's CSPRNG.
    public init() { privateKey = Curve25519.KeyAgreement.PrivateKey() }
    /// A key from an existing x25519 private key.
    public init(privateKey: Curve25519.KeyAgreement.PrivateKey) { self.privateKey = privateKey }

    /// The public half of a client-authorization key, for the service.
    public struct Public: Sendable, Equatable {
        /// The 32 bytes of the x25519 public key.
        public let bytes: [UInt8]
        /// Unpadded base32 (52 characters), as ADD_ONION's `ClientAuthV3=` takes it.
        public var base32: String { Base32.encode(bytes).uppercased() }
    }

    /// The public half.
    public var publicKey: Public { Public(bytes: Array(privateKey.publicKey.rawRepresentation)) }
    var privateBase64: String { privateKey.rawRepresentation.base64EncodedString() }
}
