import MaimoBlake3

/// A streaming Bao encoder with bounded memory: feed the content in any split, and every node
/// is written once, at its final pre-order position, to a seekable sink.
///
/// The content length must be known up front (a file's size); it fixes the shape of the tree and
/// so the position of every node. Content is hashed in batches of 256 chunks (256 KiB) with the
/// SIMD kernels; each batch's subtree is written whole, and the parents above the batches are
/// kept on a stack of O(log n) entries, each written as soon as its right child is done. Memory is
/// one batch plus that stack, whatever the size of the input.
///
/// ```swift
/// var encoder = BaoEncoder(contentLength: size, outboard: false, sink: try BaoFile(path: "file.bao", mode: .create))
/// while let block = try input.next() { try encoder.update(block) }
/// let root = try encoder.finalize()
/// ```
public struct BaoEncoder<Sink: BaoByteSink> {
    /// Chunks per batch: the subtrees hashed and written whole.
    static var batchChunks: Int { 256 }

    /// Where the encoding is written.
    public private(set) var sink: Sink
    /// The exact number of content bytes the encoder expects.
    public let contentLength: UInt64
    /// Whether it writes the outboard tree only (true) or the combined encoding (false).
    public let outboard: Bool
    let totalChunks: UInt64
    var batch: [UInt8] = []
    var batchIndex: UInt64 = 0
    /// Finished subtrees above batch level: chaining value, where its encoding starts, its chunks.
    var stack: [(cv: Blake3.Hazmat.ChainingValue, position: UInt64, chunks: UInt64)] = []
    var received: UInt64 = 0
    var rootHash: Blake3.Digest?

    /// An encoder for exactly `contentLength` bytes of content.
    public init(contentLength: UInt64, outboard: Bool = false, sink: Sink) {
        self.contentLength = contentLength
        self.outboard = outboard
        self.sink = sink
        self.totalChunks = Bao.chunkCount(contentLength: contentLength)
        batch.reserveCapacity(Self.batchChunks * Bao.chunkLength)
    }

    /// The size of what will be written.
    public var encodedSize: UInt64 {
        outboard ? Bao.outboardSize(contentLength: contentLength) : Bao.encodedSize(contentLength: contentLength)
    }

