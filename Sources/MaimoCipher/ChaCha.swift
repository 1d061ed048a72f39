/// The ChaCha stream cipher with 8, 12 or 20 rounds, in D. J. Bernstein's original layout
/// (64-bit block counter, 8-byte nonce) or the IETF layout of RFC 8439 (32-bit counter, 12-byte
/// nonce), and HChaCha for deriving XChaCha subkeys. The keystream is seekable by block.
///
/// ```swift
/// var cipher = ChaCha(key: key, nonce: try ChaCha.Nonce(nonce8), rounds: .twenty)
/// try cipher.apply(to: &bytes)      // encrypts or decrypts in place
/// ```
public struct ChaCha: Sendable {
    /// How many rounds: 20 is the original; 12 and 8 trade margin for speed.
    public enum Rounds: Int, Sendable {
        /// ChaCha8: the fastest, still without a known attack; XChaCha8-Blake3-SIV uses it.
        case eight = 8
        /// ChaCha12.
        case twelve = 12
        /// ChaCha20, as in RFC 8439.
        case twenty = 20
    }

    /// Where the block counter and nonce sit in the state (the nonce's type chooses it).
    enum Layout: Sendable {
        /// Bernstein's: words 12–13 a 64-bit counter, words 14–15 an 8-byte nonce.
        case original
        /// RFC 8439: word 12 a 32-bit counter, words 13–15 a 12-byte nonce.
        case ietf
    }

    /// "expand 32-byte k". Computed, not a `static let`, so that no kernel calls `swift_once`.
    @inline(__always)
    static var constants: SIMD4<UInt32> { SIMD4<UInt32>(0x6170_7865, 0x3320_646E, 0x7962_2D32, 0x6B20_6574) }

    let key: SIMD8<UInt32>
    let nonce: SIMD4<UInt32>  // words 12–15 with the counter words zero
    let layout: Layout
    /// The number of rounds of every block.
    public let rounds: Rounds
    /// The next block of keystream.
    public private(set) var blockCounter: UInt64
    /// The current block's keystream as little-endian words (a value: no allocation per cipher).
    var buffered = SIMD16<UInt32>()
    var bufferedOffset = 64

    /// A cipher in Bernstein's layout (64-bit block counter) for `key` and an 8-byte nonce,
    /// starting at block `counter`.
    public init(key: CipherKey, nonce: Nonce, rounds: Rounds = .twenty, counter: UInt64 = 0) {
        self.init(keyWords: key.words, nonceWords: SIMD4(0, 0, nonce.word(0), nonce.word(1)), rounds: rounds,
                  layout: .original, counter: counter)
    }

    /// A cipher in the IETF layout of RFC 8439 (32-bit block counter) for `key` and a 12-byte
    /// nonce, starting at block `counter`.
    public init(key: CipherKey, nonce: IETFNonce, rounds: Rounds = .twenty, counter: UInt32 = 0) {
        self.init(keyWords: key.words, nonceWords: SIMD4(0, nonce.word(0), nonce.word(1), nonce.word(2)), rounds: rounds,
                  layout: .ietf, counter: UInt64(counter))
    }

    /// From state words 12–15 (counter words zero) that the caller has checked.
    init(keyWords: SIMD8<UInt32>, nonceWords: SIMD4<UInt32>, rounds: Rounds, layout: Layout, counter: UInt64) {
        self.key = keyWords
        self.nonce = nonceWords
        self.layout = layout
        self.rounds = rounds
        self.blockCounter = counter
    }

    /// Moves the keystream to the start of block `block`.
    public mutating func seek(toBlock block: UInt64) {
        blockCounter = block
        bufferedOffset = 64
    }

    /// XORs the keystream into `bytes` (encrypting or decrypting).
    /// - Throws: ``CipherError/counterOverflow`` when the IETF 32-bit counter would wrap.
    public mutating func apply(to bytes: UnsafeMutableRawBufferPointer) throws(CipherError) {
        guard let base = bytes.baseAddress else { return }
        try apply(from: UnsafeRawPointer(base), to: base, count: bytes.count)
    }

