import MaimoBlake3

extension Bao {
    /// The combined encoding of `data` (header, parents in pre-order, chunks in place) and its
    /// root hash, which is `Blake3.hash(data)`.
    public static func encode(_ data: UnsafeRawBufferPointer) -> (encoding: [UInt8], hash: Blake3.Digest) {
        encode(data, outboard: false)
    }

    /// The outboard encoding of `data` (header and parents only; the data stays where it is) and
    /// its root hash.
    public static func outboard(_ data: UnsafeRawBufferPointer) -> (outboard: [UInt8], hash: Blake3.Digest) {
        let (tree, hash) = encode(data, outboard: true)
        return (tree, hash)
    }

    /// Convenience for arrays and other contiguous byte collections.
    public static func encode(_ data: [UInt8], outboard: Bool = false) -> (encoding: [UInt8], hash: Blake3.Digest) {
        data.withUnsafeBytes { encode($0, outboard: outboard) }
    }

    static func encode(_ data: UnsafeRawBufferPointer, outboard: Bool) -> (encoding: [UInt8], hash: Blake3.Digest) {
        let length = UInt64(data.count)
        let size = Int(outboard ? outboardSize(contentLength: length) : encodedSize(contentLength: length))
        var hash: Blake3.Digest?
        let encoding = [UInt8](unsafeUninitializedCapacity: size) { buffer, initialized in
            hash = encode(data, into: UnsafeMutableRawBufferPointer(buffer), outboard: outboard)
            initialized = size
        }
        return (encoding, hash!)
    }

    /// Encodes `data` into `destination`, which must hold exactly
    /// ``encodedSize(contentLength:)`` bytes (or ``outboardSize(contentLength:)`` for an outboard
    /// tree); returns the root hash. Reusing one destination avoids faulting in fresh memory for
    /// every encoding.
    public static func encode(
        _ data: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, outboard: Bool = false
    ) -> Blake3.Digest {
        let length = UInt64(data.count)
        let size = Int(outboard ? outboardSize(contentLength: length) : encodedSize(contentLength: length))
        precondition(destination.count == size, "the destination must be exactly \(size) bytes")
        // The streaming encoder, writing in place: batches of 256 chunks keep the chaining values
        // in a few KiB instead of arrays proportional to the input.
        var encoder = BaoEncoder(contentLength: length, outboard: outboard, sink: BaoMemorySink(destination))
        do {
            try encoder.update(data)
            return try encoder.finalize()
        } catch {
            // The destination was checked above and the length is exact: nothing here can fail.
            preconditionFailure("in-memory encoding failed: \(error)")
        }
    }
}

/// Every chaining value of the tree, level by level: level 0 holds the chunks, level h + 1
/// pairs level h from the left (an unpaired last node moves up unchanged). The node covering
/// chunks `s ..< s + c` (aligned, c ≤ 2^h, h = ⌈log2 c⌉) is `levels[h][s >> h]`.
struct ChainingValueTree {
    var levels: [[Blake3.Hazmat.ChainingValue]]
    let chunkCount: Int

    init(_ data: UnsafeRawBufferPointer, firstChunk: UInt64 = 0) {
        chunkCount = Int(Bao.chunkCount(contentLength: UInt64(data.count)))
        var level = [Blake3.Hazmat.ChainingValue](unsafeUninitializedCapacity: chunkCount) { buffer, initialized in
            Blake3.Hazmat.chunkChainingValues(data, firstChunk: firstChunk, into: buffer)
            initialized = buffer.count
        }
        levels = [level]
        while level.count > 1 {
            let pairs = level.count / 2
            let next = [Blake3.Hazmat.ChainingValue](unsafeUninitializedCapacity: pairs + level.count % 2) { parents, initialized in
                level.withUnsafeBufferPointer { children in
                    Blake3.Hazmat.parentChainingValues(children, into: UnsafeMutableBufferPointer(rebasing: parents[..<pairs]))
                    if children.count % 2 == 1 { (parents.baseAddress! + pairs).initialize(to: children[children.count - 1]) }
                }
                initialized = parents.count
            }
            levels.append(next)
            level = next
        }
    }

    static func height(ofChunks count: Int) -> Int {
        count <= 1 ? 0 : Int.bitWidth - (count - 1).leadingZeroBitCount
    }

    /// The non-root chaining value of the whole (sub)tree.
    var top: Blake3.Hazmat.ChainingValue { levels[levels.count - 1][0] }

    /// The root hash: the single chunk as root, or the top node's children merged as root.
    func rootHash(_ data: UnsafeRawBufferPointer) -> Blake3.Digest {
        guard chunkCount > 1 else { return Blake3.Hazmat.rootHash(ofSingleChunk: data) }
        let below = levels[levels.count - 2]
        return Blake3.Hazmat.mergeSubtreesRoot(below[0], below[1])
    }

    /// Writes the encoding of the subtree of chunks `chunkStart ..< chunkStart + chunkCount`
    /// at `offset`; returns the offset after it.
    @discardableResult
    func writePreOrder(
        _ data: UnsafeRawBufferPointer, chunkStart: Int, chunkCount: Int, into out: UnsafeMutableRawBufferPointer,
        at offset: Int, outboard: Bool
    ) -> Int {
        let chunk = Bao.chunkLength
        if chunkCount == 1 {
            if outboard { return offset }
            let start = chunkStart * chunk
            let n = min(chunk, data.count - start)
            if n > 0 { (out.baseAddress! + offset).copyMemory(from: data.baseAddress! + start, byteCount: n) }
            return offset + n
        }
        let h = Self.height(ofChunks: chunkCount)
        let children = levels[h - 1]
        let j = chunkStart >> h
        children[2 * j].write(to: out.baseAddress! + offset)
        children[2 * j + 1].write(to: out.baseAddress! + offset + 32)
        let leftChunks = 1 << (h - 1)
        let middle = writePreOrder(
            data, chunkStart: chunkStart, chunkCount: leftChunks, into: out, at: offset + Bao.parentLength,
            outboard: outboard)
        return writePreOrder(
            data, chunkStart: chunkStart + leftChunks, chunkCount: chunkCount - leftChunks, into: out, at: middle,
            outboard: outboard)
    }
}
