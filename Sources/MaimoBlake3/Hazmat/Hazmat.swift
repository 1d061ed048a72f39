// The "guts" of the tree for callers that build their own tree encodings (MaimoBao): chaining
// values of subtrees anywhere in the input, and merging them into parents or the root.
// Misuse here gives a wrong hash rather than a weak one, but it is still a typed error where
// it can be detected.

extension Blake3 {
    /// Low-level access to BLAKE3's tree: subtree chaining values and parent merges.
    ///
    /// A *subtree* is a run of whole chunks that is one node of the tree: it starts at a chunk
    /// boundary and its length is at most the largest power of two that divides its offset (any
    /// length at offset 0). Its chaining value is never a root; the root is made by
    /// ``mergeSubtreesRoot(_:_:mode:)`` from the two children of the top node, or is the plain hash
    /// when the whole input is one chunk.
    ///
    /// ```swift
    /// let split = Blake3.Hazmat.leftSubtreeLength(inputLength: UInt64(data.count))
    /// let left = try Blake3.Hazmat.chainingValue(ofSubtree: data[..<split], inputOffset: 0)
    /// let right = try Blake3.Hazmat.chainingValue(ofSubtree: data[split...], inputOffset: split)
    /// Blake3.Hazmat.mergeSubtreesRoot(left, right) == Blake3.hash(data)   // true
    /// ```
    public enum Hazmat {
        /// The 32-byte chaining value of a non-root node.
        public struct ChainingValue: Sendable, Hashable, CustomStringConvertible {
            var words: SIMD8<UInt32>

            init(words: SIMD8<UInt32>) { self.words = words }

            /// A chaining value from exactly 32 bytes (as stored in a Bao encoding).
            public init<Bytes: Collection>(bytes: Bytes) throws(Blake3Error) where Bytes.Element == UInt8 {
                guard bytes.count == 32 else { throw .invalidDigestLength(bytes.count) }
                words = SIMD8(littleEndianBytes: Array(bytes))
            }

