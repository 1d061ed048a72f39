import Foundation
import Maimo
import MaimoTestSupport
import MaimoTor
import Testing

/// The engine end to end over a private Tor network: the provider is an onion service under its
/// own identity key; the client reaches it by onion address only.
@Suite("engine over a private Tor network")
struct TorEngineTests {
    @Test func storeVerifyRetrieveOverTor() throws {
        guard PrivateTorNetwork.isAvailable else {
            #expect(ProcessInfo.processInfo.environment["CI"] == nil, "CI must install tor (.ci/run)")
            return
        }
        let network = try PrivateTorNetwork()
        defer { network.stop() }
        try network.waitUntilReady(timeout: 180)
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let onion = try network.service.control.addOnion(
            key: OnionServiceKey(signingKey: fixture.provider.identity.signingKey),
            ports: [(PeerAddress.defaultPort, "127.0.0.1:\(fixture.provider.port)")])
        #expect(onion.publicKey == fixture.provider.identity.nodeID, "the onion address is the provider's node ID")
        try fixture.client.addPeer(name: "onion", nodeID: onion.description)
        fixture.client.tor = TorConfiguration(socksPort: network.client.socksPort!, timeout: 60)
        // The descriptor takes a while to be published and fetched: retry the first session.
        let published = Date()
        var lastError: MaimoError?
        while Date().timeIntervalSince(published) < 180 {
            do {
                let session = try fixture.client.connect(peer: "onion")
                session.close()
                lastError = nil
                break
            } catch {
                lastError = error
                usleep(500_000)
            }
        }
        if let lastError { Issue.record("the onion provider stayed unreachable: \(lastError)"); return }
        let reachable = Date().timeIntervalSince(published)
        let tree = try fixture.makeTree(seed: 31, files: 6, maxSize: 200_000)
        var options = MaimoClient.StoreOptions()
        options.peers = ["onion"]
        options.removeLocal = true
        let start = Date()
        let results = try fixture.client.store([fixture.root + "/data"], options: options)
        let storeTime = Date().timeIntervalSince(start)
        #expect(results.allSatisfy { if case .stored = $0.1 { true } else { false } }, "\(results)")
        let proofs = try fixture.client.verify(samples: 20)
        #expect(proofs.count == tree.count && proofs.allSatisfy { $0.outcome == .ok && $0.peer == "onion" })
        for (path, bytes) in tree {
            try fixture.client.retrieve(path)
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
        }
        let total = tree.values.reduce(0) { $0 + $1.count }
        print("engine over Tor: provider reachable \(String(format: "%.1f", reachable)) s after ADD_ONION; stored \(tree.count) files (\(total) bytes) in \(String(format: "%.1f", storeTime)) s, verified and retrieved")
    }
}
