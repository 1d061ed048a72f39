// A deliberately plain BLAKE3, written from the specification's pseudocode with no SIMD, no
// batching and a recursive tree: the model the optimised library is checked against.

enum ReferenceBlake3 {
    static let iv: [UInt32] = [
        0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19,
    ]
    static let permutation = [2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8]

    static func compress(_ cv: [UInt32], _ block: [UInt32], _ counter: UInt64, _ length: UInt32, _ flags: UInt32) -> [UInt32] {
        var v = cv + Array(iv[0..<4]) + [UInt32(truncatingIfNeeded: counter), UInt32(truncatingIfNeeded: counter >> 32), length, flags]
        var m = block
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        func g(_ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt32, _ y: UInt32) {
            v[a] = v[a] &+ v[b] &+ x; v[d] = rotr(v[d] ^ v[a], 16)
            v[c] = v[c] &+ v[d]; v[b] = rotr(v[b] ^ v[c], 12)
            v[a] = v[a] &+ v[b] &+ y; v[d] = rotr(v[d] ^ v[a], 8)
            v[c] = v[c] &+ v[d]; v[b] = rotr(v[b] ^ v[c], 7)
        }
        for round in 0..<7 {
            g(0, 4, 8, 12, m[0], m[1]); g(1, 5, 9, 13, m[2], m[3]); g(2, 6, 10, 14, m[4], m[5]); g(3, 7, 11, 15, m[6], m[7])
            g(0, 5, 10, 15, m[8], m[9]); g(1, 6, 11, 12, m[10], m[11]); g(2, 7, 8, 13, m[12], m[13]); g(3, 4, 9, 14, m[14], m[15])
            if round < 6 { m = permutation.map { m[$0] } }
        }
        for i in 0..<8 { v[i] ^= v[i + 8]; v[i + 8] ^= cv[i] }
        return v
    }

    static func words(_ bytes: ArraySlice<UInt8>) -> [UInt32] {
        var padded = Array(bytes) + [UInt8](repeating: 0, count: 64 - bytes.count)
        padded = Array(padded.prefix(64))
        var result = [UInt32]()
        for i in 0..<16 {
            var word = UInt32(padded[4 * i])
            word |= UInt32(padded[4 * i + 1]) << 8
            word |= UInt32(padded[4 * i + 2]) << 16
            word |= UInt32(padded[4 * i + 3]) << 24
            result.append(word)
        }
        return result
    }

    /// A node before its final compression: (cv, block, counter, length, flags).
    typealias Node = ([UInt32], [UInt32], UInt64, UInt32, UInt32)

    static func chunkNode(_ chunk: ArraySlice<UInt8>, _ counter: UInt64, _ key: [UInt32], _ flags: UInt32) -> Node {
        var cv = key
        var blocks = stride(from: chunk.startIndex, to: chunk.endIndex, by: 64).map { chunk[$0..<min($0 + 64, chunk.endIndex)] }
        if blocks.isEmpty { blocks = [chunk] }
        for (i, block) in blocks.enumerated() {
            var f = flags
            if i == 0 { f |= 1 }
            if i == blocks.count - 1 { return (cv, words(block), counter, UInt32(block.count), f | 2) }
            cv = Array(compress(cv, words(block), counter, 64, f).prefix(8))
        }
        preconditionFailure("a chunk has at least one block")
    }

    static func node(_ input: ArraySlice<UInt8>, _ firstChunk: UInt64, _ key: [UInt32], _ flags: UInt32) -> Node {
        if input.count <= 1024 { return chunkNode(input, firstChunk, key, flags) }
        var leftChunks = 1
        while (2 * leftChunks) * 1024 < input.count { leftChunks *= 2 }
        let split = input.startIndex + leftChunks * 1024
        let left = cv(node(input[..<split], firstChunk, key, flags))
        let right = cv(node(input[split...], firstChunk + UInt64(leftChunks), key, flags))
        return (key, left + right, 0, 64, flags | 4)
    }

    static func cv(_ n: Node) -> [UInt32] { Array(compress(n.0, n.1, n.2, n.3, n.4).prefix(8)) }

    static func hash(_ input: [UInt8], key: [UInt32] = iv, flags: UInt32 = 0, length: Int = 32) -> [UInt8] {
        let root = node(input[...], 0, key, flags)
        var out = [UInt8]()
        var counter: UInt64 = 0
        while out.count < length {
            for w in compress(root.0, root.1, counter, root.3, root.4 | 8) {
                out += [UInt8(w & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w >> 16 & 0xFF), UInt8(w >> 24)]
            }
            counter += 1
        }
        return Array(out.prefix(length))
    }
}
