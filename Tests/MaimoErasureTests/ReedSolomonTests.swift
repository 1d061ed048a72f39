@testable import MaimoErasure
import MaimoTestSupport
import Testing

/// GF(2⁸) the slow way, shared with nothing in the library: shift-and-add multiplication
/// reduced by x⁸ + x⁴ + x³ + x² + 1, inverses by search.
enum Model {
    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = UInt16(a), b = b, product: UInt16 = 0
        while b != 0 {
            if b & 1 != 0 { product ^= a }
            a <<= 1
            if a & 0x100 != 0 { a ^= 0x11D }
            b >>= 1
        }
        return UInt8(product)
    }

    static func inverse(_ a: UInt8) -> UInt8 {
        UInt8((1...255).first { multiply(a, UInt8($0)) == 1 }!)
    }

    /// Parity shard p of a K-of-N code: Σⱼ (1 / ((K + p) ⊕ j)) · data[j], byte by byte.
    static func parity(_ data: [[UInt8]], totalShards: Int) -> [[UInt8]] {
        let k = data.count
        return (k..<totalShards).map { row in
            let coefficients = (0..<k).map { inverse(UInt8(row ^ $0)) }
            return (0..<data[0].count).map { b in
                (0..<k).reduce(UInt8(0)) { $0 ^ multiply(coefficients[$1], data[$1][b]) }
            }
        }
    }
}

func randomShards(_ count: Int, size: Int, using generator: inout SeededGenerator) -> [[UInt8]] {
    (0..<count).map { _ in (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) } }
}

