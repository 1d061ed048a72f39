import Testing
import MaimoTestSupport
import MaimoBlake3
@testable import MaimoCipher

struct ChaChaVectorFile: Decodable {
    struct Block: Decodable { let rounds: Int; let key: String; let nonce: String; let counter: UInt64; let keystream: String }
    struct HChaCha: Decodable { let rounds: Int; let key: String; let nonce: String; let subkey: String }
    struct XChaChaCase: Decodable {
        let rounds: Int; let key: String; let nonce: String; let counter: UInt64; let plaintext_len: Int; let ciphertext: String
    }
    let chacha: [Block]
    let hchacha: [HChaCha]
    let xchacha: [XChaChaCase]
}

struct SIVVectorFile: Decodable {
    struct Case: Decodable {
        let key: String; let nonce: String; let ad_len: Int; let plaintext_len: Int; let tag: String
        let ciphertext: String?; let ciphertext_blake3: String?
    }
    let cases: [Case]
}

func rounds(_ n: Int) -> ChaCha.Rounds { ChaCha.Rounds(rawValue: n)! }
func plaintext(_ n: Int) -> [UInt8] { (0..<n).map { UInt8($0 % 251) } }

@Suite("ChaCha and XChaCha8-Blake3-SIV vectors")
struct CipherVectorTests {
    let chacha: ChaChaVectorFile
    let siv: SIVVectorFile

    init() throws {
        chacha = try Vectors.load("chacha", as: ChaChaVectorFile.self)
        siv = try Vectors.load("xchacha8blake3siv", as: SIVVectorFile.self)
    }

    @Test func filesHaveCases() {
        #expect(!chacha.chacha.isEmpty && !chacha.hchacha.isEmpty && !chacha.xchacha.isEmpty && !siv.cases.isEmpty)
    }

    @Test func chachaKeystreams() throws {
        for c in chacha.chacha {
            let key = try CipherKey(bytes: bytes(fromHex: c.key))
            let expected = bytes(fromHex: c.keystream)
            var cipher = try ChaCha(key: key, nonce: ChaCha.Nonce(bytes(fromHex: c.nonce)), rounds: rounds(c.rounds), counter: c.counter)
            #expect(try cipher.keystream(count: expected.count) == expected, "ChaCha\(c.rounds) counter \(c.counter)")
            // Seeking to a block gives the same bytes as reading up to it.
            if expected.count > 128 {
                var seeking = try ChaCha(key: key, nonce: ChaCha.Nonce(bytes(fromHex: c.nonce)), rounds: rounds(c.rounds))
                seeking.seek(toBlock: c.counter + 1)
                #expect(try seeking.keystream(count: 64) == Array(expected[64..<128]))
            }
            // Any split of the same stream gives the same bytes.
            var pieces = try ChaCha(key: key, nonce: ChaCha.Nonce(bytes(fromHex: c.nonce)), rounds: rounds(c.rounds), counter: c.counter)
            var joined: [UInt8] = []
            for size in [1, 63, 2, 64, 65, 7, 1000] where joined.count < expected.count {
                joined += try pieces.keystream(count: min(size, expected.count - joined.count))
            }
            #expect(joined == Array(expected.prefix(joined.count)))
        }
    }

    @Test func hchacha() throws {
        for c in chacha.hchacha {
            let subkey = try ChaCha.hChaCha(key: CipherKey(bytes: bytes(fromHex: c.key)), nonce: ChaCha.HChaChaNonce(bytes(fromHex: c.nonce)), rounds: rounds(c.rounds))
            #expect(subkey.withUnsafeBytes { Array($0) } == bytes(fromHex: c.subkey), "HChaCha\(c.rounds)")
        }
    }

