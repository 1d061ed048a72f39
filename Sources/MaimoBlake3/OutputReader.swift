extension Blake3 {
    /// Extended output: a stream of any length from the root node, seekable to any byte.
    ///
    /// Output block `n` is one compression of the root node with counter `n`, so seeking costs
    /// nothing and reading from position `p` gives the same bytes as reading up to `p` and on.
    public struct OutputReader: Sendable {
        let output: Output
        /// The position of the next byte to read.
        public private(set) var position: UInt64 = 0

        init(output: Output) { self.output = output }

        /// Moves to byte `position` of the output stream.
        public mutating func seek(to position: UInt64) { self.position = position }

        /// Fills `buffer` with the next output bytes.
        public mutating func read(into buffer: UnsafeMutableRawBufferPointer) {
            guard var destination = buffer.baseAddress else { return }
            var remaining = buffer.count
            while remaining > 0 {
                var block = output.rootOutputBlock(position / 64)
                let offset = Int(position % 64)
                let n = min(64 - offset, remaining)
                // The words are host-order; the output is their little-endian bytes.
                for i in 0..<16 { block[i] = block[i].littleEndian }
                withUnsafeBytes(of: &block) { bytes in
                    destination.copyMemory(from: bytes.baseAddress! + offset, byteCount: n)
                }
                destination += n
                remaining -= n
                position &+= UInt64(n)
            }
        }

        /// The next `count` output bytes.
        public mutating func read(count: Int) -> [UInt8] {
            // Not through the uninitialised initialiser for 0: it writes the count into the
            // shared empty-array storage (a data race under ThreadSanitizer).
            if count == 0 { return [] }
            return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                read(into: UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            }
        }
    }
}
