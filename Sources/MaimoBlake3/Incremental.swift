// The incremental hasher's operations (BLAKE3 spec, section 5.1.2); its state is declared with
// the type in Blake3.swift.

extension Blake3 {
    /// A hasher for the plain hash function.
    /// - Parameter threadCount: threads used for large updates (1 by default: the caller's).
    public init(threadCount: Int = 1) {
        self.init(key: Blake3Constants.iv, flags: 0, threadCount: threadCount)
    }

    /// A hasher for the keyed hash function (a MAC or PRF under `key`).
    public init(key: Blake3.Key, threadCount: Int = 1) {
        self.init(key: key.words, flags: Blake3Constants.keyedHash, threadCount: threadCount)
    }

    /// A hasher for the key derivation function: feed it the key material.
    /// - Parameters:
    ///   - context: a hard-coded, globally unique, application-specific string.
    ///   - threadCount: threads used for large updates (1 by default: the caller's).
    public init(deriveKeyContext context: String, threadCount: Int = 1) {
        var contextHasher = Blake3(key: Blake3Constants.iv, flags: Blake3Constants.deriveKeyContext)
        contextHasher.update(context.utf8)
        let contextKey = contextHasher.finalOutput().chainingValueAsRoot()
        self.init(key: contextKey, flags: Blake3Constants.deriveKeyMaterial, threadCount: threadCount)
    }

    /// The number of bytes hashed so far (not counting an input offset).
    public var count: UInt64 {
        (chunkState.chunkCounter &- initialChunkCounter) &* UInt64(Blake3Constants.chunkLength)
            &+ UInt64(chunkState.count)
    }

    /// Adds bytes to the hash.
    public mutating func update(_ input: UnsafeRawBufferPointer) {
        update(input, afterPiece: nil)
    }

    /// As `update(_:)`; `afterPiece` is told of each piece of `input` that threads hashed.
    mutating func update(_ input: UnsafeRawBufferPointer, afterPiece: Subtree.PieceObserver?) {
        var input = input
        let chunk = Blake3Constants.chunkLength
        if chunkState.count > 0 {
            let taken = chunkState.update(input)
            input = UnsafeRawBufferPointer(rebasing: input[taken...])
            guard !input.isEmpty else { return }
            finishChunk()
        }
        // Whole subtrees straight from the input. A subtree of two or more chunks is pushed as
        // its two children, so that it may be the whole remaining input: if nothing follows,
        // `finalOutput` merges those two as the root.
        while input.count > chunk {
            let counter = chunkState.chunkCounter
            var subtreeChunks = UInt64(1) << (UInt64.bitWidth - 1 - UInt64(input.count).leadingZeroBitCount)
            subtreeChunks = max(1, subtreeChunks / UInt64(chunk))
            // A subtree must be aligned: its size divides the number of chunks before it.
            while counter & (subtreeChunks - 1) != 0 { subtreeChunks /= 2 }
            let length = Int(subtreeChunks) * chunk
            let subtree = UnsafeRawBufferPointer(rebasing: input[..<length])
            if subtreeChunks == 1 {
                let cv = Subtree.chainingValue(subtree, chunkCounter: counter, key: key, flags: flags)
                pushChainingValue(cv, chunksBefore: counter)
            } else {
                let (left, right) = Subtree.childChainingValues(
                    subtree, chunkCounter: counter, key: key, flags: flags, threads: threadCount, afterPiece: afterPiece)
                pushChainingValue(left, chunksBefore: counter)
                pushChainingValue(right, chunksBefore: counter &+ subtreeChunks / 2)
            }
            chunkState = ChunkState(key: key, chunkCounter: counter &+ subtreeChunks, flags: flags)
            input = UnsafeRawBufferPointer(rebasing: input[length...])
        }
        guard !input.isEmpty else { return }
        _ = chunkState.update(input)
        // The chunk state now holds bytes, so nothing on the stack can be the root any more:
        // merge what the chunks before it completed, which keeps `finalOutput` simple.
        mergeStack(keeping: (chunkState.chunkCounter &- initialChunkCounter).nonzeroBitCount)
    }

    /// Adds bytes from any sequence; contiguous collections (arrays, `Data`, UTF-8 views)
    /// are hashed in place.
    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        guard done == nil else { return }
        var buffer = [UInt8]()
        buffer.reserveCapacity(16 * 1024)
        for byte in bytes {
            buffer.append(byte)
            if buffer.count == 16 * 1024 {
                buffer.withUnsafeBytes { update($0) }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        buffer.withUnsafeBytes { update($0) }
    }

    private mutating func finishChunk() {
        let counter = chunkState.chunkCounter
        pushChainingValue(chunkState.output().chainingValue(), chunksBefore: counter)
        chunkState = ChunkState(key: key, chunkCounter: counter &+ 1, flags: flags)
    }

    /// Pushes a finished subtree, first merging what the chunks before it completed.
    /// After the merge the stack holds one entry per 1 bit of the chunks before it.
    private mutating func pushChainingValue(_ cv: SIMD8<UInt32>, chunksBefore: UInt64) {
        mergeStack(keeping: (chunksBefore &- initialChunkCounter).nonzeroBitCount)
        chainingValueStack.append(cv)
    }

    private mutating func mergeStack(keeping count: Int) {
        while chainingValueStack.count > count {
            let right = chainingValueStack.removeLast()
            let left = chainingValueStack.removeLast()
            chainingValueStack.append(parentChainingValue(left, right, key: key, flags: flags))
        }
    }

    /// The node that becomes the root: the chunk state merged right to left with the stack.
    func finalOutput() -> Output {
        var remaining = chainingValueStack[...]
        var output: Output
        if chunkState.count > 0 || remaining.count < 2 {
            output = chunkState.output()
        } else {
            // The input ended with a whole subtree, pushed as its two children.
            let right = remaining.removeLast()
            let left = remaining.removeLast()
            output = Output.parent(left, right, key: key, flags: flags)
        }
        for left in remaining.reversed() {
            output = Output.parent(left, output.chainingValue(), key: key, flags: flags)
        }
        return output
    }

    /// The 32-byte hash of everything added so far. The hasher is unchanged.
    public func finalize() -> Blake3.Digest {
        Blake3.Digest(words: finalOutput().chainingValueAsRoot())
    }

    /// A reader of extended output of any length, from any position.
    public func finalizeXOF() -> Blake3.OutputReader {
        Blake3.OutputReader(output: finalOutput())
    }
}

extension Output {
    /// The first 32 bytes of root output, as words.
    func chainingValueAsRoot() -> SIMD8<UInt32> {
        rootOutputBlock(0).lowHalf
    }
}
