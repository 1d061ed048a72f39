/// The first block of a frame that starts with nothing before it is parsed twice (zstd's
/// `btultra2`): the first parse only learns the block's symbol frequencies, which the fixed
/// starting guesses know nothing of, and is forgotten — tables, repeat offsets and sequences —
/// before the real one.
///
/// Unlike zstd's, the second parse is kept only when its block encodes smaller than the first's.
/// Priced from the first parse, the second can be trapped: on 10-byte binary records the first
/// parse coded nearly every sequence as "seven literals and a 3-byte repeat", so that a new offset
/// looked prohibitive (14.5 bits) and the repeat almost free; the second parse, starting from the
/// default repeat offsets, never paid for the first new offset and coded the block as literals
/// (the frame 1.114× zstd's size; keeping the first parse, 0.99×).
extension MatchFinder {
    func findOptimalTwice(_ window: UnsafePointer<UInt8>, start: Int, end: Int, low: Int, into sequences: SequenceBuffer) {
        guard let optimal, !optimal.prices.hasHistory && start == 0 && nextToUpdate == 0 && end > 1024,
              sequences.count == 0 && sequences.literalCount == 0 else {
            findOptimal(window, start: start, end: end, low: low, into: sequences)
            return
        }
        findOptimal(window, start: start, end: end, low: low, into: sequences)
        let first = SequenceBuffer(blockSize: end - start)
        first.copy(from: sequences)
        let firstPrices = OptimalPrices()
        firstPrices.copy(from: optimal.prices)
        let firstRepeats = (rep1, rep2, rep3)

        sequences.reset()
        hashTable.update(repeating: 0, count: hashSize)
        optimal.forgetPositions()
        nextToUpdate = 0
        rep1 = 1; rep2 = 4; rep3 = 8
        findOptimal(window, start: start, end: end, low: low, into: sequences)

        if Self.encodedSize(first, blockSize: end - start) < Self.encodedSize(sequences, blockSize: end - start) {
            sequences.copy(from: first)
            optimal.prices.copy(from: firstPrices)
            (rep1, rep2, rep3) = firstRepeats
        }
    }

    /// The bytes `sequences` take as a frame's first block (as it stands raw when coding does not pay).
    static func encodedSize(_ sequences: SequenceBuffer, blockSize: Int) -> Int {
        let capacity = blockSize + 200
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { scratch.deallocate() }
        var state = EntropyState()
        return BlockEncoder.encode(sequences, blockSize: blockSize, state: &state, output: scratch, capacity: capacity) ?? blockSize
    }
}
