import Foundation
import Maimo
import MaimoProvider
import MaimoTor
import Testing

/// Which sockets a client opens. Only the refusals are tried against addresses off this machine:
/// they are refused before any socket exists (no packet leaves).
@Suite("client network policy")
struct NetworkPolicyTests {
    /// 192.0.2.1 is TEST-NET-1 (RFC 5737): never reached, the policy refuses it first.
    static let offMachine = PeerAddress(host: "192.0.2.1", port: 7070)

    @Test func plainTCPOffThisMachineNeedsConsent() throws {
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let client = NodeIdentity()
        try provider.allow(client)
        for address in [Self.offMachine, PeerAddress(host: "::ffff:192.0.2.1", port: 7070)] {
            #expect {
                _ = try ProviderClient(address: address, provider: provider.identity.nodeID, identity: client, timeout: 2)
            } throws: { error in
                guard case let .usage(message) = error as? MaimoError else { return false }
                return message.contains("--allow-clearnet")
            }
        }
        // Loopback in every spelling is this machine.
        for host in ["127.0.0.1", "localhost", "::ffff:127.0.0.1"] {
            let address = PeerAddress(host: host, port: provider.port)
            #expect(try ProviderClient(address: address, provider: provider.identity.nodeID, identity: client).stat().blobs == 0, "\(host)")
        }
    }

    @Test func torOnlyOpensNoOtherSocket() throws {
        let provider = try TestProvider()
        defer { provider.shutdown() }
        let client = NodeIdentity()
        try provider.allow(client)
        #expect {
            _ = try ProviderClient(address: provider.address, provider: provider.identity.nodeID, identity: client, network: .torOnly)
        } throws: { error in
            guard case let .usage(message) = error as? MaimoError else { return false }
            return message.contains("--tor-only")
        }
        usleep(200_000)
        #expect(provider.lines.all.isEmpty, "the provider saw a connection: \(provider.lines.all)")
    }

    /// A provider nobody listens for is a network failure (worth retrying later), not a usage
    /// error; an onion address without a SOCKS port is a usage error (fix the command).
    @Test func networkFailuresAreNetworkErrors() throws {
        let port = PrivateTorNetwork.freePorts(1)[0]
        #expect {
            _ = try ProviderClient(address: PeerAddress(host: "127.0.0.1", port: port), provider: NodeIdentity().nodeID,
                                   identity: NodeIdentity(), timeout: 2)
        } throws: { error in
            guard case let .network(message) = error as? MaimoError else { return false }
            return message.contains("127.0.0.1:\(port)")
        }
        let onion = NodeIdentity().nodeID
        #expect {
            _ = try ProviderClient(address: PeerAddress(onion.description), provider: onion, identity: NodeIdentity(), timeout: 2)
        } throws: { error in
            guard case let .usage(message) = error as? MaimoError else { return false }
            return message.contains("--tor-socks")
        }
    }

    @Test func aPeerAddedWithConsentIsReachedWithoutTheFlag() throws {
        let peer = PeerRecord(name: "lan", nodeID: NodeIdentity().nodeID, address: "192.0.2.1:7070", added: 0, clearnet: true)
        let plain = PeerRecord(name: "lan", nodeID: NodeIdentity().nodeID, address: "192.0.2.1:7070", added: 0)
        #expect(NetworkPolicy.loopbackOrTor.applied(to: peer) == .allowClearnet)
        #expect(NetworkPolicy.loopbackOrTor.applied(to: plain) == .loopbackOrTor)
        #expect(NetworkPolicy.torOnly.applied(to: peer) == .torOnly)
        // Older catalogues have no such field: decoded as no consent.
        let id = NodeIdentity().nodeID
        let old = try JSONDecoder().decode(PeerRecord.self, from: Data(#"{"name":"a","nodeID":"\#(id)","address":"c","added":1}"#.utf8))
        #expect(old.clearnet == nil)
    }
}