            /// A chaining value from the 32 bytes at `pointer` (any alignment), without allocating.
            public init(loadingFrom pointer: UnsafeRawPointer) {
                var words = SIMD8<UInt32>()
                for i in 0..<8 { words[i] = UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
                self.words = words
            }

            /// The 32 bytes, little-endian words as BLAKE3 defines them.
            public var bytes: [UInt8] { words.littleEndianBytes }

            /// Writes the 32 bytes to `destination`, which must have room for them.
            public func write(to destination: UnsafeMutableRawPointer) {
                for i in 0..<8 {
                    destination.storeBytes(of: words[i].littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                }
            }

            public var description: String { hexString(bytes) }

            /// Constant-time comparison.
            public static func == (lhs: ChainingValue, rhs: ChainingValue) -> Bool {
                constantTimeEqual(lhs.words, rhs.words)
            }

            public func hash(into hasher: inout Hasher) { hasher.combine(words) }
        }

        /// The length of the left subtree of the root of an input of `inputLength` bytes: the
        /// largest power-of-two number of chunks that leaves at least one byte for the right.
        /// Meaningful for inputs longer than one chunk.
        public static func leftSubtreeLength(inputLength: UInt64) -> UInt64 {
            let chunk = UInt64(Blake3Constants.chunkLength)
            guard inputLength > chunk else { return chunk }
            let fullChunks = (inputLength - 1) / chunk  // chunks before the last byte's chunk
            let power = UInt64(1) << (UInt64.bitWidth - 1 - fullChunks.leadingZeroBitCount)
            return power * chunk
        }

        /// The largest subtree that may start at `inputOffset` (a multiple of the chunk length),
        /// or nil at offset 0, where any length is allowed.
        public static func maxSubtreeLength(inputOffset: UInt64) -> UInt64? {
            guard inputOffset != 0 else { return nil }
            let chunks = inputOffset / UInt64(Blake3Constants.chunkLength)
            return (UInt64(1) << chunks.trailingZeroBitCount) * UInt64(Blake3Constants.chunkLength)
        }

        /// The non-root chaining value of the subtree `bytes` that starts at `inputOffset`.
        /// - Throws: ``Blake3Error/misalignedInputOffset(_:)`` when the offset is not a multiple
        ///   of 1024, ``Blake3Error/invalidSubtreeLength(length:inputOffset:)`` when the length is
        ///   zero (except at offset 0) or exceeds ``maxSubtreeLength(inputOffset:)``.
        public static func chainingValue(
            ofSubtree bytes: UnsafeRawBufferPointer, inputOffset: UInt64, mode: Mode = .hash, threadCount: Int = 1
        ) throws(Blake3Error) -> ChainingValue {
            let chunk = UInt64(Blake3Constants.chunkLength)
            guard inputOffset % chunk == 0 else { throw .misalignedInputOffset(inputOffset) }
            let length = UInt64(bytes.count)
            if length == 0 && inputOffset != 0 || length > (maxSubtreeLength(inputOffset: inputOffset) ?? .max) {
                throw .invalidSubtreeLength(length: length, inputOffset: inputOffset)
            }
            let words = Subtree.chainingValue(
                bytes, chunkCounter: inputOffset / chunk, key: mode.keyWords, flags: mode.flags,
                threads: max(1, threadCount))
            return ChainingValue(words: words)
        }

        /// As ``chainingValue(ofSubtree:inputOffset:mode:threadCount:)-(UnsafeRawBufferPointer,_,_,_)``
        /// for any contiguous byte collection (`[UInt8]`, `Data`, slices).
        public static func chainingValue<Bytes: Sequence>(
            ofSubtree bytes: Bytes, inputOffset: UInt64, mode: Mode = .hash
        ) throws(Blake3Error) -> ChainingValue where Bytes.Element == UInt8 {
            func compute(_ buffer: UnsafeRawBufferPointer) -> Result<ChainingValue, Blake3Error> {
                Result { () throws(Blake3Error) in try chainingValue(ofSubtree: buffer, inputOffset: inputOffset, mode: mode) }
            }
            let result = bytes.withContiguousStorageIfAvailable { compute(UnsafeRawBufferPointer($0)) }
                ?? Array(bytes).withUnsafeBytes { compute($0) }
            return try result.get()
        }

        /// The non-root chaining value of every chunk of `bytes`, which starts at `inputOffset`
        /// (a multiple of 1024): whole chunks are hashed several at once with the SIMD kernels,
        /// a shorter last chunk alone. What a Bao verifier or a holder of a pruned tree needs to
        /// rebuild the parents of a run of chunks.
        /// - Throws: ``Blake3Error/misalignedInputOffset(_:)``.
        public static func chunkChainingValues(
            of bytes: UnsafeRawBufferPointer, inputOffset: UInt64, mode: Mode = .hash
        ) throws(Blake3Error) -> [ChainingValue] {
            let chunk = Blake3Constants.chunkLength
            guard inputOffset % UInt64(chunk) == 0 else { throw .misalignedInputOffset(inputOffset) }
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return [] }
            let whole = bytes.count / chunk
            let counter = inputOffset / UInt64(chunk)
            var words = [SIMD8<UInt32>](repeating: SIMD8(), count: whole)
            words.withUnsafeMutableBufferPointer { out in
                if whole > 0 {
                    ManyKernel.chunks(base, count: whole, key: mode.keyWords, counter: counter, flags: mode.flags, out: out.baseAddress!)
                }
            }
            var values = words.map { ChainingValue(words: $0) }
            if bytes.count > whole * chunk {
                var state = ChunkState(key: mode.keyWords, chunkCounter: counter + UInt64(whole), flags: mode.flags)
                _ = state.update(UnsafeRawBufferPointer(rebasing: bytes[(whole * chunk)...]))
                values.append(ChainingValue(words: state.output().chainingValue()))
            }
            return values
        }

        /// The chaining value of the parent of two non-root children.
        public static func mergeSubtreesNonRoot(_ left: ChainingValue, _ right: ChainingValue, mode: Mode = .hash) -> ChainingValue {
            ChainingValue(words: parentChainingValue(left.words, right.words, key: mode.keyWords, flags: mode.flags))
        }

        /// The root hash of an input whose root has children `left` and `right`.
        public static func mergeSubtreesRoot(_ left: ChainingValue, _ right: ChainingValue, mode: Mode = .hash) -> Digest {
            Digest(words: Output.parent(left.words, right.words, key: mode.keyWords, flags: mode.flags).chainingValueAsRoot())
        }

