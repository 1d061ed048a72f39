import MaimoTestSupport
import Testing
import MaimoXXHash

/// Published xxHash64 values (computed with the reference `xxhash` Python binding of the C
/// library) over the vector input 0, 1, …, 250, 0, … with seed 0 and a 64-bit seed.
struct XXH64Tests {
    static let cases: [(Int, UInt64, UInt64)] = [
        (0, 0xef46db3751d8e999, 0x6ec6d05f61c7e7a7), (1, 0xe934a84adb052768, 0x60508b0ced72c717),
        (3, 0xe5c7bb4533bc65dd, 0xa1552d556a299b24), (4, 0xffced8604453cc1e, 0xd485946465317d49),
        (7, 0x14cc643f630c72d2, 0x0ff0ba621eec7a4e), (8, 0x884a173614b81b8d, 0x5eb050a7cb134cae),
        (31, 0xc346d2b59b4d8ee1, 0xa3c5ec38a60b7ea1), (32, 0xcbf59c5116ff32b4, 0xbfb3e4ef6096c49c),
        (33, 0x0c535d1acafb8ead, 0x702e2aa8b96740bd), (63, 0xe26aa9e2a95f8e4f, 0xb83be1f91b39104d),
        (64, 0xf7c67301db6713f0, 0x2006c268b7d34f54), (100, 0x6ac1e58032166597, 0x00278bda0ee3f586),
        (1000, 0xf306f04aa88b54d3, 0xe5e65cf7cbe10ca8), (1025, 0xcfd73aedd2d6a39d, 0xb9c8896f7c7fea6c),
    ]

    @Test func knownAnswers() {
        for (length, seedZero, seedPrime) in Self.cases {
            let input = vectorInput(length)
            #expect(XXH64.hash(input) == seedZero, "length \(length)")
            #expect(XXH64.hash(input, seed: 0x9E37_79B1_85EB_CA87) == seedPrime, "length \(length), seeded")
        }
        #expect(XXH64.hash(Array("abc".utf8)) == 0x44bc2cf5ad770999)
    }

    @Test func anySplitGivesTheOneShotHash() {
        var generator = SeededGenerator.fromEnvironment("xxh64 splits")
        let input = randomBytes(3000, using: &generator)
        let expected = XXH64.hash(input, seed: 7)
        for _ in 0..<200 {
            var state = XXH64.State(seed: 7)
            var position = 0
            while position < input.count {
                let step = min(input.count - position, Int.random(in: 0...70, using: &generator))
                input[position..<position + step].withUnsafeBytes { state.update($0) }
                position += step
            }
            #expect(state.finalize() == expected)
        }
    }
}