@Suite("Reed–Solomon over GF(2^8)")
struct ReedSolomonTests {
    @Test("the field's tables agree with shift-and-add multiplication for all 65,536 products")
    func fieldMatchesModel() {
        for a in 0...255 {
            for b in 0...255 {
                #expect(GaloisField.multiply(UInt8(a), UInt8(b)) == Model.multiply(UInt8(a), UInt8(b)))
            }
        }
        for a in 1...255 { #expect(Model.multiply(GaloisField.inverse(UInt8(a)), UInt8(a)) == 1) }
    }

    @Test("parity is the model's Cauchy combination, for every region length around the 64-byte blocks",
          arguments: [(1, 2), (1, 3), (4, 6), (10, 14), (17, 20), (3, 3)])
    func encodesAsTheModel(k: Int, n: Int) throws {
        var generator = SeededGenerator.fromEnvironment("erasure encode \(k) \(n)")
        let code = try ReedSolomon(dataShards: k, totalShards: n)
        for p in 0..<(n - k) {
            #expect(code.parityCoefficients(p) == (0..<k).map { Model.inverse(UInt8((k + p) ^ $0)) })
        }
        for size in [0, 1, 63, 64, 65, 127, 200, 1000] {
            let data = randomShards(k, size: size, using: &generator)
            #expect(try code.encode(data) == Model.parity(data, totalShards: n), "\(k)-of-\(n), \(size) bytes")
        }
    }

    @Test("every kernel (table shuffles, bit-sliced vectors, debug builds' words) computes the model's parity",
          arguments: RegionKernel.Variant.allCases)
    func everyKernel(variant: RegionKernel.Variant) throws {
        var generator = SeededGenerator.fromEnvironment("erasure kernels \(variant)")
        // Outputs 1 to 4 are one group of the shuffle kernel each; 7 and 9 are several groups.
        for (k, n) in [(1, 2), (4, 6), (10, 14), (17, 20), (6, 13), (3, 12)] {
            let generatorMatrix = GaloisMatrix.cauchyGenerator(dataCount: k, totalCount: n)
            let schedule = RegionSchedule(generatorMatrix.selecting(rows: Array(k..<n)))
            for size in [1, 64, 130, 512] {
                let data = randomShards(k, size: size, using: &generator)
                let parity = withRegions(data) { inputs in
                    makeRegions(count: n - k, size: size) { outputs in
                        RegionKernel.apply(schedule, inputs: inputs, outputs: outputs, count: size, variant: variant)
                    }
                }
                #expect(parity == Model.parity(data, totalShards: n), "\(variant): \(k)-of-\(n), \(size) bytes")
            }
        }
    }

    @Test("the widest codes encode as the model: 200-of-255 and 128-of-256")
    func widestCodes() throws {
        var generator = SeededGenerator.fromEnvironment("erasure wide")
        for (k, n) in [(200, 255), (128, 256)] {
            let code = try ReedSolomon(dataShards: k, totalShards: n)
            let data = randomShards(k, size: 70, using: &generator)
            let parity = try code.encode(data)
            #expect(parity == Model.parity(data, totalShards: n))
            var shards: [[UInt8]?] = data + parity
            var lost = Set<Int>()
            while lost.count < n - k { lost.insert(Int.random(in: 0..<n, using: &generator)) }
            for i in lost { shards[i] = nil }
            try code.reconstruct(&shards)
            #expect(shards.map { $0! } == data + parity, "\(k)-of-\(n) without \(lost.sorted())")
        }
    }

    @Test("4-of-6: every pattern of up to two lost shards rebuilds everything")
    func everyPatternOfFourOfSix() throws {
        var generator = SeededGenerator.fromEnvironment("erasure 4 of 6")
        let code = try ReedSolomon(dataShards: 4, totalShards: 6)
        for size in [1, 64, 150] {
            let data = randomShards(4, size: size, using: &generator)
            let all = data + (try code.encode(data))
            for mask in 0..<(1 << 6) where mask.nonzeroBitCount <= 2 {
                var shards: [[UInt8]?] = all
                for i in 0..<6 where mask & (1 << i) != 0 { shards[i] = nil }
                var dataOnly = shards
                try code.reconstruct(&shards)
                #expect(shards.map { $0! } == all, "lost \(String(mask, radix: 2))")
                try code.reconstructData(&dataOnly)
                #expect(dataOnly.prefix(4).map { $0! } == data)
            }
            for mask in 0..<(1 << 6) where mask.nonzeroBitCount == 3 {
                var shards: [[UInt8]?] = all
                for i in 0..<6 where mask & (1 << i) != 0 { shards[i] = nil }
                #expect(throws: ErasureError.tooFewShards(present: 3, needed: 4)) { try code.reconstruct(&shards) }
            }
        }
    }

    @Test("10-of-14 and 17-of-20: random loss patterns rebuild everything", arguments: [(10, 14), (17, 20)])
    func randomPatterns(k: Int, n: Int) throws {
        var generator = SeededGenerator.fromEnvironment("erasure random \(k) \(n)")
        let code = try ReedSolomon(dataShards: k, totalShards: n)
        for round in 0..<150 {
            let size = Int.random(in: 1...300, using: &generator)
            let data = randomShards(k, size: size, using: &generator)
            let all = data + (try code.encode(data))
            var shards: [[UInt8]?] = all
            let lost = (0..<n).shuffled(using: &generator).prefix(Int.random(in: 1...(n - k), using: &generator))
            for i in lost { shards[i] = nil }
            try code.reconstruct(&shards)
            #expect(shards.map { $0! } == all, "round \(round): lost \(lost.sorted())")
        }
    }

    @Test("bytes cut into shards come back from any K, at every length")
    func shardsAndJoin() throws {
        var generator = SeededGenerator.fromEnvironment("erasure join")
        let code = try ReedSolomon(dataShards: 3, totalShards: 5)
        for count in [0, 1, 2, 3, 4, 100, 1000] {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var shards: [[UInt8]?] = try code.shards(of: bytes)
            #expect(shards.count == 5 && shards.allSatisfy { $0!.count == code.shardSize(for: count) })
            shards[0] = nil; shards[2] = nil
            if count > 0 { #expect(throws: ErasureError.tooFewShards(present: 1, needed: 3)) { try code.join(shards, count: count) } }
            try code.reconstruct(&shards)
            #expect(try code.join(shards, count: count) == bytes)
        }
    }

    @Test("a changed byte in any shard makes the set inconsistent")
    func consistency() throws {
        var generator = SeededGenerator.fromEnvironment("erasure consistency")
        let code = try ReedSolomon(dataShards: 5, totalShards: 8)
        let all = try code.shards(of: (0..<999).map { _ in UInt8.random(in: 0...255, using: &generator) })
        #expect(try code.isConsistent(all))
        for shard in 0..<8 {
            var damaged = all
            damaged[shard][Int.random(in: 0..<damaged[shard].count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
            #expect(try !code.isConsistent(damaged), "shard \(shard)")
        }
    }

    @Test("bad calls are typed errors")
    func errors() throws {
        #expect(throws: ErasureError.invalidCode(dataShards: 0, totalShards: 3)) { try ReedSolomon(dataShards: 0, totalShards: 3) }
        #expect(throws: ErasureError.invalidCode(dataShards: 4, totalShards: 3)) { try ReedSolomon(dataShards: 4, totalShards: 3) }
        #expect(throws: ErasureError.invalidCode(dataShards: 10, totalShards: 257)) { try ReedSolomon(dataShards: 10, totalShards: 257) }
        let code = try ReedSolomon(dataShards: 2, totalShards: 4)
        #expect(throws: ErasureError.wrongShardCount(expected: 2, actual: 3)) { try code.encode([[1], [2], [3]]) }
        #expect(throws: ErasureError.shardSizeMismatch(index: 1, expected: 2, actual: 1)) { try code.encode([[1, 2], [3]]) }
        var shards: [[UInt8]?] = [[1, 2], nil, [3], nil]
        #expect(throws: ErasureError.shardSizeMismatch(index: 2, expected: 2, actual: 1)) { try code.reconstruct(&shards) }
        var short: [[UInt8]?] = [[1, 2], nil, nil]
        #expect(throws: ErasureError.wrongShardCount(expected: 4, actual: 3)) { try code.reconstruct(&short) }
    }
}
