import Foundation
import Maimo
import MaimoBlake3
import MaimoTor
import Testing

/// Node IDs and roots are types: parsed and checked once, stored in the catalogue as the same
/// text as before (onion addresses, hex roots), and a damaged row is an error, not a crash.
@Suite("node IDs and roots as types")
struct NodeIDTests {
    @Test func parsesAndPrintsOnionAddresses() throws {
        let identity = NodeIdentity()
        let id = identity.nodeID
        #expect(id.bytes.count == 32)
        #expect(id.description.hasSuffix(".onion"))
        #expect(try NodeID(id.description) == id)
        #expect(try NodeID(String(id.description.dropLast(".onion".count))) == id)
        #expect(try NodeID(id.bytes) == id)
        #expect(throws: MaimoError.self) { try NodeID([UInt8](repeating: 1, count: 31)) }
        // One character changed breaks the checksum.
        var text = Array(id.description)
        text[3] = text[3] == "a" ? "b" : "a"
        #expect(throws: MaimoError.self) { try NodeID(String(text)) }
        #expect(throws: MaimoError.self) { try NodeID("127.0.0.1") }
    }

    @Test func catalogueRowsKeepTheirText() throws {
        let id = NodeIdentity().nodeID
        let peer = PeerRecord(name: "p", nodeID: id, address: "127.0.0.1:7070", added: 1)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(peer)) as? [String: Any]
        #expect(json?["nodeID"] as? String == id.description, "stored as its onion address, as before")
        #expect(try JSONDecoder().decode(PeerRecord.self, from: JSONEncoder().encode(peer)) == peer)

        let root = Blake3.hash(Array("a root".utf8))
        let proof = ProofRecord(kind: "pack", root: root, peer: "p", time: 2, outcome: .ok, samples: 1, failures: 0,
                                missProbability: 0, loss: 0.01, detail: nil, bytes: 1024)
        let proofJSON = try JSONSerialization.jsonObject(with: JSONEncoder().encode(proof)) as? [String: Any]
        #expect(proofJSON?["root"] as? String == root.description, "stored as hex, as before")
        #expect(try JSONDecoder().decode(ProofRecord.self, from: JSONEncoder().encode(proof)) == proof)

        // Damaged rows fail to decode with a DecodingError.
        let badPeer = Data(#"{"name":"p","nodeID":"notanonion","address":"127.0.0.1:7070","added":1}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(PeerRecord.self, from: badPeer) }
        let badRoot = Data(#"{"kind":"pack","root":"zz","peer":"p","time":2,"outcome":"ok","samples":1,"failures":0,"missProbability":0,"loss":0.01}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ProofRecord.self, from: badRoot) }
    }
}
