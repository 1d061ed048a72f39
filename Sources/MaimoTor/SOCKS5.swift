/// Why a SOCKS5 CONNECT failed: RFC 1928's reply codes, and Tor's extended codes for onion
/// services (sent when the SocksPort has the `ExtendedErrors` flag; tor's socks-extensions.txt).
public enum SOCKSFailure: Equatable, Sendable, CustomStringConvertible {
    /// 0x01: the proxy failed for a reason it does not say.
    case generalFailure
    /// 0x02: the proxy's rules forbid the connection.
    case notAllowedByRuleset
    /// 0x03: the network is unreachable.
    case networkUnreachable
    /// 0x04: the host is unreachable.
    case hostUnreachable
    /// 0x05: the destination refused the connection.
    case connectionRefused
    /// 0x06: the time to live expired (tor: the circuit or stream timed out).
    case ttlExpired
    /// 0x07: the proxy does not support CONNECT.
    case commandNotSupported
    /// 0x08: the proxy does not support the address type.
    case addressTypeNotSupported
    /// 0xF0: the onion service's descriptor could not be found (offline, or never published).
    case onionDescriptorNotFound
    /// 0xF1: the descriptor was found but is invalid.
    case onionDescriptorInvalid
    /// 0xF2: every introduction point failed.
    case onionIntroductionFailed
    /// 0xF3: the rendezvous failed.
    case onionRendezvousFailed
    /// 0xF4: the service requires client authorization and none is configured for it.
    case onionClientAuthorizationMissing
    /// 0xF5: the client authorization key configured for the service is wrong.
    case onionClientAuthorizationWrong
    /// 0xF6: the onion address is invalid.
    case onionAddressInvalid
    /// 0xF7: the introduction timed out.
    case onionIntroductionTimedOut
    /// The proxy offered none of the authentication methods we support.
    case noAcceptableAuthentication
    /// A reply code this module does not know.
    case unknown(UInt8)

    init(code: UInt8) {
        switch code {
        case 1: self = .generalFailure
        case 2: self = .notAllowedByRuleset
        case 3: self = .networkUnreachable
        case 4: self = .hostUnreachable
        case 5: self = .connectionRefused
        case 6: self = .ttlExpired
        case 7: self = .commandNotSupported
        case 8: self = .addressTypeNotSupported
        case 0xF0: self = .onionDescriptorNotFound
        case 0xF1: self = .onionDescriptorInvalid
        case 0xF2: self = .onionIntroductionFailed
        case 0xF3: self = .onionRendezvousFailed
        case 0xF4: self = .onionClientAuthorizationMissing
        case 0xF5: self = .onionClientAuthorizationWrong
        case 0xF6: self = .onionAddressInvalid
        case 0xF7: self = .onionIntroductionTimedOut
        default: self = .unknown(code)
        }
    }

    public var description: String {
        switch self {
        case .generalFailure: return "general failure"
        case .notAllowedByRuleset: return "not allowed by the proxy's rules"
        case .networkUnreachable: return "network unreachable"
        case .hostUnreachable: return "host unreachable"
        case .connectionRefused: return "connection refused"
        case .ttlExpired: return "TTL expired"
        case .commandNotSupported: return "command not supported"
        case .addressTypeNotSupported: return "address type not supported"
        case .onionDescriptorNotFound: return "onion service descriptor not found (is the service running?)"
        case .onionDescriptorInvalid: return "onion service descriptor invalid"
        case .onionIntroductionFailed: return "onion service introduction failed"
        case .onionRendezvousFailed: return "onion service rendezvous failed"
        case .onionClientAuthorizationMissing: return "the onion service requires client authorization, and no key is configured"
        case .onionClientAuthorizationWrong: return "the onion service rejected the client authorization key"
        case .onionAddressInvalid: return "invalid onion address"
        case .onionIntroductionTimedOut: return "onion service introduction timed out"
        case .noAcceptableAuthentication: return "the proxy accepts none of our authentication methods"
        case let .unknown(code): return "reply code 0x\(String(code, radix: 16))"
        }
    }
}

/// The SOCKS5 messages of a CONNECT by host name (RFC 1928), so that names — onion addresses
/// above all — are resolved by Tor, never locally.
public enum SOCKS5 {
    /// The greeting: version 5, offering "no authentication" (and username/password when
    /// `isolation` credentials are given: Tor isolates streams by them with IsolateSOCKSAuth).
    public static func greeting(withCredentials: Bool = false) -> [UInt8] {
        withCredentials ? [5, 2, 0, 2] : [5, 1, 0]
    }

