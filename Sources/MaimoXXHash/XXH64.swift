/// xxHash64, the checksum of every record, hint file and blob frame (see `Docs/Keystore.md`).
/// Not a cryptographic hash: it detects torn writes and bit rot, not tampering.
public enum XXH64 {
    static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    static let prime4: UInt64 = 0x85EB_CA77_C2B2_AE63
    static let prime5: UInt64 = 0x27D4_EB2F_1656_67C5

    /// The xxHash64 of `bytes` with `seed`.
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        var state = State(seed: seed)
        state.update(bytes)
        return state.finalize()
    }

    /// The xxHash64 of `bytes` with `seed`.
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    @inline(__always) static func round(_ acc: UInt64, _ input: UInt64) -> UInt64 {
        let a = acc &+ input &* prime2
        return ((a &<< 31) | (a &>> 33)) &* prime1
    }

    @inline(__always) static func merge(_ acc: UInt64, _ value: UInt64) -> UInt64 {
        (acc ^ round(0, value)) &* prime1 &+ prime4
    }

    /// Incremental xxHash64: `update` in any split gives the one-shot hash.
    public struct State: Sendable {
        var v1, v2, v3, v4: UInt64
        let seed: UInt64
        var total: UInt64 = 0
        var buffer: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var buffered = 0

        /// A state for the hash with `seed` (0 is the common one, and zstd's).
        public init(seed: UInt64 = 0) {
            self.seed = seed
            v1 = seed &+ prime1 &+ prime2
            v2 = seed &+ prime2
            v3 = seed
            v4 = seed &- prime1
        }

        /// Adds bytes to the hash.
        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard let base = bytes.baseAddress, bytes.count > 0 else { return }
            total &+= UInt64(bytes.count)
            var position = 0
            if buffered > 0 {
                let take = min(32 - buffered, bytes.count)
                withUnsafeMutableBytes(of: &buffer) { raw in
                    raw.baseAddress!.advanced(by: buffered).copyMemory(from: base, byteCount: take)
                }
                buffered += take
                position = take
                if buffered < 32 { return }
                withUnsafeBytes(of: buffer) { consumeStripes(UnsafeRawPointer($0.baseAddress!), 1) }
                buffered = 0
            }
            let stripes = (bytes.count - position) / 32
            if stripes > 0 {
                consumeStripes(base + position, stripes)
                position += stripes * 32
            }
            let rest = bytes.count - position
            if rest > 0 {
                withUnsafeMutableBytes(of: &buffer) { raw in
                    raw.baseAddress!.copyMemory(from: base + position, byteCount: rest)
                }
                buffered = rest
            }
        }

        @inline(__always) mutating func consumeStripes(_ pointer: UnsafeRawPointer, _ count: Int) {
            var a = v1, b = v2, c = v3, d = v4
            var p = pointer
            for _ in 0..<count {
                a = XXH64.round(a, UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
                b = XXH64.round(b, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
                c = XXH64.round(c, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self)))
                d = XXH64.round(d, UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
                p += 32
            }
            v1 = a; v2 = b; v3 = c; v4 = d
        }

        /// The hash of everything added so far; the state is unchanged.
        public func finalize() -> UInt64 {
            var h: UInt64
            if total >= 32 {
                h = ((v1 &<< 1) | (v1 &>> 63)) &+ ((v2 &<< 7) | (v2 &>> 57))
                    &+ ((v3 &<< 12) | (v3 &>> 52)) &+ ((v4 &<< 18) | (v4 &>> 46))
                h = XXH64.merge(h, v1)
                h = XXH64.merge(h, v2)
                h = XXH64.merge(h, v3)
                h = XXH64.merge(h, v4)
            } else {
                h = seed &+ prime5
            }
            h &+= total
            withUnsafeBytes(of: buffer) { raw in
                var i = 0
                while i + 8 <= buffered {
                    let k = XXH64.round(0, UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                    h ^= k
                    h = ((h &<< 27) | (h &>> 37)) &* prime1 &+ prime4
                    i += 8
                }
                if i + 4 <= buffered {
                    h ^= UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt32.self))) &* prime1
                    h = ((h &<< 23) | (h &>> 41)) &* prime2 &+ prime3
                    i += 4
                }
                while i < buffered {
                    h ^= UInt64(raw[i]) &* prime5
                    h = ((h &<< 11) | (h &>> 53)) &* prime1
                    i += 1
                }
            }
            h ^= h &>> 33
            h &*= prime2
            h ^= h &>> 29
            h &*= prime3
            h ^= h &>> 32
            return h
        }
    }
}
