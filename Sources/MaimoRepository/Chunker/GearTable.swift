import MaimoBlake3

/// The chunker's 256 random 64-bit values, secret per repository: the first 2048 bytes of the
/// BLAKE3 XOF of `keyed(gear seed; "maimo gear table")` (Docs/Repository.md §2), except that the
/// value for the byte 0 is 0, so that a window of 64 zero bytes hashes to 0 and ends a chunk
/// (zero padding in binaries and sparse images is a boundary, as in restic's Rabin chunker).
public struct GearTable: Sendable {
    /// The 256 values, indexed by byte.
    public let values: [UInt64]

    /// The table derived from the repository's gear seed.
    public init(seed: Blake3.Key) {
        var hasher = Blake3(key: seed)
        hasher.update(Array("maimo gear table".utf8))
        var reader = hasher.finalizeXOF()
        let bytes = reader.read(count: 2048)
        values = (0..<256).map { i in
            if i == 0 { return 0 }
            var value: UInt64 = 0
            for j in 0..<8 { value |= UInt64(bytes[i * 8 + j]) << (8 * UInt64(j)) }
            return value
        }
    }

    /// A table of given values (tests; the chunker uses them as they are).
    public init(values: [UInt64]) {
        precondition(values.count == 256)
        self.values = values
    }
}
