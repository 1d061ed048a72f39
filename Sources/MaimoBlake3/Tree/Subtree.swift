import Synchronization

// Chaining values of whole subtrees. BLAKE3's tree is left-balanced, which is exactly what
// pairing nodes level by level from the left gives (an odd node at the end of a level moves up
// unchanged), so a subtree can be reduced batch by batch with the many-input kernel.

enum Subtree {
    /// Chunks hashed per batch: 256 KiB of input, 8 KiB of chaining values on the stack; large
    /// batches keep most parents in the 16-lane kernel too.
    static let batchChunks = 256

    /// The non-root chaining value of the subtree made of `input`, which starts at chunk
    /// `chunkCounter`. `input` must be non-empty and form one subtree: its chunk count may not
    /// exceed the largest power of two that divides `chunkCounter` (any count when it is 0).
    static func chainingValue(
        _ input: UnsafeRawBufferPointer, chunkCounter: UInt64, key: SIMD8<UInt32>, flags: UInt32
    ) -> SIMD8<UInt32> {
        let chunk = Blake3Constants.chunkLength
        guard let base = input.baseAddress, input.count > chunk else {
            var state = ChunkState(key: key, chunkCounter: chunkCounter, flags: flags)
            _ = state.update(input)
            return state.output().chainingValue()
        }
        return withUnsafeTemporaryAllocation(of: SIMD8<UInt32>.self, capacity: batchChunks + 64) { scratch in
            let cvs = scratch.baseAddress!
            // One chaining value per finished batch subtree, merged as in `Hasher.pushChainingValue`;
            // entries `stack[0..<depth]`, at most 64 since a batch is at least one chunk.
            let stack = cvs + batchChunks
            var depth = 0
            var batchesDone: UInt64 = 0
            var offset = 0
            while offset < input.count {
                let length = min(batchChunks * chunk, input.count - offset)
                let whole = length / chunk
                let hasPartial = length % chunk != 0
                let counter = chunkCounter &+ UInt64(offset / chunk)
                ManyKernel.chunks(base + offset, count: whole, key: key, counter: counter, flags: flags, out: cvs)
                var count = whole
                if hasPartial {
                    var state = ChunkState(key: key, chunkCounter: counter &+ UInt64(whole), flags: flags)
                    _ = state.update(UnsafeRawBufferPointer(rebasing: input[(offset + whole * chunk)...]))
                    cvs[whole] = state.output().chainingValue()
                    count += 1
                }
                let batchCV = reduce(cvs, count: count, key: key, flags: flags)
                // Only the last batch can be short; full batches merge like equal-sized chunks.
                while depth > (batchesDone.nonzeroBitCount) {
                    depth -= 1
                    stack[depth - 1] = parentChainingValue(stack[depth - 1], stack[depth], key: key, flags: flags)
                }
                stack[depth] = batchCV
                depth += 1
                batchesDone += 1
                offset += length
            }
            while depth > 1 {
                depth -= 1
                stack[depth - 1] = parentChainingValue(stack[depth - 1], stack[depth], key: key, flags: flags)
            }
            return stack[0]
        }
    }

    /// Reduces `count` ≥ 1 consecutive sibling chaining values at `cvs` (overwritten) to the
    /// chaining value of the subtree above them.
    static func reduce(
        _ cvs: UnsafeMutablePointer<SIMD8<UInt32>>, count: Int, key: SIMD8<UInt32>, flags: UInt32
    ) -> SIMD8<UInt32> {
        var count = count
        while count > 1 {
            let pairs = count / 2
            ManyKernel.parents(UnsafePointer(cvs), count: pairs, key: key, flags: flags, out: cvs)
            if count % 2 == 1 { cvs[pairs] = cvs[count - 1] }
            count = pairs + count % 2
        }
        return cvs[0]
    }

