import Testing
import MaimoTestSupport
@testable import MaimoCipher

@Suite("Segmented ciphertext")
struct SegmentedTests {
    func seal(_ content: [UInt8], key: CipherKey, segmentSize: Int = 1024, pad: Bool = false, pieces: Int = 3, threads: Int = 1) throws -> [UInt8] {
        var encryptor = try SegmentedEncryptor(key: key, contentLength: UInt64(content.count), segmentSize: segmentSize, pad: pad)
        encryptor.threadCount = threads
        var out = encryptor.header
        let step = max(1, content.count / pieces)
        var offset = 0
        while offset < content.count {
            let n = min(step, content.count - offset)
            out += try encryptor.update(Array(content[offset..<(offset + n)]))
            offset += n
        }
        return out + (try encryptor.finalize())
    }

    func open(_ sealed: [UInt8], key: CipherKey, pieceSize: Int = 777, threads: Int = 1) throws -> [UInt8] {
        var decryptor = SegmentedDecryptor(key: key)
        decryptor.threadCount = threads
        var out: [UInt8] = []
        var offset = 0
        while offset < sealed.count {
            let n = min(pieceSize, sealed.count - offset)
            out += try decryptor.update(Array(sealed[offset..<(offset + n)]))
            offset += n
        }
        return out + (try decryptor.finalize())
    }

    @Test func roundTripsAcrossSegmentBoundaries() throws {
        var generator = SeededGenerator.fromEnvironment("Segmented roundTrips")
        let key = try CipherKey(bytes: randomBytes(32, using: &generator))
        for size in [0, 1, 1015, 1016, 1017, 2040, 2048, 3000, 10_000] + (0..<5).map({ _ in Int.random(in: 0...50_000, using: &generator) }) {
            let content = randomBytes(size, using: &generator)
            for (pad, threads) in [(false, 1), (true, 1), (false, 3), (true, 2)] {
                let sealed = try seal(content, key: key, pad: pad, threads: threads)
                #expect(try open(sealed, key: key) == content, "size \(size) pad \(pad)")
                #expect(try open(sealed, key: key, pieceSize: sealed.count) == content)
                #expect(try open(sealed, key: key, pieceSize: sealed.count, threads: 3) == content)
                #expect(try open(sealed, key: key, pieceSize: 5000, threads: 2) == content)
                let logical = UInt64(8 + size)
                let expectedLogical = pad ? SegmentedCiphertext.padme(logical) : logical
                let segments = (expectedLogical + 1023) / 1024
                #expect(UInt64(sealed.count) == 40 + segments * 32 + expectedLogical, "size \(size) pad \(pad)")
            }
        }
    }