        /// Extended output of the root whose children are `left` and `right`.
        public static func mergeSubtreesRootXOF(_ left: ChainingValue, _ right: ChainingValue, mode: Mode = .hash) -> OutputReader {
            OutputReader(output: Output.parent(left.words, right.words, key: mode.keyWords, flags: mode.flags))
        }
    }
}

extension Blake3 {
    /// Starts this hasher at `offset` bytes into a larger input, to hash one subtree of it; end
    /// with ``finalizeNonRoot()``. Only before any input is added.
    /// - Throws: ``Blake3Error/misalignedInputOffset(_:)`` unless `offset` is a multiple of 1024;
    ///   ``Blake3Error/inputOffsetAfterInput`` when input was already added.
    public mutating func setInputOffset(_ offset: UInt64) throws(Blake3Error) {
        guard offset % UInt64(Blake3Constants.chunkLength) == 0 else { throw .misalignedInputOffset(offset) }
        guard chunkState.count == 0, chainingValueStack.isEmpty, chunkState.chunkCounter == initialChunkCounter else {
            throw .inputOffsetAfterInput
        }
        initialChunkCounter = offset / UInt64(Blake3Constants.chunkLength)
        chunkState = ChunkState(key: key, chunkCounter: initialChunkCounter, flags: flags)
    }

    /// The chaining value of everything added, as a non-root subtree (after ``setInputOffset(_:)``).
    public func finalizeNonRoot() -> Blake3.Hazmat.ChainingValue {
        Blake3.Hazmat.ChainingValue(words: finalOutput().chainingValue())
    }
}

extension Blake3.Hazmat {
    /// The non-root chaining values of consecutive chunks, computed with the SIMD kernels:
    /// chunk `i` of `bytes` gets counter `firstChunk + i`. Every chunk but the last must be whole
    /// (1024 bytes); `output` needs room for `ceil(bytes.count / 1024)` values (one for empty input).
    public static func chunkChainingValues(
        _ bytes: UnsafeRawBufferPointer, firstChunk: UInt64, mode: Blake3.Hazmat.Mode = .hash,
        into output: UnsafeMutableBufferPointer<ChainingValue>
    ) {
        let chunk = Blake3Constants.chunkLength
        let count = max(1, (bytes.count + chunk - 1) / chunk)
        precondition(output.count >= count, "output has room for \(output.count) chaining values, needs \(count)")
        let whole = bytes.count % chunk == 0 && !bytes.isEmpty ? count : count - 1
        let key = mode.keyWords, flags = mode.flags
        output.withMemoryRebound(to: SIMD8<UInt32>.self) { words in
            if whole > 0, let base = bytes.baseAddress {
                ManyKernel.chunks(base, count: whole, key: key, counter: firstChunk, flags: flags, out: words.baseAddress!)
            }
            if whole < count {
                var state = ChunkState(key: key, chunkCounter: firstChunk &+ UInt64(whole), flags: flags)
                _ = state.update(UnsafeRawBufferPointer(rebasing: bytes[(whole * chunk)...]))
                words[whole] = state.output().chainingValue()
            }
        }
    }

    /// The non-root chaining values of `output.count` parents whose children are consecutive pairs
    /// in `children` (`2 * output.count` of them), computed with the SIMD kernels.
    public static func parentChainingValues(
        _ children: UnsafeBufferPointer<ChainingValue>, mode: Blake3.Hazmat.Mode = .hash,
        into output: UnsafeMutableBufferPointer<ChainingValue>
    ) {
        precondition(children.count >= 2 * output.count, "\(output.count) parents need \(2 * output.count) children")
        guard !output.isEmpty else { return }
        children.withMemoryRebound(to: SIMD8<UInt32>.self) { child in
            output.withMemoryRebound(to: SIMD8<UInt32>.self) { out in
                ManyKernel.parents(
                    child.baseAddress!, count: out.count, key: mode.keyWords, flags: mode.flags, out: out.baseAddress!)
            }
        }
    }

    /// The root hash of an input of at most one chunk (1024 bytes): the chunk compressed as root.
    public static func rootHash(ofSingleChunk bytes: UnsafeRawBufferPointer, mode: Blake3.Hazmat.Mode = .hash) -> Blake3.Digest {
        precondition(bytes.count <= Blake3Constants.chunkLength, "a single chunk is at most 1024 bytes")
        return Blake3.Digest(words: Blake3.singleChunkRootWords(bytes, key: mode.keyWords, flags: mode.flags))
    }
}
