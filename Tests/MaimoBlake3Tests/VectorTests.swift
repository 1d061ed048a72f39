import Testing
import MaimoTestSupport
@testable import MaimoBlake3

struct Blake3VectorFile: Decodable {
    struct Case: Decodable {
        let input_len: Int
        let hash: String
        let keyed_hash: String
        let derive_key: String
    }
    let key: String
    let context_string: String
    let cases: [Case]
}

@Suite("BLAKE3 official vectors")
struct VectorTests {
    let file: Blake3VectorFile

    init() throws {
        file = try Vectors.load("blake3", as: Blake3VectorFile.self)
    }

    @Test func fileIsNotEmpty() {
        #expect(!file.cases.isEmpty)
    }

    @Test func hash() {
        for c in file.cases {
            let input = vectorInput(c.input_len)
            let expected = bytes(fromHex: c.hash)
            #expect(Blake3.hash(input).bytes == Array(expected.prefix(32)), "length \(c.input_len)")
            #expect(Blake3.hash(input, outputLength: expected.count) == expected, "length \(c.input_len)")
        }
    }

    @Test func keyedHash() throws {
        let key = try Blake3.Key(Array(file.key.utf8))
        for c in file.cases {
            let input = vectorInput(c.input_len)
            let expected = bytes(fromHex: c.keyed_hash)
            #expect(Blake3.keyedHash(key: key, input).bytes == Array(expected.prefix(32)), "length \(c.input_len)")
            var hasher = Blake3(key: key)
            hasher.update(input)
            var reader = hasher.finalizeXOF()
            #expect(reader.read(count: expected.count) == expected, "length \(c.input_len)")
        }
    }

    @Test func deriveKey() {
        for c in file.cases {
            let input = vectorInput(c.input_len)
            let expected = bytes(fromHex: c.derive_key)
            #expect(Blake3.deriveKey(context: file.context_string, material: input) == Array(expected.prefix(32)))
            #expect(
                Blake3.deriveKey(context: file.context_string, material: input, outputLength: expected.count)
                    == expected, "length \(c.input_len)")
            // The same through the explicit mode of the hazmat layer.
            let contextKey = Blake3.Hazmat.Mode.deriveKeyContextKey(file.context_string)
            var hasher = Blake3(mode: .deriveKeyMaterial(contextKey: contextKey))
            hasher.update(input)
            #expect(hasher.finalize().bytes == Array(expected.prefix(32)))
        }
    }

    @Test func everySplitPointOfTheVectors() {
        // Each vector input fed in two pieces at several split points, and one byte at a time.
        for c in file.cases {
            let input = vectorInput(c.input_len)
            let expected = Array(bytes(fromHex: c.hash).prefix(32))
            for split in Set([0, 1, 63, 64, 65, 1023, 1024, 1025, c.input_len / 2, c.input_len]) where split <= c.input_len {
                var hasher = Blake3()
                hasher.update(input[..<split])
                hasher.update(input[split...])
                #expect(hasher.finalize().bytes == expected, "length \(c.input_len) split \(split)")
            }
            if c.input_len <= 8 * 1024 {
                var hasher = Blake3()
                for byte in input { hasher.update(CollectionOfOne(byte)) }
                #expect(hasher.finalize().bytes == expected, "length \(c.input_len) bytewise")
            }
        }
    }

    @Test func parallelEqualsSerialOnVectors() {
        for c in file.cases {
            let input = vectorInput(c.input_len)
            let expected = Array(bytes(fromHex: c.hash).prefix(32))
            let digest = input.withUnsafeBytes { Blake3.hash($0, threadCount: 4) }
            #expect(digest.bytes == expected, "length \(c.input_len)")
        }
    }
}