    @Test func xchacha() throws {
        for c in chacha.xchacha {
            var data = plaintext(c.plaintext_len)
            var cipher = try XChaCha.cipher(key: CipherKey(bytes: bytes(fromHex: c.key)), nonce: XChaCha.Nonce(bytes(fromHex: c.nonce)), rounds: rounds(c.rounds), counter: c.counter)
            try cipher.apply(to: &data)
            #expect(data == bytes(fromHex: c.ciphertext), "XChaCha\(c.rounds) length \(c.plaintext_len)")
        }
    }

    @Test func sivSealAndOpen() throws {
        for c in siv.cases {
            let key = try CipherKey(bytes: bytes(fromHex: c.key))
            let nonce = try XChaCha8Blake3SIV.Nonce(bytes(fromHex: c.nonce))
            let ad = (0..<c.ad_len).map { UInt8(($0 + 7) % 251) }
            let message = plaintext(c.plaintext_len)
            let box = try XChaCha8Blake3SIV.seal(message, key: key, nonce: nonce, associatedData: ad)
            #expect(box.tag == bytes(fromHex: c.tag), "ad \(c.ad_len) plaintext \(c.plaintext_len)")
            if let ciphertext = c.ciphertext {
                #expect(box.ciphertext == bytes(fromHex: ciphertext))
            }
            if let digest = c.ciphertext_blake3 {
                #expect(Blake3.hash(box.ciphertext).description == digest)
            }
            #expect(try XChaCha8Blake3SIV.open(box, key: key, nonce: nonce, associatedData: ad) == message)
        }
    }
}

@Suite("XChaCha8-Blake3-SIV misuse and tampering")
struct SIVTamperTests {
    @Test func everyChangeIsRejected() throws {
        var generator = SeededGenerator.fromEnvironment("SIV everyChangeIsRejected")
        let key = try CipherKey(bytes: randomBytes(32, using: &generator))
        let nonceBytes = randomBytes(24, using: &generator)
        let nonce = try XChaCha8Blake3SIV.Nonce(nonceBytes)
        let ad = randomBytes(20, using: &generator)
        let message = randomBytes(200, using: &generator)
        let box = try XChaCha8Blake3SIV.seal(message, key: key, nonce: nonce, associatedData: ad)
        for i in box.tag.indices {
            var bad = box
            bad.tag[i] ^= 1
            #expect(throws: CipherError.authenticationFailed) { try XChaCha8Blake3SIV.open(bad, key: key, nonce: nonce, associatedData: ad) }
        }
        for i in box.ciphertext.indices {
            var bad = box
            bad.ciphertext[i] ^= 0x80
            #expect(throws: CipherError.authenticationFailed) { try XChaCha8Blake3SIV.open(bad, key: key, nonce: nonce, associatedData: ad) }
        }
        var badNonce = nonceBytes
        badNonce[23] ^= 1
        #expect(throws: CipherError.authenticationFailed) {
            try XChaCha8Blake3SIV.open(box, key: key, nonce: XChaCha8Blake3SIV.Nonce(badNonce), associatedData: ad)
        }
        #expect(throws: CipherError.authenticationFailed) { try XChaCha8Blake3SIV.open(box, key: key, nonce: nonce, associatedData: ad + [0]) }
        #expect(throws: CipherError.authenticationFailed) { try XChaCha8Blake3SIV.open(box, key: CipherKey(), nonce: nonce, associatedData: ad) }
        var truncated = box
        truncated.ciphertext.removeLast()
        #expect(throws: CipherError.authenticationFailed) { try XChaCha8Blake3SIV.open(truncated, key: key, nonce: nonce, associatedData: ad) }
        #expect(throws: CipherError.invalidNonceLength(expected: 24, got: 12)) {
            try XChaCha8Blake3SIV.Nonce(nonceBytes.prefix(12))
        }
    }

    @Test func nonceReuseOnlyRevealsEquality() throws {
        let key = CipherKey()
        let nonce = XChaCha8Blake3SIV.Nonce()
        let a = try XChaCha8Blake3SIV.seal(Array("attack at dawn".utf8), key: key, nonce: nonce)
        let b = try XChaCha8Blake3SIV.seal(Array("attack at dusk".utf8), key: key, nonce: nonce)
        let c = try XChaCha8Blake3SIV.seal(Array("attack at dawn".utf8), key: key, nonce: nonce)
        #expect(a == c)  // deterministic: the same message gives the same box
        #expect(a.tag != b.tag)
        // Different tags mean different keystreams: XOR of ciphertexts is not XOR of plaintexts.
        let xorCiphertexts = zip(a.ciphertext, b.ciphertext).map { $0 ^ $1 }
        let xorPlaintexts = zip(Array("attack at dawn".utf8), Array("attack at dusk".utf8)).map { $0 ^ $1 }
        #expect(xorCiphertexts != xorPlaintexts)
    }

    @Test func keysDoNotPrintAndIETFCounterStops() throws {
        let key = CipherKey()
        #expect(!String(describing: key).contains(key.withUnsafeBytes { hexString($0) }))
        #expect(throws: CipherError.invalidKeyLength(31)) { try CipherKey(bytes: [UInt8](repeating: 0, count: 31)) }
        var cipher = ChaCha(key: key, nonce: try ChaCha.IETFNonce([UInt8](repeating: 0, count: 12)), counter: UInt32.max)
        _ = try cipher.keystream(count: 64)
        #expect(throws: CipherError.counterOverflow) { try cipher.keystream(count: 1) }
    }

    /// Each construction's nonce type takes its own length and no other, and a random one has it.
    @Test func eachNonceTypeHasItsLength() throws {
        func check<C: NonceLength>(_: CipherNonce<C>.Type, _ length: Int) throws {
            #expect(Array(CipherNonce<C>()).count == length)
            #expect(try Array(CipherNonce<C>([UInt8](repeating: 9, count: length))) == [UInt8](repeating: 9, count: length))
            for wrong in [0, length - 1, length + 1, 32] {
                #expect(throws: CipherError.invalidNonceLength(expected: length, got: wrong)) {
                    try CipherNonce<C>([UInt8](repeating: 0, count: wrong))
                }
            }
        }
        try check(ChaCha.Nonce.self, 8)
        try check(ChaCha.IETFNonce.self, 12)
        try check(ChaCha.HChaChaNonce.self, 16)
        try check(XChaCha.Nonce.self, 24)
        try check(XChaCha8Blake3SIV.Nonce.self, 24)
        #expect(XChaCha8Blake3SIV.Nonce() != XChaCha8Blake3SIV.Nonce(), "random nonces differ")
    }
}

