// The decoder's buffers grow with what the input actually needs, never with what a frame header
// claims: a 20-byte frame that declares a 4 MiB window and content size costs a few hundred
// bytes until it produces output, and a decompressor made for one small record allocates
// kilobytes, not the 1.3 MiB it used to (the largest unit, literals section and history up
// front). Hostile headers cannot make the decoder reserve memory it does not fill.

extension ZstdDecompressor {
    /// Makes `pending` hold at least `count` bytes, keeping the `pendingCount` gathered so far.
    /// Units are at most a block (128 KiB), so it grows a few times per decompressor at most.
    @inline(never)
    func growPending(to count: Int) {
        let capacity = max(count, 2 * pendingCapacity, 32)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.update(from: pending, count: pendingCount)
        pending.deallocate()
        pending = grown
        pendingCapacity = capacity
    }

    /// Makes the literals buffer hold a block's literals (and the slack wild copies read).
    func prepareLiterals() {
        let literalsNeeded = blockMaximum + Self.slack
        if literalsNeeded > literalsCapacity {
            literals.deallocate()
            literals = .allocate(capacity: literalsNeeded)
            literalsCapacity = literalsNeeded
        }
    }

    /// Sets up the history for a frame that may need up to `limit` bytes of it (its window,
    /// room to decode ahead, a dictionary's `prefix`, slack). It starts with room for the
    /// prefix and one block; ``prepareHistory()`` grows it.
    func prepareHistory(limit: Int, prefix: Int) {
        historyLimit = limit
        let initial = min(limit, prefix + blockMaximum + Self.slack)
        // A buffer far larger than this frame can use (left by an earlier frame) is given back.
        if initial > historyCapacity || historyCapacity > 4 * limit + (1 << 22) {
            HistoryMemory.release(history)
            history = HistoryMemory.allocate(initial)
            historyCapacity = initial
        }
    }

    /// Makes room for one more block — growing the history while it is below its limit, then
    /// sliding the last window of it to the front — and returns how many bytes the block may
    /// produce.
    @inline(__always)
    func prepareHistory() -> Int {
        var limit = blockMaximum
        // A declared size may be anything up to 2⁶⁴ − 1 (no Int holds that): compare unsigned.
        if let contentSize, contentSize - produced < UInt64(limit) { limit = Int(contentSize - produced) }
        // Decoding in place (`ownHistory` set), the frame's declared size fits: never slide.
        if position + limit + Self.slack > historyCapacity && ownHistory == nil {
            if historyCapacity < historyLimit { growHistory(toHold: position + limit + Self.slack) }
            if position + limit + Self.slack > historyCapacity {
                let keep = min(position - historyStart, windowSize)
                history.update(from: history + position - keep, count: keep)
                historyStart = 0
                position = keep
            }
        }
        return limit
    }

    /// Doubles the history (at least to `needed`, at most to `historyLimit`), keeping its bytes.
    @inline(never)
    func growHistory(toHold needed: Int) {
        let capacity = min(historyLimit, max(needed, 2 * historyCapacity))
        history = HistoryMemory.grow(history, keeping: position, to: capacity)
        historyCapacity = capacity
    }
}
