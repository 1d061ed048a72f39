/// Splitting a block where its statistics change (zstd's block splitter, which its optimal
/// strategies use): a 128 KiB block of a binary often holds tables, strings and code, each best
/// coded with its own Huffman and FSE tables. The block's sequences are halved recursively, and a
/// half is kept apart when coding the halves separately is smaller than coding them together.
final class BlockSplitter {
    /// Fewer sequences than this are never split (zstd's `MIN_SEQUENCES_BLOCK_SPLITTING`).
    static let minimumSequences = 300
    /// A part's sequences and literals, copied out of the block's to be encoded on their own.
    let part: SequenceBuffer
    let scratch: UnsafeMutablePointer<UInt8>
    let capacity: Int
    /// Where each sequence's literals start in the block's literals, and its content in the block.
    var literalStarts: [Int] = []
    var contentStarts: [Int] = []

    init(blockSize: Int) {
        part = SequenceBuffer(blockSize: blockSize)
        capacity = blockSize + 256
        scratch = .allocate(capacity: capacity)
    }

    deinit { scratch.deallocate() }

    /// The sequence indices to split `sequences` at (empty: keep the block whole), each part's
    /// size estimated by encoding it from `state`.
    func splits(_ sequences: SequenceBuffer, state: EntropyState) -> [Int] {
        let count = sequences.count
        guard count >= Self.minimumSequences else { return [] }
        literalStarts.removeAll(keepingCapacity: true)
        contentStarts.removeAll(keepingCapacity: true)
        var literal = 0, content = 0
        for i in 0..<count {
            literalStarts.append(literal)
            contentStarts.append(content)
            let literalLength = Int(sequences.literalLengths[i])
            literal += literalLength
            content += literalLength + Int(sequences.matchLengths[i])
        }
        literalStarts.append(sequences.literalCount)
        contentStarts.append(content + sequences.literalCount - literal)
        var result: [Int] = []
        derive(sequences, 0, count, state: state, into: &result)
        return result
    }

    func derive(_ sequences: SequenceBuffer, _ start: Int, _ end: Int, state: EntropyState, into result: inout [Int]) {
        guard end - start >= Self.minimumSequences && result.count < 195 else { return }
        let middle = (start + end) / 2
        let whole = estimate(sequences, start, end, state: state)
        let halves = estimate(sequences, start, middle, state: state) + estimate(sequences, middle, end, state: state)
        guard halves < whole else { return }
        derive(sequences, start, middle, state: state, into: &result)
        result.append(middle)
        derive(sequences, middle, end, state: state, into: &result)
    }

    /// The bytes the sequences `start..<end` take as a block of their own (header included).
    func estimate(_ sequences: SequenceBuffer, _ start: Int, _ end: Int, state: EntropyState) -> Int {
        load(sequences, start, end)
        var trial = state
        let size = contentStarts[end] - contentStarts[start]
        return 3 + (BlockEncoder.encode(part, blockSize: size, state: &trial, output: scratch, capacity: capacity) ?? size)
    }

    /// Copies the sequences `start..<end` into ``part``; the last part takes the block's last
    /// literals too. Returns the part's content size.
    @discardableResult
    func load(_ sequences: SequenceBuffer, _ start: Int, _ end: Int) -> Int {
        part.reset()
        let literalEnd = end == sequences.count ? sequences.literalCount : literalStarts[end]
        let literalCount = literalEnd - literalStarts[start]
        (part.literals).update(from: sequences.literals + literalStarts[start], count: literalCount)
        part.literalCount = literalCount
        let n = end - start
        part.literalLengths.update(from: sequences.literalLengths + start, count: n)
        part.matchLengths.update(from: sequences.matchLengths + start, count: n)
        part.distances.update(from: sequences.distances + start, count: n)
        part.count = n
        return contentStarts[end] - contentStarts[start]
    }
}