    @Test func tamperingIsRejected() throws {
        let key = CipherKey()
        let content = (0..<5000).map { UInt8(truncatingIfNeeded: $0) }
        let sealed = try seal(content, key: key)  // 5008 logical bytes: 5 segments of 1024 + 1 of 888
        let segment = 32 + 1024
        // Any single flipped bit.
        for offset in stride(from: 0, to: sealed.count, by: 97) {
            var bad = sealed
            bad[offset] ^= 4
            #expect(throws: SegmentedError.self, "offset \(offset)") { try open(bad, key: key) }
            #expect(throws: SegmentedError.self, "offset \(offset), parallel") {
                try open(bad, key: key, pieceSize: bad.count, threads: 2)
            }
        }
        // In parallel the first bad segment in order is the one reported.
        var twoBad = sealed
        twoBad[40 + 3 * segment + 40] ^= 1
        twoBad[40 + 1 * segment + 40] ^= 1
        #expect(throws: SegmentedError.authenticationFailed(segment: 1)) { try open(twoBad, key: key, pieceSize: twoBad.count, threads: 2) }
        // Truncation at a segment boundary and inside a segment.
        #expect(throws: SegmentedError.authenticationFailed(segment: 3)) { try open(Array(sealed[..<(40 + 4 * segment)]), key: key) }
        #expect(throws: SegmentedError.self) { try open(Array(sealed[..<(sealed.count - 5)]), key: key) }
        #expect(throws: SegmentedError.truncated(segment: 0)) { try open(Array(sealed[..<40]), key: key) }
        // Reordering and duplication.
        var swapped = Array(sealed[..<40]) + sealed[(40 + segment)..<(40 + 2 * segment)] + sealed[40..<(40 + segment)]
        swapped += sealed[(40 + 2 * segment)...]
        #expect(throws: SegmentedError.authenticationFailed(segment: 0)) { try open(swapped, key: key) }
        let duplicated = Array(sealed[..<(40 + 2 * segment)]) + sealed[(40 + segment)...]
        #expect(throws: SegmentedError.authenticationFailed(segment: 2)) { try open(duplicated, key: key) }
        // Splicing a segment from another file sealed with the same key.
        let other = try seal(content, key: key)
        let spliced = Array(sealed[..<(40 + segment)]) + other[(40 + segment)..<(40 + 2 * segment)] + sealed[(40 + 2 * segment)...]
        #expect(throws: SegmentedError.authenticationFailed(segment: 1)) { try open(spliced, key: key) }
        // Wrong key, bad magic, unknown version, trailing data.
        #expect(throws: SegmentedError.authenticationFailed(segment: 0)) { try open(sealed, key: CipherKey()) }
        var magic = sealed
        magic[0] = UInt8(ascii: "X")
        #expect(throws: SegmentedError.notSegmentedCiphertext) { try open(magic, key: key) }
        var version = sealed
        version[8] = 2
        #expect(throws: SegmentedError.unsupportedVersion(2)) { try open(version, key: key) }
    }

    @Test func emptyContentAndPadme() throws {
        let key = CipherKey()
        #expect(try open(seal([], key: key), key: key) == [])
        #expect(try open(seal([], key: key, pad: true), key: key) == [])
        #expect(SegmentedCiphertext.padme(8) == 8)
        #expect(SegmentedCiphertext.padme(1000) == 1024)  // E = 9, S = 4: the last 5 bits round up
        for length: UInt64 in [9, 100, 4097, 1 << 20, 123_456_789] {
            let padded = SegmentedCiphertext.padme(length)
            #expect(padded >= length && Double(padded - length) <= 0.12 * Double(length) + 1, "\(length) → \(padded)")
        }
    }

    @Test func encryptorRefusesWrongLengths() throws {
        var encryptor = try SegmentedEncryptor(key: CipherKey(), contentLength: 10)
        _ = try encryptor.update([1, 2, 3])
        #expect(throws: SegmentedError.lengthMismatch(expected: 10, received: 3)) { _ = try encryptor.finalize() }
        #expect(throws: SegmentedError.invalidSegmentSize(100)) { try SegmentedEncryptor(key: CipherKey(), contentLength: 1, segmentSize: 100) }
    }
}

@Suite("ChaCha lanes")
struct ChaChaLaneTests {
    @Test func laneKernelMatchesSingleBlocksAcrossTheCounterCarry() throws {
        let key = CipherKey()
        for rounds in [ChaCha.Rounds.eight, .twelve, .twenty] {
            let start = UInt64(UInt32.max) - 3  // the low counter word wraps inside the lanes
            var wide = ChaCha(key: key, nonce: try ChaCha.Nonce([UInt8](repeating: 7, count: 8)), rounds: rounds, counter: start)
            let together = try wide.keystream(count: 2048)
            var single = ChaCha(key: key, nonce: try ChaCha.Nonce([UInt8](repeating: 7, count: 8)), rounds: rounds, counter: start)
            var blocks: [UInt8] = []
            for _ in 0..<32 { blocks += try single.keystream(count: 64) }
            #expect(together == blocks, "ChaCha\(rounds.rawValue)")
        }
    }
}
