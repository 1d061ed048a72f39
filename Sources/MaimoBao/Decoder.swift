import MaimoBlake3

/// A verifying reader of a Bao encoding: combined, or an outboard tree plus the data.
///
/// It hands out bytes only after the chunk holding them matched the chaining value its parent
/// promised, back up to the 32-byte root hash. It can seek to any offset; it keeps the verified
/// path from the root to the current chunk, so reading front to back checks every node once and
/// memory stays O(log n). Seeking at or past the end verifies the last chunk, which proves the
/// length.
///
/// ```swift
/// var decoder = BaoDecoder(combined: try BaoFile(path: "file.bao"), hash: root)
/// try decoder.seek(to: 1 << 30)
/// let bytes = try decoder.read(count: 4096)   // verified, or a BaoError saying where it failed
/// ```
///
/// `Tree` is the type of the encoding (or outboard tree) and `Data` the type of the content beside
/// an outboard tree; a combined encoding's decoder has `Data == Tree` and no data.
public struct BaoDecoder<Tree: BaoByteSource, Data: BaoByteSource> {
    let tree: Tree
    let data: Data?
    let hash: Blake3.Digest
    var contentLength: UInt64?
    /// The content offset of the next byte `read` returns.
    public private(set) var position: UInt64 = 0

    /// A verified parent node on the path from the root to the current chunk.
    struct PathNode {
        let start: UInt64
        let length: UInt64
        let treeOffset: UInt64
        let left: Blake3.Hazmat.ChainingValue
        let right: Blake3.Hazmat.ChainingValue
    }
    var path: [PathNode] = []
    var chunk: [UInt8] = []
    var chunkStart: UInt64 = .max
    var scratchEncoded: [UInt8] = []
    var scratchRecords: [UInt8] = []
    var scratchRecomputed: [UInt8] = []

    /// Reads an outboard tree (header and parents) with the data beside it.
    public init(outboard: Tree, data: Data, hash: Blake3.Digest) {
        self.tree = outboard
        self.data = data
        self.hash = hash
    }

    /// The content length from the header; trusted only once a chunk has verified.
    public mutating func length() throws(BaoError) -> UInt64 {
        if let contentLength { return contentLength }
        let header = try tree.readBytes(at: 0, count: Bao.headerLength)
        let length = header.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        contentLength = length
        return length
    }

    /// Moves to content offset `offset` (any value; past the end reads nothing).
    public mutating func seek(to offset: UInt64) {
        position = offset
    }