    /// The chaining values of the two children of a subtree of 2^k ≥ 2 whole chunks (the left
    /// and right halves), computed with up to `threads` threads.
    /// `afterPiece`, if given, is called with each piece the threads hashed, on the thread
    /// that hashed it (serial hashing calls it for nothing).
    static func childChainingValues(
        _ input: UnsafeRawBufferPointer, chunkCounter: UInt64, key: SIMD8<UInt32>, flags: UInt32, threads: Int,
        afterPiece: PieceObserver? = nil
    ) -> (SIMD8<UInt32>, SIMD8<UInt32>) {
        let half = input.count / 2
        let halfChunks = UInt64(half / Blake3Constants.chunkLength)
        if threads > 1, half >= minimumParallelPiece {
            let cvs = pieceChainingValues(
                input, chunkCounter: chunkCounter, key: key, flags: flags, threads: threads, afterPiece: afterPiece)
            return cvs.withUnsafeBufferPointer { pieces in
                let perHalf = pieces.count / 2
                return withUnsafeTemporaryAllocation(of: SIMD8<UInt32>.self, capacity: pieces.count) { scratch in
                    let out = scratch.baseAddress!
                    out.initialize(from: pieces.baseAddress!, count: pieces.count)
                    let left = reduce(out, count: perHalf, key: key, flags: flags)
                    let right = reduce(out + perHalf, count: perHalf, key: key, flags: flags)
                    return (left, right)
                }
            }
        }
        let left = chainingValue(
            UnsafeRawBufferPointer(rebasing: input[..<half]), chunkCounter: chunkCounter, key: key, flags: flags)
        let right = chainingValue(
            UnsafeRawBufferPointer(rebasing: input[half...]), chunkCounter: chunkCounter &+ halfChunks, key: key,
            flags: flags)
        return (left, right)
    }

    /// The smallest piece of work handed to another thread.
    static let minimumParallelPiece = 128 * 1024
    /// The largest: about half a millisecond of hashing, so that threads finish within that of
    /// each other however large the input.
    static let maximumParallelPiece = 2 * 1024 * 1024

    /// Told of each piece a thread finished hashing (see `childChainingValues`).
    typealias PieceObserver = @Sendable (UnsafeRawBufferPointer) -> Void

    /// As `chainingValue(_:chunkCounter:key:flags:)`, split across up to `threads` threads.
    /// Pieces are equal powers of two of at least `minimumPiece` bytes; the result equals the
    /// serial one bit for bit.
    static func chainingValue(
        _ input: UnsafeRawBufferPointer, chunkCounter: UInt64, key: SIMD8<UInt32>, flags: UInt32, threads: Int,
        minimumPiece: Int = minimumParallelPiece
    ) -> SIMD8<UInt32> {
        guard threads > 1, input.count >= 2 * minimumPiece else {
            return chainingValue(input, chunkCounter: chunkCounter, key: key, flags: flags)
        }
        var cvs = pieceChainingValues(
            input, chunkCounter: chunkCounter, key: key, flags: flags, threads: threads, minimumPiece: minimumPiece)
        return cvs.withUnsafeMutableBufferPointer { reduce($0.baseAddress!, count: $0.count, key: key, flags: flags) }
    }

    /// The chaining values of equal power-of-two pieces of `input` (the last may be short),
    /// hashed by up to `threads` threads that take pieces from a shared counter.
    static func pieceChainingValues(
        _ input: UnsafeRawBufferPointer, chunkCounter: UInt64, key: SIMD8<UInt32>, flags: UInt32, threads: Int,
        minimumPiece: Int = minimumParallelPiece, afterPiece: PieceObserver? = nil
    ) -> [SIMD8<UInt32>] {
        // Sixteen pieces per thread (more, of 2 MiB, in larger inputs) keep both cores busy to
        // the end even when one runs slower (a virtual machine's core shared with other
        // guests): with four, the faster thread waited at each 64 MiB window's end, and two
        // threads hashed 512 MiB at 0.84x b3sum's speed where sixteen give 0.97x (same run, one
        // core noisy). Past 128 GiB pieces grow again, so that their chaining values stay
        // within 2 MiB.
        var piece = minimumPiece
        while input.count / piece > 16 * threads && piece < maximumParallelPiece || input.count / piece > 65536 {
            piece *= 2
        }
        let pieces = (input.count + piece - 1) / piece
        let pieceLength = piece
        var cvs = [SIMD8<UInt32>](repeating: .zero, count: pieces)
        let next = Atomic<Int>(0)
        cvs.withUnsafeMutableBufferPointer { out in
            let out = UnsafeSendable(out.baseAddress!)
            let input = UnsafeSendable(input)
            Platform.concurrentPerform(iterations: min(threads, pieces)) { _ in
                while true {
                    let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard index < pieces else { return }
                    let start = index * pieceLength
                    let end = min(start + pieceLength, input.value.count)
                    let slice = UnsafeRawBufferPointer(rebasing: input.value[start..<end])
                    out.value[index] = chainingValue(
                        slice, chunkCounter: chunkCounter &+ UInt64(start / Blake3Constants.chunkLength), key: key,
                        flags: flags)
                    afterPiece?(slice)
                }
            }
        }
        return cvs
    }
}

/// A pointer handed to worker threads that write disjoint parts of it.
struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
