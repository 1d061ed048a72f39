// Decoding into a caller's buffer. A frame that declares its content size, fits in what is left
// of the destination and uses no dictionary is decoded in place: the destination is its history,
// so no byte is copied twice (the reference's `ZSTD_decompressDCtx` does the same). Other frames
// go through the decompressor's own history and are copied out block by block.

extension ZstdDecompressor {
    /// Decodes `input` — whole frames — into `destination` and returns how many bytes it wrote:
    /// the reference's `ZSTD_decompressDCtx`. The decompressor is reset first, so one
    /// decompressor and one destination can serve any number of inputs without allocating.
    /// Bytes of `destination` after the returned count may have been written too.
    /// - Throws: ``ZstdError/outputTooLarge(limit:)`` when the content does not fit,
    ///   ``ZstdError/truncated(frameOffset:offset:)`` when `input` stops inside a frame, or
    ///   whatever the frames' errors are.
    public func decompress(_ input: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws(ZstdError) -> Int {
        reset()
        self.destination = destination
        written = 0
        defer {
            leaveDestination()
            self.destination = nil
        }
        try decompress(input) { [self] (bytes) throws(ZstdError) in
            guard bytes.count <= destination.count - written else { throw .outputTooLarge(limit: destination.count) }
            if let base = destination.baseAddress, let source = bytes.baseAddress {
                (base + written).copyMemory(from: source, byteCount: bytes.count)
            }
            written += bytes.count
        }
        try finish()
        return written
    }

    /// At the start of a frame: makes the rest of the destination the history when the frame
    /// can be decoded in place; returns whether it did.
    func enterDestination() -> Bool {
        guard let destination, let base = destination.baseAddress, dictionary == nil, let contentSize,
              contentSize <= UInt64(destination.count - written) else { return false }
        ownHistory = (history, historyCapacity)
        history = base.assumingMemoryBound(to: UInt8.self)
        historyCapacity = destination.count
        historyLimit = destination.count
        historyStart = written
        position = written
        return true
    }

    /// Gives the decompressor its own history back (at the end of a frame decoded in place, or
    /// when decoding stops inside one).
    func leaveDestination() {
        guard let own = ownHistory else { return }
        history = own.pointer
        historyCapacity = own.capacity
        ownHistory = nil
        historyStart = 0
        position = 0
    }
}