@Suite("ChaCha20, IETF layout (RFC 8439)")
struct IETFTests {
    let key = (0..<32).map { UInt8($0) }

    @Test func blockFunction() throws {
        // RFC 8439 §2.3.2: key 00…1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00, counter 1.
        var cipher = try ChaCha(key: CipherKey(bytes: key), nonce: ChaCha.IETFNonce(bytes(fromHex: "000000090000004a00000000")), counter: 1)
        #expect(try cipher.keystream(count: 64) == bytes(fromHex:
            "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4ed2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"))
    }

    @Test func encryption() throws {
        // RFC 8439 §2.4.2: the sunscreen message, nonce 00:00:00:00:00:00:00:4a:00:00:00:00, counter 1.
        var message = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        var cipher = try ChaCha(key: CipherKey(bytes: key), nonce: ChaCha.IETFNonce(bytes(fromHex: "000000000000004a00000000")), counter: 1)
        try cipher.apply(to: &message)
        #expect(message == bytes(fromHex:
            "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d"))
    }
}

struct ParallelSIVTests {
    /// Several threads give exactly the serial tag and ciphertext, at and around the threshold
    /// and at sizes that do not split into whole blocks; a flipped bit still fails to open.
    @Test func parallelSealAndOpenEqualSerial() throws {
        var generator = SeededGenerator.fromEnvironment("parallel siv")
        let key = CipherKey()
        let nonce = XChaCha8Blake3SIV.Nonce()
        for size in [XChaCha8Blake3SIV.parallelThreshold - 1, XChaCha8Blake3SIV.parallelThreshold,
                     XChaCha8Blake3SIV.parallelThreshold + 1, (1 << 20) + 37, 3 * (1 << 20) + 64] {
            let plaintext = randomBytes(size, using: &generator)
            let serial = try XChaCha8Blake3SIV.seal(plaintext, key: key, nonce: nonce, associatedData: [7])
            for threads in [2, 3, 4] {
                let parallel = try XChaCha8Blake3SIV.seal(plaintext, key: key, nonce: nonce, associatedData: [7], threadCount: threads)
                #expect(parallel == serial, "size \(size), \(threads) threads")
                #expect(try XChaCha8Blake3SIV.open(serial, key: key, nonce: nonce, associatedData: [7], threadCount: threads) == plaintext)
            }
            var tampered = serial
            tampered.ciphertext[size / 2] ^= 1
            #expect(throws: CipherError.authenticationFailed) {
                try XChaCha8Blake3SIV.open(tampered, key: key, nonce: nonce, associatedData: [7], threadCount: 2)
            }
        }
    }

    /// The threaded one-pass open (pieces of the header-and-plaintext stream, merged as BLAKE3's
    /// tree) gives the serial tag for headers of every shape — empty, odd, more than a chunk,
    /// more than a piece — and sizes that end inside, at and just past a piece; any flipped byte,
    /// in the first, a middle or the last piece, is refused.
    @Test func threadedOpenMatchesTheTreeForEveryHeader() throws {
        var generator = SeededGenerator.fromEnvironment("threaded open")
        let key = CipherKey()
        let nonce = XChaCha8Blake3SIV.Nonce()
        let piece = XChaCha8Blake3SIV.fusedPiece
        for adLength in [0, 5, 1500, piece + 3] {
            let ad = randomBytes(adLength, using: &generator)
            for size in [XChaCha8Blake3SIV.parallelThreshold, 5 * piece - 32 - adLength, 5 * piece + 1, 9 * piece + 777] {
                let message = randomBytes(size, using: &generator)
                let box = try XChaCha8Blake3SIV.seal(message, key: key, nonce: nonce, associatedData: ad)
                for threads in [2, 3] {
                    #expect(try XChaCha8Blake3SIV.open(box, key: key, nonce: nonce, associatedData: ad, threadCount: threads) == message,
                            "ad \(adLength), size \(size), \(threads) threads")
                }
                for position in [0, size / 2, size - 1] {
                    var bad = box
                    bad.ciphertext[position] ^= 0x40
                    #expect(throws: CipherError.authenticationFailed) {
                        try XChaCha8Blake3SIV.open(bad, key: key, nonce: nonce, associatedData: ad, threadCount: 2)
                    }
                }
            }
        }
    }
}

