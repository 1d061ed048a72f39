import MaimoBlake3

extension Bao {
    /// Extracts the slice of `count` content bytes from `start`: the header, then in pre-order
    /// every parent on the way to the chunks that overlap the range, and those whole chunks — all
    /// a holder of the root hash needs to verify the range. As the `bao` crate: a count of 0
    /// still covers one byte, and a start past the end covers the last byte.
    ///
    /// Reads from a combined encoding, or from an outboard tree plus the data. Nothing is
    /// verified here (the slicer is the untrusted side), but a short source is an error.
    public static func slice<Tree: BaoByteSource>(
        from tree: Tree, start: UInt64, count: UInt64
    ) throws(BaoError) -> [UInt8] {
        try slice(from: tree, data: Tree?.none, start: start, count: count)
    }

    /// As ``slice(from:start:count:)``, from an outboard tree and the content beside it.
    public static func slice(
        from tree: some BaoByteSource, data: some BaoByteSource, start: UInt64, count: UInt64
    ) throws(BaoError) -> [UInt8] {
        try slice(from: tree, data: Optional(data), start: start, count: count)
    }

    static func slice<Tree: BaoByteSource, Data: BaoByteSource>(
        from tree: Tree, data: Data?, start: UInt64, count: UInt64
    ) throws(BaoError) -> [UInt8] {
        let header = try tree.readBytes(at: 0, count: headerLength)
        let contentLength = header.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        let range = effectiveRange(contentLength: contentLength, start: start, count: count)
        var output = header
        var walker = SliceWalker(tree: tree, data: data, range: range, output: [])
        try walker.walk(subtreeStart: 0, subtreeLength: contentLength, treeOffset: headerLength64)
        output += walker.output
        return output
    }

    /// The range a slice covers: at least one byte, and the last byte for a start past the end.
    static func effectiveRange(contentLength: UInt64, start: UInt64, count: UInt64) -> Range<UInt64> {
        let length = max(count, 1)
        var start = start
        if start >= contentLength { start = contentLength > 0 ? contentLength - 1 : 0 }
        let (end, overflow) = start.addingReportingOverflow(length)
        return start..<(overflow ? .max : end)
    }

    /// Verifies `slice` against `hash` and returns the content bytes of `start ..< start + count`
    /// that it proves (clipped to the content; empty for a count of 0 or a start past the end,
    /// whose final chunk is still verified, which authenticates the length).
    /// - Throws: ``BaoError`` naming the chunk or node that failed, or where the slice ended.
    public static func decodeSlice(
        _ slice: some BaoByteSource, hash: Blake3.Digest, start: UInt64, count: UInt64
    ) throws(BaoError) -> [UInt8] {
        let header = try slice.readBytes(at: 0, count: headerLength)
        let contentLength = header.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        let skipOutput = count == 0 || start >= contentLength
        let range = effectiveRange(contentLength: contentLength, start: start, count: count)
        var reader = SliceVerifier(
            slice: slice, contentLength: contentLength, range: range, emit: !skipOutput, position: headerLength64)
        try reader.verify(subtreeStart: 0, subtreeLength: contentLength, expected: .root(hash))
        return reader.output
    }

    /// Convenience: the slice from an in-memory combined encoding.
    public static func slice(encoding: [UInt8], start: UInt64, count: UInt64) throws(BaoError) -> [UInt8] {
        try slice(from: BaoBufferSource(encoding), start: start, count: count)
    }

    /// Convenience: verify an in-memory slice.
    public static func decodeSlice(_ slice: [UInt8], hash: Blake3.Digest, start: UInt64, count: UInt64) throws(BaoError) -> [UInt8] {
        try decodeSlice(BaoBufferSource(slice), hash: hash, start: start, count: count)
    }
}

/// What a node must hash to: the root digest, or a child's chaining value.
enum ExpectedNode {
    case root(Blake3.Digest)
    case chainingValue(Blake3.Hazmat.ChainingValue)
}

/// Checks a chunk or parent against what its parent (or the root) promised.
enum NodeCheck {
    static func chunk(_ bytes: UnsafeRawBufferPointer, index: UInt64, expected: ExpectedNode) -> Bool {
        switch expected {
        case .root(let digest):
            return Blake3.Hazmat.rootHash(ofSingleChunk: bytes) == digest
        case .chainingValue(let cv):
            // One chunk at its own offset is always a valid subtree.
            guard let found = try? Blake3.Hazmat.chainingValue(ofSubtree: bytes, inputOffset: index * Bao.chunkLength64)
            else { return false }
            return found == cv
        }
    }

    static func parent(
        _ left: Blake3.Hazmat.ChainingValue, _ right: Blake3.Hazmat.ChainingValue, expected: ExpectedNode
    ) -> Bool {
        switch expected {
        case .root(let digest): Blake3.Hazmat.mergeSubtreesRoot(left, right) == digest
        case .chainingValue(let cv): Blake3.Hazmat.mergeSubtreesNonRoot(left, right) == cv
        }
    }

