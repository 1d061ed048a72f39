import Testing
@testable import MaimoRepository
import MaimoTestSupport

@Suite struct RecoveryCodeTests {
    /// BIP-350's valid bech32m strings: the checksum must accept each.
    @Test("BIP-350 valid bech32m vectors", arguments: [
        "A1LQFN3A", "a1lqfn3a",
        "an83characterlonghumanreadablepartthatcontainsthetheexcludedcharactersbioandnumber11sg7hg6",
        "abcdef1l7aum6echk45nj3s0wdvt2fg8x9yrzpqzd3ryx",
        "11llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllludsr8",
        "split1checkupstagehandshakeupstreamerranterredcaperredlc445v",
        "?1v759aa",
    ])
    func validVectors(_ text: String) throws {
        let (human, data) = try RecoveryCode.decodeBech32m(text)
        // Encoding what was decoded gives the string back (lower case).
        #expect(RecoveryCode.encodeBech32m(humanPart: human, data: data) == text.lowercased())
    }

    /// BIP-350's invalid strings that fail on the checksum or characters.
    @Test("BIP-350 invalid bech32m vectors", arguments: [
        "qyrz8wqd2c9m", "1qyrz8wqd2c9m", "y1b0jsk6g", "lt1igcx5c0", "in1muywd", "mm1crxm3i", "au1s5cgom", "M1VUXWEZ", "16plkw9", "1p2gdwpf",
        // A bech32 (BIP-173) string is not bech32m.
        "a12uel5l",
    ])
    func invalidVectors(_ text: String) {
        #expect(throws: RecoveryCodeError.self) { _ = try RecoveryCode.decodeBech32m(text) }
    }

    @Test func workedExample() throws {
        let secret = (0..<32).map { UInt8($0) }
        let code = RecoveryCode.encode(secret)
        #expect(code == "maimo1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0s975yuu")
        #expect(code.count == RecoveryCode.length)
        #expect(try RecoveryCode.decode(code) == secret)
        #expect(try RecoveryCode.decode(code.uppercased()) == secret)
        // Grouped for writing down: spaces and dashes are ignored.
        let groups = stride(from: 0, to: code.count, by: 4).map { String(code.dropFirst($0).prefix(4)) }
        #expect(try RecoveryCode.decode(groups.joined(separator: " ")) == secret)
        #expect(try RecoveryCode.decode(groups.joined(separator: "-") + "\n") == secret)
    }

    @Test func everySingleMistypedCharacterIsCaught() throws {
        var generator = SeededGenerator.fromEnvironment("everySingleMistypedCharacterIsCaught")
        let secret = randomBytes(32, using: &generator)
        let code = Array(RecoveryCode.encode(secret).utf8)
        #expect(try RecoveryCode.decode(String(decoding: code, as: UTF8.self)) == secret)
        let alphabet = RecoveryCode.alphabet
        var refused = 0
        for position in 6..<code.count {
            for replacement in alphabet where replacement != code[position] {
                var typo = code
                typo[position] = replacement
                #expect(throws: RecoveryCodeError.self) { _ = try RecoveryCode.decode(String(decoding: typo, as: UTF8.self)) }
                refused += 1
            }
            if position + 1 < code.count, code[position] != code[position + 1] {
                var swapped = code
                swapped.swapAt(position, position + 1)
                #expect(throws: RecoveryCodeError.self) { _ = try RecoveryCode.decode(String(decoding: swapped, as: UTF8.self)) }
            }
        }
        #expect(refused == 58 * 31)
    }

    @Test func badInputIsNamed() {
        #expect(throws: RecoveryCodeError.wrongPrefix) { _ = try RecoveryCode.decode("jas1qqqq") }
        #expect(throws: RecoveryCodeError.wrongLength(10)) { _ = try RecoveryCode.decode("maimo1qqqq") }
        #expect(throws: RecoveryCodeError.mixedCase) { _ = try RecoveryCode.decode("Maimo1qqqq") }
        let code = RecoveryCode.encode([UInt8](repeating: 7, count: 32))
        var bad = Array(code.utf8)
        bad[20] = UInt8(ascii: "b")
        #expect(throws: RecoveryCodeError.badCharacter(position: 21)) { _ = try RecoveryCode.decode(String(decoding: bad, as: UTF8.self)) }
    }

    @Test func keysFollowFromTheCode() throws {
        let keys = RepositoryKeys.generate()
        let again = try RepositoryKeys(recoveryCode: keys.recoveryCode)
        #expect(again.keyID == keys.keyID)
        #expect(again.identitySeed == keys.identitySeed)
        #expect(again.gear.values == keys.gear.values)
        #expect(again.itemID([1, 2, 3]) == keys.itemID([1, 2, 3]))
        let other = RepositoryKeys.generate()
        #expect(other.keyID != keys.keyID)
        #expect(other.itemID([1, 2, 3]) != keys.itemID([1, 2, 3]))
        #expect(Set([keys.identitySeed, keys.dataKey.withUnsafeBytes { Array($0) }, keys.secret.withUnsafeBytes { Array($0) }]).count == 3)
        #expect(throws: RepositoryError.self) { _ = try RepositoryKeys(recoveryCode: "maimo1") }
    }
}