@Suite("XChaCha8-Blake3-SIV paths against a model")
struct SIVPathTests {
    /// The construction spelled out with the public pieces: keyed BLAKE3 over the whole header
    /// and plaintext in one call, then XChaCha8 keyed by the tag.
    func model(_ message: [UInt8], key: CipherKey, nonce: XChaCha8Blake3SIV.Nonce, ad: [UInt8]) throws -> XChaCha8Blake3SIV.SealedBox {
        var length = UInt64(ad.count).littleEndian
        let header = Array(nonce) + withUnsafeBytes(of: &length) { Array($0) } + ad
        let macKey = try key.withUnsafeBytes { try Blake3.Key($0) }
        let tag = Blake3.keyedHash(key: macKey, header + message).bytes
        var cipher = try XChaCha.cipher(key: key, nonce: XChaCha.Nonce(tag.prefix(24)), rounds: .eight)
        var ciphertext = message
        try cipher.apply(to: &ciphertext)
        return XChaCha8Blake3SIV.SealedBox(tag: tag, ciphertext: ciphertext)
    }

    /// Sizes around the one-chunk fast path of the tag (header + plaintext ≤ 1024 bytes), the
    /// pieces of the one-pass open (64 KiB) and odd tails: seal, sealInPlace, open and openInPlace
    /// all agree with the model, and a flipped last byte is refused by every open.
    @Test func everyPathMatchesTheModel() throws {
        var generator = SeededGenerator.fromEnvironment("SIV paths")
        let key = try CipherKey(bytes: randomBytes(32, using: &generator))
        let nonce = try XChaCha8Blake3SIV.Nonce(randomBytes(24, using: &generator))
        let piece = XChaCha8Blake3SIV.fusedPiece
        for adLength in [0, 13] {
            let ad = randomBytes(adLength, using: &generator)
            let oneChunk = 1024 - 32 - adLength
            for size in [0, 1, 63, 64, 65, 511, 512, 513, oneChunk - 1, oneChunk, oneChunk + 1, 1024, 2048 + 3,
                         piece - 1, piece, piece + 1, 3 * piece + 100] {
                let message = randomBytes(size, using: &generator)
                let expected = try model(message, key: key, nonce: nonce, ad: ad)
                let box = try XChaCha8Blake3SIV.seal(message, key: key, nonce: nonce, associatedData: ad)
                #expect(box == expected, "seal: ad \(adLength), size \(size)")
                var inPlace = message
                let tag = try inPlace.withUnsafeMutableBytes {
                    try XChaCha8Blake3SIV.sealInPlace($0, key: key, nonce: nonce, associatedData: ad)
                }
                #expect(tag == expected.tag && inPlace == expected.ciphertext, "sealInPlace: size \(size)")
                #expect(try XChaCha8Blake3SIV.open(box, key: key, nonce: nonce, associatedData: ad) == message, "open: size \(size)")
                try inPlace.withUnsafeMutableBytes {
                    try XChaCha8Blake3SIV.openInPlace($0, tag: tag, key: key, nonce: nonce, associatedData: ad)
                }
                #expect(inPlace == message, "openInPlace: size \(size)")
                guard size > 0 else { continue }
                var bad = box
                bad.ciphertext[size - 1] ^= 0x01
                #expect(throws: CipherError.authenticationFailed) {
                    try XChaCha8Blake3SIV.open(bad, key: key, nonce: nonce, associatedData: ad)
                }
                var badInPlace = bad.ciphertext
                #expect(throws: CipherError.authenticationFailed) {
                    try badInPlace.withUnsafeMutableBytes {
                        try XChaCha8Blake3SIV.openInPlace($0, tag: tag, key: key, nonce: nonce, associatedData: ad)
                    }
                }
                #expect(badInPlace.allSatisfy { $0 == 0 }, "a refused buffer is zeroed")
            }
        }
    }

    /// Keystream from one buffer into another equals the keystream applied in place, from any
    /// starting offset within a block.
    @Test func keystreamBetweenBuffersEqualsInPlace() throws {
        var generator = SeededGenerator.fromEnvironment("ChaCha between buffers")
        let key = try CipherKey(bytes: randomBytes(32, using: &generator))
        let nonce = try ChaCha.Nonce(randomBytes(8, using: &generator))
        for size in [1, 64, 100, 512, 700, 4096 + 5] {
            for skip in [0, 3, 64, 65] {
                let input = randomBytes(size, using: &generator)
                var inPlace = input
                var first = ChaCha(key: key, nonce: nonce, rounds: .eight)
                _ = try first.keystream(count: skip)
                try first.apply(to: &inPlace)
                var second = ChaCha(key: key, nonce: nonce, rounds: .eight)
                _ = try second.keystream(count: skip)
                var output = [UInt8](repeating: 0, count: size)
                try input.withUnsafeBytes { source in
                    try output.withUnsafeMutableBytes { try second.apply(from: source.baseAddress!, to: $0.baseAddress!, count: size) }
                }
                #expect(output == inPlace, "size \(size), skip \(skip)")
            }
        }
    }
}
