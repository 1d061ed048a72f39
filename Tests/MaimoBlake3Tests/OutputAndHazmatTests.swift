import Testing
import MaimoTestSupport
@testable import MaimoBlake3

@Suite("Extended output")
struct OutputReaderTests {
    @Test func seekingGivesTheSameBytesAsReadingThrough() {
        var generator = SeededGenerator.fromEnvironment("seekingGivesTheSameBytesAsReadingThrough")
        var hasher = Blake3()
        hasher.update(randomBytes(3000, using: &generator))
        var reader = hasher.finalizeXOF()
        let whole = reader.read(count: 5000)
        #expect(reader.position == 5000)
        for _ in 0..<50 {
            let start = Int.random(in: 0..<5000, using: &generator)
            let count = Int.random(in: 0...(5000 - start), using: &generator)
            reader.seek(to: UInt64(start))
            #expect(reader.read(count: count) == Array(whole[start..<(start + count)]), "seek \(start) count \(count)")
        }
        // Reading in odd pieces gives the same stream.
        reader.seek(to: 0)
        var pieces = [UInt8]()
        while pieces.count < 5000 { pieces += reader.read(count: min(37, 5000 - pieces.count)) }
        #expect(pieces == whole)
        #expect(Array(whole.prefix(32)) == hasher.finalize().bytes)
    }

    @Test func farOffsetsUseTheBlockCounter() {
        let reader = Blake3().finalizeXOF()
        var a = reader, b = reader
        a.seek(to: 64 * (UInt64(1) << 40) + 10)
        let far = a.read(count: 100)
        b.seek(to: 64 * (UInt64(1) << 40))
        #expect(Array(b.read(count: 110).suffix(100)) == far)
    }
}

@Suite("Hazmat")
struct HazmatTests {
    @Test func subtreesMergeToTheRoot() throws {
        var generator = SeededGenerator.fromEnvironment("subtreesMergeToTheRoot")
        for size in [1025, 2048, 2049, 5000, 65_536, 100_001, 300_000] {
            let input = randomBytes(size, using: &generator)
            let split = Int(Blake3.Hazmat.leftSubtreeLength(inputLength: UInt64(size)))
            let left = try Blake3.Hazmat.chainingValue(ofSubtree: input[..<split], inputOffset: 0)
            let right = try Blake3.Hazmat.chainingValue(ofSubtree: input[split...], inputOffset: UInt64(split))
            #expect(Blake3.Hazmat.mergeSubtreesRoot(left, right) == Blake3.hash(input), "size \(size)")
            var xof = Blake3.Hazmat.mergeSubtreesRootXOF(left, right)
            #expect(xof.read(count: 80) == Blake3.hash(input, outputLength: 80))
            // The same chaining values through a hasher started at the offset.
            var hasher = Blake3()
            try hasher.setInputOffset(UInt64(split))
            hasher.update(input[split...])
            #expect(hasher.finalizeNonRoot() == right)
        }
    }