    /// Writes `count` bytes of `source` XOR the keystream to `destination`; the two may be the
    /// same address (in place) but must not otherwise overlap.
    mutating func apply(from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer, count: Int) throws(CipherError) {
        var offset = 0
        while offset < count {
            if bufferedOffset == 64 {
                // Eight blocks at a time in SIMD lanes, then single blocks, straight between the
                // caller's buffers.
                while count - offset >= 8 * 64 {
                    if layout == .ietf && blockCounter + 7 > UInt64(UInt32.max) { break }
                    chachaLanes(
                        key: key, nonce: nonce, counter: blockCounter, wideCounter: layout == .original,
                        doubleRounds: rounds.rawValue / 2, source: source + offset, destination: destination + offset)
                    blockCounter &+= 8
                    offset += 8 * 64
                }
                while count - offset >= 64 {
                    try checkCounter()
                    let block = keystreamBlock(blockCounter)
                    xorBlock(block, from: source + offset, into: destination + offset)
                    blockCounter &+= 1
                    offset += 64
                }
                guard offset < count else { break }
                try checkCounter()
                let block = keystreamBlock(blockCounter)
                blockCounter &+= 1
                for i in 0..<16 { buffered[i] = block[i].littleEndian }
                bufferedOffset = 0
            }
            let n = min(64 - bufferedOffset, count - offset)
            let start = bufferedOffset
            withUnsafeBytes(of: buffered) { keystream in
                for i in 0..<n {
                    destination.storeBytes(
                        of: source.load(fromByteOffset: offset + i, as: UInt8.self) ^ keystream[start + i],
                        toByteOffset: offset + i, as: UInt8.self)
                }
            }
            bufferedOffset += n
            offset += n
        }
    }

