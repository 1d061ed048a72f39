import Maimo
import MaimoBlake3
import MaimoCipher
import Testing

@Suite("engine keys and proof plans")
struct KeysTests {
    @Test func revisionKeysAreDerivedAndDistinct() throws {
        let master = try CipherKey(bytes: [UInt8](repeating: 1, count: 32))
        let ring = MasterKeyring(master: master)
        // Independent computation of the documented derivations.
        let expectedID = Array(Blake3.keyedHash(key: try Blake3.Key([UInt8](repeating: 1, count: 32)), Array("maimo key id v1".utf8)).bytes.prefix(8))
        #expect(ring.keyID == expectedID)
        let revision = [UInt8](repeating: 9, count: 16)
        let expectedKey = Blake3.deriveKey(context: "maimo 2026-11 revision key v1", material: [UInt8](repeating: 1, count: 32) + revision)
        #expect(ring.revisionKey(revision).withUnsafeBytes { Array($0) } == expectedKey)
        let a = MasterKeyring.newRevisionID(), b = MasterKeyring.newRevisionID()
        #expect(a != b && a.count == 16)
        #expect(ring.revisionKey(a).withUnsafeBytes { Array($0) } != ring.revisionKey(b).withUnsafeBytes { Array($0) })
        let other = MasterKeyring(master: CipherKey())
        #expect(other.keyID != ring.keyID)
        #expect(!"\(ring.master)".contains("0101"))
    }

    @Test func proofPlansMatchTheFormula() {
        // The figure the Bao demo prints: 1% lost, 99.9999% confidence.
        #expect(ProofPlan.samples(confidence: 0.999999, loss: 0.01) == 1375)
        #expect(ProofPlan.samples(confidence: 0.99, loss: 0.5) == 7)
        #expect(ProofPlan.samples(confidence: 0.5, loss: 1) == 1)
        let n = ProofPlan.samples(confidence: 0.9999, loss: 0.001)!
        #expect(ProofPlan.missProbability(samples: n, loss: 0.001) <= 0.0001)
        #expect(ProofPlan.missProbability(samples: n - 1, loss: 0.001) > 0.0001)
        #expect(ProofPlan.samples(confidence: 1, loss: 0.01) == nil)
        #expect(ProofPlan.samples(confidence: 0.9, loss: 0) == nil)
    }
}
