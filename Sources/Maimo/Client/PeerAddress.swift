import Foundation

/// Where a provider is: a v3 onion address (reached through Tor's SOCKS port) or host:port.
public struct PeerAddress: Hashable, Sendable, CustomStringConvertible, Codable {
    /// A host name, IP address or onion address.
    public let host: String
    /// The TCP port.
    public let port: UInt16

    /// Parses `HOST:PORT`, `[IPv6]:PORT` or `ADDRESS.onion[:PORT]` (port 7070 by default).
    public init(_ text: String) throws(MaimoError) {
        var host = text, port: UInt16 = Self.defaultPort
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.hasPrefix(":") {
                guard let value = UInt16(rest.dropFirst()) else { throw .usage("\(text): the port is not a number") }
                port = value
            }
        } else if let colon = text.lastIndex(of: ":"), text.firstIndex(of: ":") == colon {
            host = String(text[..<colon])
            guard let value = UInt16(text[text.index(after: colon)...]) else { throw .usage("\(text): the port is not a number") }
            port = value
        }
        host = Self.withoutTrailingDots(host)
        guard !host.isEmpty else { throw .usage("\(text): no host") }
        self.host = host
        self.port = port
    }

    /// An address from its parts.
    public init(host: String, port: UInt16) {
        self.host = Self.withoutTrailingDots(host)
        self.port = port
    }

    /// `x.onion.` is `x.onion`: with its dot kept, the name would not look like an onion
    /// address and would go to the system's resolver (a DNS query naming the provider).
    static func withoutTrailingDots(_ host: String) -> String {
        var host = Substring(host)
        while host.hasSuffix(".") { host = host.dropLast() }
        return String(host)
    }

    /// The port Maimo providers listen on (and announce for their onion service) by default.
    public static let defaultPort: UInt16 = 7070

    /// Whether the host is an onion address (reached only through Tor).
    public var isOnion: Bool { host.lowercased().hasSuffix(".onion") }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// How a client reaches onion addresses.
public struct TorConfiguration: Sendable {
    /// The host of tor's SOCKS port.
    public var socksHost: String
    /// The SOCKS port (9050 for the system tor).
    public var socksPort: UInt16
    /// Seconds to wait for a stream to open.
    public var timeout: Double

    /// A configuration; the defaults are the system tor's SOCKS port.
    public init(socksHost: String = "127.0.0.1", socksPort: UInt16 = 9050, timeout: Double = 120) {
        self.socksHost = socksHost
        self.socksPort = socksPort
        self.timeout = timeout
    }
}