    /// The two chaining values of a 64-byte parent node.
    static func children(_ node: [UInt8]) -> (Blake3.Hazmat.ChainingValue, Blake3.Hazmat.ChainingValue)? {
        guard node.count == Bao.parentLength else { return nil }
        return node.withUnsafeBytes { bytes in
            (Blake3.Hazmat.ChainingValue(loadingFrom: bytes.baseAddress!),
             Blake3.Hazmat.ChainingValue(loadingFrom: bytes.baseAddress! + 32))
        }
    }
}

/// The slicer's walk (bao.py `slice_recurse`): copies what the range needs, skips the rest.
private struct SliceWalker<Tree: BaoByteSource, Data: BaoByteSource> {
    let tree: Tree
    let data: Data?
    let range: Range<UInt64>
    var output: [UInt8]

    /// `treeOffset` is where this subtree's encoding starts in `tree` (its parents, and in a
    /// combined encoding its chunks too).
    mutating func walk(subtreeStart: UInt64, subtreeLength: UInt64, treeOffset: UInt64) throws(BaoError) {
        let subtreeEnd = subtreeStart + subtreeLength
        if subtreeEnd <= range.lowerBound && subtreeLength > 0 || range.upperBound <= subtreeStart && subtreeStart > 0 {
            return
        }
        if subtreeLength <= Bao.chunkLength64 {
            if let data {
                try copy(Int(subtreeLength), from: data, at: subtreeStart)
            } else {
                try copy(Int(subtreeLength), from: tree, at: treeOffset)
            }
            return
        }
        try copy(Bao.parentLength, from: tree, at: treeOffset)
        let left = Bao.leftLength(subtreeLength)
        let leftEncoded = Bao.parentBytes(contentLength: left) + (data == nil ? left : 0)
        let childOffset = treeOffset &+ Bao.parentLength64
        try walk(subtreeStart: subtreeStart, subtreeLength: left, treeOffset: childOffset)
        try walk(subtreeStart: subtreeStart + left, subtreeLength: subtreeLength - left, treeOffset: childOffset &+ leftEncoded)
    }

    mutating func copy(_ count: Int, from source: some BaoByteSource, at offset: UInt64) throws(BaoError) {
        output += try source.readBytes(at: offset, count: count)
    }
}

/// The slice verifier (bao.py `decode_slice_recurse`): reads the slice front to back, verifying
/// every node before trusting what it says.
private struct SliceVerifier<Source: BaoByteSource> {
    let slice: Source
    let contentLength: UInt64
    let range: Range<UInt64>
    let emit: Bool
    var position: UInt64
    var output: [UInt8] = []

    init(slice: Source, contentLength: UInt64, range: Range<UInt64>, emit: Bool, position: UInt64) {
        self.slice = slice
        self.contentLength = contentLength
        self.range = range
        self.emit = emit
        self.position = position
    }

    mutating func take(_ count: Int) throws(BaoError) -> [UInt8] {
        let bytes = try slice.readBytes(at: position, count: count)
        position += UInt64(count)
        return bytes
    }

    mutating func verify(subtreeStart: UInt64, subtreeLength: UInt64, expected: ExpectedNode) throws(BaoError) {
        let subtreeEnd = subtreeStart + subtreeLength
        // With empty content the one empty chunk is always verified.
        if contentLength > 0 && (subtreeEnd <= range.lowerBound || range.upperBound <= subtreeStart) { return }
        if subtreeLength <= Bao.chunkLength64 {
            let chunk = try take(Int(subtreeLength))
            let index = subtreeStart / Bao.chunkLength64
            guard chunk.withUnsafeBytes({ NodeCheck.chunk($0, index: index, expected: expected) }) else {
                throw .chunkHashMismatch(chunkIndex: index)
            }
            if emit {
                let from = Int(min(subtreeLength, range.lowerBound > subtreeStart ? range.lowerBound - subtreeStart : 0))
                let to = Int(min(subtreeLength, range.upperBound - subtreeStart))
                if from < to { output += chunk[from..<to] }
            }
            return
        }
        let nodeOffset = position
        let node = try take(Bao.parentLength)
        guard let (left, right) = NodeCheck.children(node), NodeCheck.parent(left, right, expected: expected) else {
            throw .parentHashMismatch(encodingOffset: nodeOffset, contentOffset: subtreeStart)
        }
        let leftLength = Bao.leftLength(subtreeLength)
        try verify(subtreeStart: subtreeStart, subtreeLength: leftLength, expected: .chainingValue(left))
        try verify(subtreeStart: subtreeStart + leftLength, subtreeLength: subtreeLength - leftLength, expected: .chainingValue(right))
    }
}
