// Writing a frame: its header and its blocks (compressed, RLE or raw, and a block split where
// its statistics change).

extension ZstdCompressor {
    func writeHeaderIfNeeded(_ sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void) throws(ZstdError) {
        guard !headerWritten else { return }
        headerWritten = true
        // At most 4 + 1 + 1 + 4 + 8 bytes, written into the block output buffer.
        let header = output
        var length = 5
        func append(_ byte: UInt8) { header[length] = byte; length += 1 }
        header[0] = 0x28; header[1] = 0xB5; header[2] = 0x2F; header[3] = 0xFD
        let dictionaryID = options.includesDictionaryID ? (dictionary?.id ?? 0) : 0
        let idSize = dictionaryID == 0 ? 0 : dictionaryID < 256 ? 1 : dictionaryID < 65536 ? 2 : 3
        var descriptor = UInt8(idSize)
        if options.checksum { descriptor |= 0x04 }
        let singleSegment = options.contentSize.map { $0 <= UInt64(windowSize) } ?? false
        if singleSegment { descriptor |= 0x20 } else { append(UInt8((parameters.windowLog - 10) << 3)) }
        for i in 0..<[0, 1, 2, 4][idSize] { append(UInt8(truncatingIfNeeded: dictionaryID >> (8 * i))) }
        if let size = options.contentSize {
            if size < 256 && singleSegment {
                append(UInt8(size))
            } else if size >= 256 && size < 65536 + 256 {
                descriptor |= 1 << 6
                append(UInt8((size - 256) & 0xFF)); append(UInt8((size - 256) >> 8))
            } else if size <= UInt64(UInt32.max) {
                descriptor |= 2 << 6
                for i in 0..<4 { append(UInt8(truncatingIfNeeded: size >> (8 * UInt64(i)))) }
            } else {
                descriptor |= 3 << 6
                for i in 0..<8 { append(UInt8(truncatingIfNeeded: size >> (8 * UInt64(i)))) }
            }
        }
        header[4] = descriptor
        try sink(UnsafeRawBufferPointer(start: header, count: length))
    }

    func compressBlock(from start: Int, to stop: Int, last: Bool, _ sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void) throws(ZstdError) {
        let size = stop - start
        var type = 0
        var bodySize = size
        var body = source + start
        if size > 0 {
            let first = source[start]
            var same = true
            for i in 1..<size where source[start + i] != first { same = false; break }
            if same && size > 1 {
                type = 1
                bodySize = 1
            } else {
                // References may reach into the dictionary while the frame is within one window of it.
                let low = stop - (slid == 0 ? dictionaryLength : 0) <= windowSize ? 0 : max(0, stop - windowSize)
                findSequences(start: start, stop: stop, low: low)
                if parameters.strategy == .optimal {
                    let splitter = self.splitter ?? BlockSplitter(blockSize: blockSize)
                    self.splitter = splitter
                    let splits = splitter.splits(sequences, state: entropy)
                    if !splits.isEmpty {
                        try compressParts(splitter, splits, from: start, last: last, sink)
                        next = stop
                        return
                    }
                }
                if let compressed = BlockEncoder.encode(
                    sequences, blockSize: size, state: &entropy, output: output + 3, capacity: blockSize + 200,
                    preferRepeat: parameters.strategy <= .doubleFast, rawLiterals: parameters.acceleration > 1) {
                    type = 2
                    bodySize = compressed
                    body = UnsafePointer(output + 3)
                }
            }
        }
        try emitBlock(type: type, size: size, body: body, bodySize: bodySize, last: last, sink)
        next = stop
    }

    /// The block's sequences as several blocks, split before each index in `splits`.
    func compressParts(
        _ splitter: BlockSplitter, _ splits: [Int], from start: Int, last: Bool, _ sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void
    ) throws(ZstdError) {
        var first = 0
        for index in 0...splits.count {
            let end = index < splits.count ? splits[index] : sequences.count
            let size = splitter.load(sequences, first, end)
            let partStart = start + splitter.contentStarts[first]
            let isLast = last && index == splits.count
            if let compressed = BlockEncoder.encode(splitter.part, blockSize: size, state: &entropy, output: output + 3, capacity: blockSize + 200) {
                try emitBlock(type: 2, size: size, body: UnsafePointer(output + 3), bodySize: compressed, last: isLast, sink)
            } else {
                try emitBlock(type: 0, size: size, body: source + partStart, bodySize: size, last: isLast, sink)
            }
            first = end
        }
    }

    /// Writes a block: `type` 0 (raw), 1 (RLE: `body` is its byte) or 2 (compressed, written at
    /// `output + 3` with room for the header before it).
    func emitBlock(
        type: Int, size: Int, body: UnsafePointer<UInt8>, bodySize: Int, last: Bool, _ sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void
    ) throws(ZstdError) {
        let header = (last ? 1 : 0) | type << 1 | (type == 1 ? size : bodySize) << 3
        if type == 2 {
            output[0] = UInt8(header & 0xFF); output[1] = UInt8((header >> 8) & 0xFF); output[2] = UInt8(header >> 16)
            try sink(UnsafeRawBufferPointer(start: output, count: 3 + bodySize))
        } else {
            var bytes = [UInt8(header & 0xFF), UInt8((header >> 8) & 0xFF), UInt8(header >> 16)]
            if type == 1 { bytes.append(body.pointee) }
            try Self.emit(bytes, sink)
            if type == 0 && size > 0 { try sink(UnsafeRawBufferPointer(start: body, count: size)) }
        }
    }
}
