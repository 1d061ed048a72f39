import Crypto
import Foundation
import MaimoTor
import Testing

/// v3 onion addresses against tor's own test vector (test_hs_common.c, `test_build_address`:
/// the RFC 8032 test-1 key), and every kind of malformed address.
@Suite("onion addresses and keys")
struct OnionAddressTests {
    static let seed = Array(hex: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    static let publicKey = Array(hex: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
    static let address = "25njqamcweflpvkl73j4szahhihoc4xt3ktcgjnpaingr5yhkenl5sid"

    @Test func knownKeyHasTorsAddress() throws {
        let key = try OnionServiceKey(seed: Self.seed)
        #expect(Array(key.signingKey.publicKey.rawRepresentation) == Self.publicKey)
        #expect(key.address.serviceID == Self.address)
        #expect(key.address.description == Self.address + ".onion")
        #expect(try OnionAddress(publicKeyBytes: Self.publicKey).serviceID == Self.address)
        // The expanded secret key: SHA-512 of the seed, clamped (computed with Python's hashlib).
        #expect(key.expandedSecretKey == Array(hex: "307c83864f2833cb427a2ef1c00a013cfdff2768d980c0a3a520f006904de94f9b4f0afe280b746a778684e75442502057b7473a03f08f96f5a38e9287e01f8f"))
        #expect(key.addOnionKeyBlob == "ED25519-V3:" + Data(key.expandedSecretKey).base64EncodedString())
        #expect(!key.description.contains(Data(Self.seed).base64EncodedString()))
    }

    @Test func parsesValidForms() throws {
        for text in [Self.address, Self.address + ".onion", Self.address.uppercased() + ".ONION", "www." + Self.address + ".onion"] {
            #expect(try OnionAddress(text).publicKey == Self.publicKey, "\(text)")
        }
        let fresh = OnionServiceKey()
        #expect(try OnionAddress(fresh.address.description) == fresh.address)
    }

    @Test func rejectsMalformedAddresses() throws {
        var badChecksum = Array(Self.address)
        badChecksum[50] = badChecksum[50] == "a" ? "b" : "a"
        #expect(throws: TorError.self) { try OnionAddress(String(badChecksum)) }
        do {
            _ = try OnionAddress(String(badChecksum))
        } catch {
            guard case let .invalidOnionAddress(_, reason) = error else { Issue.record("wrong error \(error)"); return }
            #expect(reason.contains("checksum") || reason.contains("version"))
        }
        // Version 2 with a valid checksum for version 2's byte: change the version byte.
        var bytes = Self.publicKey + [0, 0, 2]
        var hasher = SHA3_256()
        hasher.update(data: Array(".onion checksum".utf8) + Self.publicKey + [2])
        let sum = Array(hasher.finalize().prefix(2))
        bytes[32] = sum[0]; bytes[33] = sum[1]
        let versionTwo = base32(bytes)
        #expect(throws: TorError.invalidOnionAddress(versionTwo, reason: "version 2, not 3")) { try OnionAddress(versionTwo) }
        #expect(throws: TorError.self) { try OnionAddress("expyuzz4wqqyqhjn.onion") }          // a v2 address
        #expect(throws: TorError.self) { try OnionAddress(String(Self.address.dropLast())) }
        #expect(throws: TorError.self) { try OnionAddress(String(Self.address.dropLast()) + "1") } // not base32
        #expect(throws: TorError.self) { try OnionAddress("") }
    }

    @Test func keyFilesArePrivateAndNeverOverwritten() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-onion-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = OnionServiceKey()
        try key.write(to: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try OnionServiceKey(contentsOf: path).address == key.address)
        #expect(throws: TorError.self) { try OnionServiceKey().write(to: path) }
        _ = FileManager.default.createFile(atPath: path + ".bad", contents: Data("not a key".utf8))
        defer { try? FileManager.default.removeItem(atPath: path + ".bad") }
        #expect(throws: TorError.self) { try OnionServiceKey(contentsOf: path + ".bad") }
        // A key file its group or others may read is refused, and the error says how to fix it.
        for mode in [0o640, 0o604, 0o620] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            let error = #expect(throws: TorError.self) { try OnionServiceKey(contentsOf: path) }
            #expect("\(error!)".contains("chmod 600") && "\(error!)".contains(String(mode, radix: 8)))
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: path)
        #expect(try OnionServiceKey(contentsOf: path).address == key.address)
    }

    func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var out = "", buffer = 0, bits = 0
        for byte in bytes {
            buffer = buffer << 8 | Int(byte); bits += 8
            while bits >= 5 { out.append(alphabet[(buffer >> (bits - 5)) & 31]); bits -= 5 }
        }
        return out
    }
}

extension Array where Element == UInt8 {
    init(hex: String) {
        let digits = Array(hex.utf8)
        self = stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
    }
}