    /// Adds content.
    /// - Throws: ``BaoError/lengthMismatch(expected:received:)`` past the announced length, or
    ///   the sink's error.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) throws(BaoError) {
        guard UInt64(bytes.count) <= contentLength - received else {
            throw .lengthMismatch(expected: contentLength, received: received + UInt64(bytes.count))
        }
        received += UInt64(bytes.count)
        var rest = bytes
        let batchBytes = Self.batchChunks * Bao.chunkLength
        while !rest.isEmpty {
            // Whole batches straight from the caller's buffer when nothing is pending.
            if batch.isEmpty && rest.count >= batchBytes {
                try writeBatch(UnsafeRawBufferPointer(rebasing: rest[..<batchBytes]))
                rest = UnsafeRawBufferPointer(rebasing: rest[batchBytes...])
                continue
            }
            let n = min(batchBytes - batch.count, rest.count)
            batch.append(contentsOf: rest[..<n])
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            if batch.count == batchBytes {
                let full = batch
                batch.removeAll(keepingCapacity: true)
                try withBytes(of: full) { buffer throws(BaoError) in try writeBatch(buffer) }
            }
        }
    }

    /// Convenience for arrays and slices.
    public mutating func update(_ bytes: [UInt8]) throws(BaoError) {
        try withBytes(of: bytes) { buffer throws(BaoError) in try update(buffer) }
    }

    /// Writes what is pending and the header, and returns the root hash.
    /// - Throws: ``BaoError/lengthMismatch(expected:received:)`` when less content arrived than
    ///   announced.
    public mutating func finalize() throws(BaoError) -> Blake3.Digest {
        if let rootHash { return rootHash }
        guard received == contentLength else { throw .lengthMismatch(expected: contentLength, received: received) }
        if !batch.isEmpty || (contentLength == 0 && stack.isEmpty) {
            let pending = batch
            batch.removeAll()
            try withBytes(of: pending) { buffer throws(BaoError) in try writeBatch(buffer) }
        }
        let header = (0..<8).map { UInt8(truncatingIfNeeded: contentLength >> (8 * $0)) }
        try withBytes(of: header) { buffer throws(BaoError) in try sink.write(buffer, at: 0) }
        let hash: Blake3.Digest
        if let single = singleBatchRoot {
            hash = single
        } else {
            // Merge right to left; the last merge is the root, its record at offset 8.
            while stack.count > 2 { try mergeTop() }
            let right = stack.removeLast(), left = stack.removeLast()
            try writeParent(left.cv, right.cv, at: left.position - Bao.parentLength64)
            hash = Blake3.Hazmat.mergeSubtreesRoot(left.cv, right.cv)
        }
        rootHash = hash
        return hash
    }

    /// The root when the whole content was one batch (set by `writeBatch`).
    var singleBatchRoot: Blake3.Digest?

    /// Hashes one batch (a whole number of chunks, or the short last one), writes its subtree at
    /// its position, and pushes its chaining value.
    mutating func writeBatch(_ bytes: UnsafeRawBufferPointer) throws(BaoError) {
        let firstChunk = batchIndex * UInt64(Self.batchChunks)
        let chunks = Int(Bao.chunkCount(contentLength: UInt64(bytes.count)))
        let tree = ChainingValueTree(bytes, firstChunk: firstChunk)
        let position = Self.position(ofSubtreeAt: firstChunk, chunks: UInt64(chunks), totalChunks: totalChunks,
                                     contentLength: contentLength, outboard: outboard)
        let size = Int(Bao.parentBytes(contentLength: UInt64(bytes.count))) + (outboard ? 0 : bytes.count)
        if size > 0 {
            let outboard = outboard
            try sink.fill(at: position, count: size) { out in
                tree.writePreOrder(bytes, chunkStart: 0, chunkCount: chunks, into: out, at: 0, outboard: outboard)
            }
        }
        if UInt64(chunks) == totalChunks {
            singleBatchRoot = tree.rootHash(bytes)
            return
        }
        // Equal batches merge as the BLAKE3 hasher merges chunks: one entry per 1 bit.
        while stack.count > batchIndex.nonzeroBitCount { try mergeTop() }
        stack.append((tree.top, position, UInt64(chunks)))
        batchIndex += 1
    }

    /// Merges the two top entries into their parent, writing the parent's record just before
    /// the left child's encoding.
    mutating func mergeTop() throws(BaoError) {
        let right = stack.removeLast(), left = stack.removeLast()
        let parentPosition = left.position - Bao.parentLength64
        try writeParent(left.cv, right.cv, at: parentPosition)
        stack.append((Blake3.Hazmat.mergeSubtreesNonRoot(left.cv, right.cv), parentPosition, left.chunks + right.chunks))
    }

    mutating func writeParent(
        _ left: Blake3.Hazmat.ChainingValue, _ right: Blake3.Hazmat.ChainingValue, at offset: UInt64
    ) throws(BaoError) {
        var record = [UInt8](repeating: 0, count: Bao.parentLength)
        record.withUnsafeMutableBytes { out in
            left.write(to: out.baseAddress!)
            right.write(to: out.baseAddress! + 32)
        }
        try withBytes(of: record) { buffer throws(BaoError) in try sink.write(buffer, at: offset) }
    }

    /// Where the encoding of the aligned subtree of `chunks` chunks from `firstChunk` starts: the
    /// descent from the root adds one parent record per level, and the whole left subtree each
    /// time the path goes right.
    static func position(
        ofSubtreeAt firstChunk: UInt64, chunks: UInt64, totalChunks: UInt64, contentLength: UInt64, outboard: Bool
    ) -> UInt64 {
        var position = Bao.headerLength64
        var start: UInt64 = 0, count = totalChunks
        while count > chunks {
            let leftChunks = UInt64(1) << (UInt64.bitWidth - 1 - (count - 1).leadingZeroBitCount)
            position += Bao.parentLength64
            if firstChunk < start + leftChunks {
                count = leftChunks
            } else {
                position += (leftChunks - 1) * Bao.parentLength64 + (outboard ? 0 : leftChunks * Bao.chunkLength64)
                start += leftChunks
                count -= leftChunks
            }
        }
        return position
    }
}