    /// Fills `buffer` with verified bytes from the current position; returns how many (0 at the end).
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        guard !buffer.isEmpty else { return 0 }
        let length = try length()
        if position >= length {
            // At the end: verify the last chunk, which authenticates the length itself.
            try loadChunk(containing: length == 0 ? 0 : length - 1)
            return 0
        }
        try loadChunk(containing: position)
        let offset = Int(position - chunkStart)
        let n = min(buffer.count, chunk.count - offset)
        chunk.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: n) }
        position += UInt64(n)
        return n
    }

    /// Up to `count` verified bytes from the current position.
    public mutating func read(count: Int) throws(BaoError) -> [UInt8] {
        try read(count: count, reserving: min(count, 1 << 20))
    }

    mutating func read(count: Int, reserving: Int) throws(BaoError) -> [UInt8] {
        var result = [UInt8]()
        // The length comes from an unverified header: grow with what verifies, not with the claim.
        result.reserveCapacity(reserving)
        var scratch = [UInt8](repeating: 0, count: min(count, 64 * 1024))
        while result.count < count {
            let want = min(count - result.count, scratch.count)
            var failure: BaoError?
            let n = scratch.withUnsafeMutableBytes { buffer -> Int in
                do throws(BaoError) { return try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<want])) } catch {
                    failure = error
                    return 0
                }
            }
            if let failure { throw failure }
            if n == 0 { break }
            result += scratch[..<n]
        }
        return result
    }

    /// Everything from the current position to the end, verified.
    /// - Parameter sizeLimit: what the source can hold at most, to size the result up front
    ///   without trusting the unverified length header further than that.
    public mutating func readToEnd(sizeLimit: Int = 1 << 20) throws(BaoError) -> [UInt8] {
        let length = try length()
        let remaining = Int(clamping: length > position ? length - position : 0)
        let bytes = try read(count: remaining, reserving: min(remaining, sizeLimit))
        try loadChunk(containing: length == 0 ? 0 : length - 1)
        return bytes
    }

    /// Makes the chunk holding content byte `target` current, verifying what is not yet verified.
    mutating func loadChunk(containing target: UInt64) throws(BaoError) {
        let length = try length()
        if chunkStart != .max && target >= chunkStart && target - chunkStart < UInt64(max(chunk.count, 1)) { return }
        while let top = path.last, !(target >= top.start && target - top.start < top.length) { path.removeLast() }
        // The node to descend from, and what it must hash to.
        var start: UInt64, nodeLength: UInt64, treeOffset: UInt64
        var expected: ExpectedNode
        if let top = path.last {
            (start, nodeLength, treeOffset, expected) = child(of: top, containing: target)
        } else {
            (start, nodeLength, treeOffset, expected) = (0, length, Bao.headerLength64, .root(hash))
        }
        // Reading on from where the last read ended: verify a whole group of chunks at once with
        // the SIMD kernels rather than chunk by chunk.
        let sequential = chunkStart != .max && target == chunkStart + UInt64(chunk.count)
        while nodeLength > Bao.chunkLength64 {
            if sequential || chunkStart == .max, nodeLength <= Self.groupLength,
                try loadGroup(start: start, length: nodeLength, treeOffset: treeOffset, expected: expected)
            {
                return
            }
            let node = try tree.readBytes(at: treeOffset, count: Bao.parentLength)
            guard let (left, right) = NodeCheck.children(node), NodeCheck.parent(left, right, expected: expected) else {
                throw .parentHashMismatch(encodingOffset: treeOffset, contentOffset: start)
            }
            let verified = PathNode(start: start, length: nodeLength, treeOffset: treeOffset, left: left, right: right)
            path.append(verified)
            (start, nodeLength, treeOffset, expected) = child(of: verified, containing: target)
        }
        let bytes =
            if let data {
                try data.readBytes(at: start, count: Int(nodeLength))
            } else {
                try tree.readBytes(at: treeOffset, count: Int(nodeLength))
            }
        let index = start / Bao.chunkLength64
        guard bytes.withUnsafeBytes({ NodeCheck.chunk($0, index: index, expected: expected) }) else {
            throw .chunkHashMismatch(chunkIndex: index)
        }
        chunk = bytes
        chunkStart = start
    }

    /// Content verified at once when reading sequentially: 64 chunks.
    static var groupLength: UInt64 { 64 * Bao.chunkLength64 }

    /// Reads a whole subtree of at most `groupLength` bytes, recomputes all of its nodes with the
    /// SIMD kernels and compares them with the encoding (parents included, as node-by-node
    /// decoding would). On any difference it returns false, and the caller's node-by-node path
    /// finds and names the first bad node.
    mutating func loadGroup(start: UInt64, length: UInt64, treeOffset: UInt64, expected: ExpectedNode) throws(BaoError) -> Bool {
        let parents = Int(Bao.parentBytes(contentLength: length))
        // Buffers are reused from group to group: fresh 64 KiB arrays would be faulted in each time.
        scratchRecords.removeAll(keepingCapacity: true)
        if let data {
            try Self.fill(&chunk, count: Int(length), from: data, at: start)
            try Self.fill(&scratchRecords, count: parents, from: tree, at: treeOffset)
        } else {
            try Self.fill(&scratchEncoded, count: parents + Int(length), from: tree, at: treeOffset)
            chunk.removeAll(keepingCapacity: true)
            Self.deinterleave(scratchEncoded, length: length, content: &chunk, records: &scratchRecords)
        }
        scratchRecomputed.removeAll(keepingCapacity: true)
        scratchRecomputed.append(contentsOf: repeatElement(0, count: parents))
        let matches = chunk.withUnsafeBytes { bytes -> Bool in
            let group = ChainingValueTree(bytes, firstChunk: start / Bao.chunkLength64)
            scratchRecomputed.withUnsafeMutableBytes { out in
                _ = group.writePreOrder(bytes, chunkStart: 0, chunkCount: group.chunkCount, into: out, at: 0, outboard: true)
            }
            let top: Bool
            switch expected {
            case .root(let digest): top = group.rootHash(bytes) == digest
            case .chainingValue(let cv): top = group.top == cv
            }
            return top && constantTimeEqual(scratchRecomputed, scratchRecords)
        }
        guard matches else {
            chunkStart = .max
            chunk.removeAll(keepingCapacity: true)
            return false
        }
        chunkStart = start
        return true
    }

    /// Replaces the contents of `buffer` with `count` bytes of `source` at `offset`.
    static func fill(_ buffer: inout [UInt8], count: Int, from source: some BaoByteSource, at offset: UInt64) throws(BaoError) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: repeatElement(0, count: count))
        try withMutableBytes(of: &buffer) { bytes throws(BaoError) in try source.readExactly(at: offset, into: bytes) }
    }

    /// Splits a combined subtree encoding into its content and its parent records (pre-order).
    static func deinterleave(_ encoded: [UInt8], length: UInt64, content: inout [UInt8], records: inout [UInt8]) {
        var offset = 0
        func walk(_ subtreeLength: UInt64) {
            if subtreeLength <= Bao.chunkLength64 {
                content.append(contentsOf: encoded[offset..<(offset + Int(subtreeLength))])
                offset += Int(subtreeLength)
                return
            }
            records.append(contentsOf: encoded[offset..<(offset + Bao.parentLength)])
            offset += Bao.parentLength
            let left = Bao.leftLength(subtreeLength)
            walk(left)
            walk(subtreeLength - left)
        }
        walk(length)
    }

    /// The child of a verified parent that holds `target`: its range, where its encoding starts,
    /// and the chaining value it must match.
    func child(of node: PathNode, containing target: UInt64) -> (UInt64, UInt64, UInt64, ExpectedNode) {
        let leftLength = Bao.leftLength(node.length)
        let leftOffset = node.treeOffset &+ Bao.parentLength64
        if target - node.start < leftLength {
            return (node.start, leftLength, leftOffset, .chainingValue(node.left))
        }
        let leftEncoded = Bao.parentBytes(contentLength: leftLength) &+ (data == nil ? leftLength : 0)
        return (node.start + leftLength, node.length - leftLength, leftOffset &+ leftEncoded, .chainingValue(node.right))
    }
}

/// Compares without an early exit.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in a.indices { difference |= a[i] ^ b[i] }
    return difference == 0
}

extension Bao {
    /// Decodes and verifies a whole in-memory combined encoding.
    public static func decode(_ encoding: [UInt8], hash: Blake3.Digest) throws(BaoError) -> [UInt8] {
        var decoder = BaoDecoder(combined: BaoBufferSource(encoding), hash: hash)
        return try decoder.readToEnd(sizeLimit: encoding.count)
    }

    /// Decodes and verifies in-memory data against its outboard tree.
    public static func decode(outboard: [UInt8], data: [UInt8], hash: Blake3.Digest) throws(BaoError) -> [UInt8] {
        var decoder = BaoDecoder(outboard: BaoBufferSource(outboard), data: BaoBufferSource(data), hash: hash)
        return try decoder.readToEnd(sizeLimit: data.count)
    }
}

extension BaoDecoder where Data == Tree {
    /// Reads a combined encoding (header, parents and chunks interleaved).
    public init(combined: Tree, hash: Blake3.Digest) {
        self.tree = combined
        self.data = nil
        self.hash = hash
    }
}