    @Test func chunkChainingValuesMatchOneChunkAtATime() throws {
        var generator = SeededGenerator.fromEnvironment("chunkChainingValues")
        for size in [1, 1024, 1025, 16 * 1024, 17 * 1024 + 5, 40 * 1024] {
            let input = randomBytes(size, using: &generator)
            for offset: UInt64 in [0, 1024, 64 * 1024] {
                let batch = try input.withUnsafeBytes { (raw) throws(Blake3Error) in
                    try Blake3.Hazmat.chunkChainingValues(of: raw, inputOffset: offset)
                }
                let single = try stride(from: 0, to: size, by: 1024).map { (start) throws(Blake3Error) in
                    try Blake3.Hazmat.chainingValue(ofSubtree: input[start..<min(size, start + 1024)], inputOffset: offset + UInt64(start))
                }
                #expect(batch == single, "size \(size) offset \(offset)")
            }
        }
        #expect(throws: Blake3Error.self) { _ = try [UInt8](repeating: 0, count: 10).withUnsafeBytes { (raw) throws(Blake3Error) in
            try Blake3.Hazmat.chunkChainingValues(of: raw, inputOffset: 100) } }
    }

    @Test func fourLeafTreeByHand() throws {
        var generator = SeededGenerator.fromEnvironment("fourLeafTreeByHand")
        let input = randomBytes(4 * 1024, using: &generator)
        var leaves: [Blake3.Hazmat.ChainingValue] = []
        for i in 0..<4 {
            let leaf = input[(i * 1024)..<((i + 1) * 1024)]
            leaves.append(try Blake3.Hazmat.chainingValue(ofSubtree: leaf, inputOffset: UInt64(i * 1024)))
        }
        let left = Blake3.Hazmat.mergeSubtreesNonRoot(leaves[0], leaves[1])
        let right = Blake3.Hazmat.mergeSubtreesNonRoot(leaves[2], leaves[3])
        #expect(Blake3.Hazmat.mergeSubtreesRoot(left, right) == Blake3.hash(input))
        #expect(try Blake3.Hazmat.chainingValue(ofSubtree: input[2048...], inputOffset: 2048) == right)
    }

    @Test func keyedModeThroughHazmat() throws {
        let key = Blake3.Key.random()
        let input = (0..<3000).map { UInt8(truncatingIfNeeded: $0) }
        let left = try Blake3.Hazmat.chainingValue(ofSubtree: input[..<2048], inputOffset: 0, mode: .keyedHash(key))
        let right = try Blake3.Hazmat.chainingValue(ofSubtree: input[2048...], inputOffset: 2048, mode: .keyedHash(key))
        #expect(Blake3.Hazmat.mergeSubtreesRoot(left, right, mode: .keyedHash(key)) == Blake3.keyedHash(key: key, input))
    }

    @Test func subtreeRules() {
        #expect(Blake3.Hazmat.maxSubtreeLength(inputOffset: 0) == nil)
        #expect(Blake3.Hazmat.maxSubtreeLength(inputOffset: 1024) == 1024)
        #expect(Blake3.Hazmat.maxSubtreeLength(inputOffset: 6 * 1024) == 2048)
        #expect(Blake3.Hazmat.maxSubtreeLength(inputOffset: 8 * 1024) == 8192)
        #expect(Blake3.Hazmat.leftSubtreeLength(inputLength: 1025) == 1024)
        #expect(Blake3.Hazmat.leftSubtreeLength(inputLength: 2048) == 1024)
        #expect(Blake3.Hazmat.leftSubtreeLength(inputLength: 2049) == 2048)
        #expect(Blake3.Hazmat.leftSubtreeLength(inputLength: 1 << 20) == 1 << 19)
        let data = [UInt8](repeating: 0, count: 4096)
        #expect(throws: Blake3Error.misalignedInputOffset(100)) {
            try Blake3.Hazmat.chainingValue(ofSubtree: data, inputOffset: 100)
        }
        #expect(throws: Blake3Error.invalidSubtreeLength(length: 4096, inputOffset: 2048)) {
            try Blake3.Hazmat.chainingValue(ofSubtree: data, inputOffset: 2048)
        }
        #expect(throws: Blake3Error.invalidSubtreeLength(length: 0, inputOffset: 1024)) {
            try Blake3.Hazmat.chainingValue(ofSubtree: [UInt8](), inputOffset: 1024)
        }
        var hasher = Blake3()
        hasher.update([1])
        #expect(throws: Blake3Error.inputOffsetAfterInput) { try hasher.setInputOffset(1024) }
    }
}

@Suite("Digest and key")
struct DigestTests {
    @Test func hexRoundTrip() throws {
        let digest = Blake3.hash("abc".utf8)
        #expect(digest.description == "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85")
        #expect(try Blake3.Digest(hex: digest.description) == digest)
        #expect(try Blake3.Digest(hex: digest.description.uppercased()) == digest)
        #expect(Blake3.Digest(digest.description) == digest)
        #expect(try Blake3.Digest(bytes: digest.bytes) == digest)
        #expect(Blake3.Digest("xyz") == nil)
    }

    @Test func badInputsAreTypedErrors() {
        #expect(throws: Blake3Error.invalidHex(offset: 3)) {
            try Blake3.Digest(hex: "abcg" + String(repeating: "0", count: 60))
        }
        #expect(throws: Blake3Error.invalidHex(offset: 10)) { try Blake3.Digest(hex: "0123456789") }
        #expect(throws: Blake3Error.invalidKeyLength(31)) { try Blake3.Key([UInt8](repeating: 0, count: 31)) }
        #expect(throws: Blake3Error.invalidDigestLength(33)) { try Blake3.Digest(bytes: [UInt8](repeating: 0, count: 33)) }
    }

    @Test func equalityComparesEveryByte() throws {
        let a = Blake3.hash([1] as [UInt8])
        for i in 0..<32 {
            var bytes = a.bytes
            bytes[i] ^= 0x80
            #expect(try Blake3.Digest(bytes: bytes) != a, "byte \(i)")
        }
    }

    /// A digest is a sequence of its bytes and lends them without a copy; errors thrown in the
    /// body keep their type.
    @Test func digestBytesThreeWays() {
        struct Stop: Error, Equatable {}
        let digest = Blake3.hash("abc".utf8)
        #expect(Array(digest) == digest.bytes)
        #expect(digest.withUnsafeBytes { Array($0) } == digest.bytes)
        #expect(digest.map { $0 }.count == 32)
        let key = Blake3.Key.random()
        #expect(throws: Stop()) { try key.withUnsafeBytes { (_) throws(Stop) in throw Stop() } }
        #expect(key.withUnsafeBytes { $0.count } == 32)
    }

    @Test func keysAreRandomAndDoNotPrint() {
        let a = Blake3.Key.random(), b = Blake3.Key.random()
        #expect(a != b)
        #expect(!String(describing: a).contains(a.withUnsafeBytes { hexString($0) }))
    }
}