    /// Convenience: `apply(to:)` on an array.
    public mutating func apply(to bytes: inout [UInt8]) throws(CipherError) {
        var failure: CipherError?
        bytes.withUnsafeMutableBytes { buffer in
            do throws(CipherError) { try apply(to: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// The next `count` bytes of keystream.
    public mutating func keystream(count: Int) throws(CipherError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try apply(to: &bytes)
        return bytes
    }

    private func checkCounter() throws(CipherError) {
        if layout == .ietf && blockCounter > UInt64(UInt32.max) { throw .counterOverflow }
    }

    /// One 64-byte block of keystream, as host-order words.
    func keystreamBlock(_ counter: UInt64) -> SIMD16<UInt32> {
        var row3 = nonce
        row3[0] = UInt32(truncatingIfNeeded: counter)
        if layout == .original { row3[1] = UInt32(truncatingIfNeeded: counter >> 32) }
        let input = ChaChaRows(row0: Self.constants, row1: key.lowHalf, row2: key.highHalf, row3: row3)
        var state = input
        state.permute(doubleRounds: rounds.rawValue / 2)
        return SIMD16(
            lowHalf: SIMD8(lowHalf: state.row0 &+ input.row0, highHalf: state.row1 &+ input.row1),
            highHalf: SIMD8(lowHalf: state.row2 &+ input.row2, highHalf: state.row3 &+ input.row3))
    }

    /// HChaCha: a 32-byte subkey from a key and a 16-byte nonce, with the given rounds.
    public static func hChaCha(key: CipherKey, nonce: HChaChaNonce, rounds: Rounds = .twenty) -> CipherKey {
        var state = ChaChaRows(row0: constants, row1: key.words.lowHalf, row2: key.words.highHalf,
                               row3: SIMD4(nonce.word(0), nonce.word(1), nonce.word(2), nonce.word(3)))
        state.permute(doubleRounds: rounds.rawValue / 2)
        return CipherKey(words: SIMD8(lowHalf: state.row0, highHalf: state.row3))
    }
}

/// XChaCha: a 24-byte nonce, random nonces being safe. The subkey is HChaCha (same rounds) of the
/// key and the nonce's first 16 bytes; the cipher is original-layout ChaCha under that subkey
/// with the last 8 bytes as its nonce.
public enum XChaCha {
    /// A ChaCha cipher positioned at `counter` for `key` and a 24-byte nonce.
    public static func cipher(key: CipherKey, nonce: Nonce, rounds: ChaCha.Rounds = .twenty, counter: UInt64 = 0) -> ChaCha {
        nonce.withUnsafeBytes { cipher(keyWords: key.words, nonce: $0, rounds: rounds, counter: counter) }
    }

    /// As above from a 24-byte nonce the caller has checked, without copying it.
    static func cipher(keyWords: SIMD8<UInt32>, nonce: UnsafeRawBufferPointer, rounds: ChaCha.Rounds, counter: UInt64 = 0) -> ChaCha {
        @inline(__always) func word(_ i: Int) -> UInt32 { UInt32(littleEndian: nonce.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
        var state = ChaChaRows(
            row0: ChaCha.constants, row1: keyWords.lowHalf, row2: keyWords.highHalf, row3: SIMD4(word(0), word(1), word(2), word(3)))
        state.permute(doubleRounds: rounds.rawValue / 2)
        return ChaCha(
            keyWords: SIMD8(lowHalf: state.row0, highHalf: state.row3), nonceWords: SIMD4(0, 0, word(4), word(5)),
            rounds: rounds, layout: .original, counter: counter)
    }
}

/// The ChaCha state as four rows of four words: G runs on all columns at once, then on the
/// diagonals after rotating rows 1–3.
struct ChaChaRows {
    var row0, row1, row2, row3: SIMD4<UInt32>

    @inline(__always)
    mutating func quarterRounds() {
        row0 = row0 &+ row1; row3 = (row3 ^ row0).rotatedLeft(16)
        row2 = row2 &+ row3; row1 = (row1 ^ row2).rotatedLeft(12)
        row0 = row0 &+ row1; row3 = (row3 ^ row0).rotatedLeft(8)
        row2 = row2 &+ row3; row1 = (row1 ^ row2).rotatedLeft(7)
    }

    @inline(__always)
    mutating func permute(doubleRounds: Int) {
        for _ in 0..<doubleRounds {
            quarterRounds()
            row1 = SIMD4(row1[1], row1[2], row1[3], row1[0])
            row2 = SIMD4(row2[2], row2[3], row2[0], row2[1])
            row3 = SIMD4(row3[3], row3[0], row3[1], row3[2])
            quarterRounds()
            row1 = SIMD4(row1[3], row1[0], row1[1], row1[2])
            row2 = SIMD4(row2[2], row2[3], row2[0], row2[1])
            row3 = SIMD4(row3[1], row3[2], row3[3], row3[0])
        }
    }
}

extension SIMD4<UInt32> {
    /// Written with `&+` rather than `|` (the halves never overlap): see MaimoBlake3's kernels
    /// for why that matters in SSE2 builds.
    @inline(__always)
    func rotatedLeft(_ n: UInt32) -> Self { (self &<< n) &+ (self &>> (32 - n)) }
}

@inline(__always)
func littleEndianWord(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
}

@inline(__always)
func storeWords8(_ words: SIMD8<UInt32>, to destination: UnsafeMutableRawPointer) {
    for i in 0..<8 { destination.storeBytes(of: words[i].littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
}

@inline(__always)
func xorBlock(_ block: SIMD16<UInt32>, from source: UnsafeRawPointer, into destination: UnsafeMutableRawPointer) {
    let data = source.loadUnaligned(as: SIMD16<UInt32>.self)
    var littleEndian = block
    for i in 0..<16 { littleEndian[i] = block[i].littleEndian }
    destination.storeBytes(of: data ^ littleEndian, as: SIMD16<UInt32>.self)
}
