/// Which sockets a client may open to reach its providers.
///
/// Frames are encrypted after the handshake whatever the policy, but a plain TCP connection still
/// shows an observer who talks to whom, when and how much; through Tor it does not. So plain TCP
/// leaves this machine only when the user says so.
public enum NetworkPolicy: String, Sendable, Codable, CaseIterable {
    /// Onion addresses through Tor's SOCKS port; plain TCP only to this machine (loopback). The
    /// default.
    case loopbackOrTor = "loopback-or-tor"
    /// Plain TCP to any address as well (a provider on the LAN): `--allow-clearnet`.
    case allowClearnet = "allow-clearnet"
    /// Only onion addresses, only through Tor: no other socket is opened, loopback included
    /// (`--tor-only`).
    case torOnly = "tor-only"

    /// The policy for one peer: `--tor-only` wins; a peer added with `--allow-clearnet` may be
    /// reached over plain TCP without the flag on every command.
    public func applied(to peer: PeerRecord) -> NetworkPolicy {
        self == .loopbackOrTor && peer.clearnet == true ? .allowClearnet : self
    }
}