    /// Checks the proxy's method choice; returns the method (0 none, 2 username/password).
    public static func method(from reply: [UInt8]) throws(TorError) -> UInt8 {
        guard reply.count == 2, reply[0] == 5 else { throw .malformedSOCKSReply("method selection \(reply)") }
        guard reply[1] != 0xFF else { throw .socks(.noAcceptableAuthentication) }
        return reply[1]
    }

    /// The username/password sub-negotiation (RFC 1929).
    public static func credentials(username: String, password: String) throws(TorError) -> [UInt8] {
        let user = Array(username.utf8), pass = Array(password.utf8)
        guard (1...255).contains(user.count), (1...255).contains(pass.count) else {
            throw .malformedSOCKSReply("credentials must be 1 to 255 bytes")
        }
        return [1, UInt8(user.count)] + user + [UInt8(pass.count)] + pass
    }

    /// CONNECT to `host:port` with the host as a name (address type 3).
    public static func connectRequest(host: String, port: UInt16) throws(TorError) -> [UInt8] {
        let name = Array(host.utf8)
        guard (1...255).contains(name.count) else { throw .malformedSOCKSReply("host name must be 1 to 255 bytes") }
        return [5, 1, 0, 3, UInt8(name.count)] + name + [UInt8(port >> 8), UInt8(port & 0xFF)]
    }

    /// Reads the first 5 bytes of a CONNECT reply: throws the failure, or returns how many more
    /// bytes (the bound address and port) follow before the stream's data.
    public static func remainingReplyLength(afterHeader header: [UInt8]) throws(TorError) -> Int {
        guard header.count == 5, header[0] == 5 else { throw .malformedSOCKSReply("reply header \(header)") }
        guard header[1] == 0 else { throw .socks(SOCKSFailure(code: header[1])) }
        switch header[3] {
        case 1: return 4 - 1 + 2
        case 3: return Int(header[4]) + 2
        case 4: return 16 - 1 + 2
        default: throw .malformedSOCKSReply("address type \(header[3])")
        }
    }
}

/// A TCP stream through Tor's SocksPort.
public final class TorStream: @unchecked Sendable {
    let socket: StreamSocket

    init(socket: StreamSocket) { self.socket = socket }

    /// The connected socket's descriptor (for code that does its own I/O).
    public var descriptor: Int32 { socket.descriptor }

    /// Opens a stream to `host:port` (an onion address, typically) through the SOCKS5 proxy at
    /// `proxyHost:proxyPort`. With `isolation` credentials, tor keeps the stream on circuits of
    /// its own (IsolateSOCKSAuth).
    /// - Throws: ``TorError/socks(_:)`` with tor's reason — for onion services the extended codes
    ///   (descriptor not found, client authorization missing or wrong, …) when the SocksPort has
    ///   the `ExtendedErrors` flag.
    public static func connect(
        to host: String, port: UInt16, proxyHost: String = "127.0.0.1", proxyPort: UInt16,
        isolation: (username: String, password: String)? = nil, timeout: Double = 120
    ) throws(TorError) -> TorStream {
        let socket = try StreamSocket.connect(host: proxyHost, port: proxyPort, timeout: timeout)
        try socket.write(SOCKS5.greeting(withCredentials: isolation != nil))
        let method = try SOCKS5.method(from: socket.read(exactly: 2))
        if method == 2 {
            guard let isolation else { throw .socks(.noAcceptableAuthentication) }
            try socket.write(SOCKS5.credentials(username: isolation.username, password: isolation.password))
            let status = try socket.read(exactly: 2)
            guard status == [1, 0] else { throw .socks(.notAllowedByRuleset) }
        } else if method != 0 {
            throw .socks(.noAcceptableAuthentication)
        }
        try socket.write(SOCKS5.connectRequest(host: host, port: port))
        let remaining = try SOCKS5.remainingReplyLength(afterHeader: socket.read(exactly: 5))
        _ = try socket.read(exactly: remaining)
        return TorStream(socket: socket)
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws(TorError) { try socket.write(bytes) }

    /// Exactly `count` bytes.
    public func read(exactly count: Int) throws(TorError) -> [UInt8] { try socket.read(exactly: count) }

    /// Closes the stream.
    public func close() { socket.close() }
}
