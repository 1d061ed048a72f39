import MaimoXXHash

/// Settings of a ``ZstdDecompressor``.
public struct ZstdDecompressionOptions: Sendable {
    /// The largest window a frame may ask for, in bytes. Memory use is bounded by about twice
    /// this, whatever the content size. The default is the reference decoder's streaming limit,
    /// 128 MiB (`--memory=128MB`); frames made with `--long=31` need `1 << 31`.
    public var maxWindowSize: Int
    /// Whether to check the XXH64 content checksum of frames that carry one.
    public var verifiesChecksum: Bool

    /// Options with the given window limit and checksum policy.
    public init(maxWindowSize: Int = 1 << 27, verifiesChecksum: Bool = true) {
        self.maxWindowSize = maxWindowSize
        self.verifiesChecksum = verifiesChecksum
    }
}

/// A streaming zstd decoder (RFC 8878): feed it compressed bytes in pieces of any size with
/// ``decompress(_:to:)-(UnsafeRawBufferPointer,_)`` and it hands each decoded block to a sink as soon as it is complete;
/// call ``finish()`` at the end of the input. Frames may be concatenated, and skippable frames
/// are skipped. Memory stays bounded by the window size, not by the content size.
///
/// After an error the decompressor stays failed: every later call throws the same error.
public final class ZstdDecompressor {
    /// The settings it decodes with.
    public let options: ZstdDecompressionOptions
    /// The dictionary frames may refer to, if any.
    public let dictionary: ZstdDictionary?

    /// A unit of input the decoder waits for.
    enum Stage {
        case magic
        case skippableLength
        case skipping(remaining: UInt64)
        case descriptor
        case headerRest(descriptor: UInt8, count: Int)
        case blockHeader
        case block(type: UInt8, size: Int, last: Bool)
        case checksum
    }

    var stage = Stage.magic
    var failure: ZstdError?
    /// Bytes of input consumed so far (the offsets in errors count from here).
    var inputOffset: UInt64 = 0
    var frameOffset: UInt64 = 0
    /// Input bytes of the current unit gathered across calls (grown to the largest unit met:
    /// DecoderBuffers.swift).
    var pending: UnsafeMutablePointer<UInt8>
    var pendingCapacity = 0
    var pendingCount = 0

    // The current frame.
    var windowSize = 0
    var blockMaximum = 0
    var contentSize: UInt64?
    var hasChecksum = false
    var produced: UInt64 = 0
    var checksum = XXH64.State()

    // The history: decoded bytes the matches refer to; `position` is where the next block goes.
    // It starts small and grows with the output up to `historyLimit`, then slides.
    var history: UnsafeMutablePointer<UInt8>
    var historyCapacity = 0
    var historyLimit = 0

    // Decoding straight into a caller's buffer (DecodeInto.swift): while a frame is decoded in
    // place, `history` points into `destination` and the decompressor's own buffer waits here.
    var destination: UnsafeMutableRawBufferPointer?
    var written = 0
    var ownHistory: (pointer: UnsafeMutablePointer<UInt8>, capacity: Int)?
    var position = 0
    var historyStart = 0
    static let slack = 64

    // Entropy state carried from block to block.
    var literals: UnsafeMutablePointer<UInt8>
    var literalsCapacity = 0
    let huffmanTable: UnsafeMutablePointer<UInt16>
    var huffmanLog = 0
    var hasHuffman = false
    // The three sequence tables live in one buffer (see `SequenceKind.tableOffset`).
    let sequenceCells: UnsafeMutablePointer<SequenceCell>
    var literalLengths: SequenceTable
    var offsets: SequenceTable
    var matchLengths: SequenceTable
    var repeats = (1, 4, 8)
    let counts: UnsafeMutablePointer<Int16>
    let scratchCells: UnsafeMutablePointer<FSECell>

    /// A decompressor for frames made without a dictionary, or with `dictionary`.
    public init(dictionary: ZstdDictionary? = nil, options: ZstdDecompressionOptions = .init()) {
        self.dictionary = dictionary
        self.options = options
        pending = .allocate(capacity: 0)
        history = HistoryMemory.allocate(0)
        literals = .allocate(capacity: 0)
        huffmanTable = .allocate(capacity: Huffman.tableCapacity)
        counts = .allocate(capacity: 256)
        scratchCells = .allocate(capacity: 512)
        sequenceCells = .allocate(capacity: SequenceKind.combinedCapacity)
        sequenceCells.initialize(repeating: SequenceCell(), count: SequenceKind.combinedCapacity)
        literalLengths = SequenceTable(cells: sequenceCells + SequenceKind.literalLength.tableOffset)
        offsets = SequenceTable(cells: sequenceCells + SequenceKind.offset.tableOffset)
        matchLengths = SequenceTable(cells: sequenceCells + SequenceKind.matchLength.tableOffset)
    }

    deinit {
        pending.deallocate()
        HistoryMemory.release(history)
        literals.deallocate()
        huffmanTable.deallocate()
        counts.deallocate()
        scratchCells.deallocate()
        sequenceCells.deallocate()
    }

    /// Makes the decompressor ready for a new input, as if just made, keeping its buffers (the
    /// reference's `ZSTD_DCtx_reset`): decoding many inputs with one decompressor allocates
    /// nothing after the first. Clears a failure too.
    public func reset() {
        stage = .magic
        failure = nil
        inputOffset = 0
        frameOffset = 0
        pendingCount = 0
        leaveDestination()
    }

    /// True between frames: all input given so far forms whole frames.
    public var isAtFrameBoundary: Bool {
        if case .magic = stage { return pendingCount == 0 }
        return false
    }

    /// Decodes `input`, handing decoded bytes to `sink` in order. Input may stop anywhere; the
    /// rest of a unit is awaited in the next call.
    public func decompress(
        _ input: UnsafeRawBufferPointer, to sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void
    ) throws(ZstdError) {
        if let failure { throw failure }
        do {
            try feed(input, sink)
        } catch {
            failure = error
            throw error
        }
    }

    /// Decodes `input` (see ``decompress(_:to:)-(UnsafeRawBufferPointer,_)``).
    public func decompress(_ input: [UInt8], to sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void) throws(ZstdError) {
        let result: Result<Void, ZstdError> = input.withUnsafeBytes { raw in
            Result { () throws(ZstdError) in try decompress(raw, to: sink) }
        }
        try result.get()
    }

    /// Declares the end of the input: throws ``ZstdError/truncated(frameOffset:offset:)`` when it
    /// stops inside a frame.
    public func finish() throws(ZstdError) {
        if let failure { throw failure }
        guard isAtFrameBoundary else {
            let error = ZstdError.truncated(frameOffset: frameOffset, offset: inputOffset + UInt64(pendingCount))
            failure = error
            throw error
        }
    }

    /// How many input bytes the current stage waits for.
    var unitSize: Int {
        switch stage {
        case .magic, .skippableLength, .checksum: return 4
        case .skipping: return 0
        case .descriptor: return 1
        case let .headerRest(_, count): return count
        case .blockHeader: return 3
        case let .block(type, size, _): return type == 1 ? 1 : size
        }
    }

    /// What a frame header descriptor says about the fields after it (RFC 8878 §3.1.1.1.1): no
    /// window descriptor when single-segment, the dictionary ID's and the content size's widths.
    static func headerFields(_ descriptor: UInt8) -> (singleSegment: Bool, dictionaryIDSize: Int, contentSizeSize: Int) {
        let singleSegment = descriptor & 0x20 != 0
        let contentSizeFlag = Int(descriptor >> 6)
        return (singleSegment, [0, 1, 2, 4][Int(descriptor & 3)],
                contentSizeFlag == 0 ? (singleSegment ? 1 : 0) : [0, 2, 4, 8][contentSizeFlag])
    }

    func feed(_ input: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void) throws(ZstdError) {
        var cursor = 0
        while true {
            if case let .skipping(remaining) = stage {
                let take = Int(min(remaining, UInt64(input.count - cursor)))
                cursor += take
                inputOffset += UInt64(take)
                stage = remaining == UInt64(take) ? .magic : .skipping(remaining: remaining - UInt64(take))
                if remaining != UInt64(take) { return }
                continue
            }
            let need = unitSize
            if need == 0 {
                try process(UnsafeRawBufferPointer(start: nil, count: 0), sink)
                continue
            }
            if cursor == input.count { return }
            if pendingCount == 0 && input.count - cursor >= need {
                try process(UnsafeRawBufferPointer(rebasing: input[cursor..<(cursor + need)]), sink)
                cursor += need
                continue
            }
            if need > pendingCapacity { growPending(to: need) }
            let take = min(need - pendingCount, input.count - cursor)
            (pending + pendingCount).initialize(
                from: input.baseAddress!.assumingMemoryBound(to: UInt8.self) + cursor, count: take)
            pendingCount += take
            cursor += take
            if pendingCount == need {
                pendingCount = 0
                try process(UnsafeRawBufferPointer(start: pending, count: need), sink)
            }
        }
    }

    /// Handles one complete unit of input and moves to the next stage.
    func process(_ unit: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void) throws(ZstdError) {
        let offset = inputOffset
        defer { inputOffset += UInt64(unit.count) }
        switch stage {
        case .magic:
            let magic = unit.loadUnaligned(as: UInt32.self).littleEndian
            frameOffset = offset
            if magic == Zstd.frameMagic {
                stage = .descriptor
            } else if magic & 0xFFFF_FFF0 == Zstd.skippableFrameMagic {
                stage = .skippableLength
            } else {
                throw .unknownMagic(offset: offset, magic: magic)
            }
        case .skippableLength:
            let length = UInt64(unit.loadUnaligned(as: UInt32.self).littleEndian)
            stage = length == 0 ? .magic : .skipping(remaining: length)
        case .skipping:
            break
        case .descriptor:
            let descriptor = unit[0]
            guard descriptor & 0x08 == 0 else {
                throw .corrupt(offset: offset, reason: "reserved bit of the frame header descriptor is set")
            }
            let fields = Self.headerFields(descriptor)
            let rest = (fields.singleSegment ? 0 : 1) + fields.dictionaryIDSize + fields.contentSizeSize
            stage = .headerRest(descriptor: descriptor, count: rest)
        case let .headerRest(descriptor, _):
            try beginFrame(descriptor: descriptor, header: unit, offset: offset)
            stage = .blockHeader
        case .blockHeader:
            let header = Int(unit[0]) | Int(unit[1]) << 8 | Int(unit[2]) << 16
            let last = header & 1 != 0
            let type = UInt8((header >> 1) & 3)
            let size = header >> 3
            guard type != 3 else { throw .corrupt(offset: offset, reason: "reserved block type") }
            guard size <= blockMaximum else {
                throw .corrupt(offset: offset, reason: "block size \(size) exceeds the maximum \(blockMaximum)")
            }
            guard type != 2 || size > 0 else { throw .corrupt(offset: offset, reason: "compressed block of size 0") }
            stage = .block(type: type, size: size, last: last)
        case let .block(type, size, last):
            let limit = prepareHistory()
            let start = position
            if type != 2 && size > limit {
                throw .contentSizeMismatch(offset: frameOffset, declared: contentSize ?? 0, actual: produced + UInt64(size))
            }
            switch type {
            case 0:
                if size > 0 {
                    (history + position).update(from: unit.baseAddress!.assumingMemoryBound(to: UInt8.self), count: size)
                }
                position += size
            case 1:
                (history + position).update(repeating: unit[0], count: size)
                position += size
            default:
                position += try decodeCompressedBlock(unit, limit: limit, offset: offset)
            }
            try emit(from: start, sink)
            if last { try endFrame(offset: offset + UInt64(unit.count)) }
            else { stage = .blockHeader }
        case .checksum:
            let stored = unit.loadUnaligned(as: UInt32.self).littleEndian
            let actual = UInt32(truncatingIfNeeded: checksum.finalize())
            if options.verifiesChecksum && stored != actual {
                throw .checksumMismatch(offset: offset, expected: stored, actual: actual)
            }
            stage = .magic
        }
    }

    /// Parses the frame header after its descriptor and sets up the window and the dictionary.
    func beginFrame(descriptor: UInt8, header: UnsafeRawBufferPointer, offset: UInt64) throws(ZstdError) {
        let fields = Self.headerFields(descriptor)
        let singleSegment = fields.singleSegment
        var cursor = 0
        var window: UInt64 = 0
        if !singleSegment {
            let byte = header[0]
            let exponent = UInt64(byte >> 3), mantissa = UInt64(byte & 7)
            let base: UInt64 = 1 << (10 + exponent)
            window = base + (base / 8) * mantissa
            cursor = 1
        }
        var dictionaryID: UInt32 = 0
        let dictionaryIDSize = fields.dictionaryIDSize
        for i in 0..<dictionaryIDSize { dictionaryID |= UInt32(header[cursor + i]) << (8 * i) }
        cursor += dictionaryIDSize
        let contentSizeSize = header.count - cursor
        if contentSizeSize > 0 {
            var value: UInt64 = 0
            for i in 0..<contentSizeSize { value |= UInt64(header[cursor + i]) << (8 * UInt64(i)) }
            if contentSizeSize == 2 { value += 256 }
            contentSize = value
        } else {
            contentSize = nil
        }
        if singleSegment { window = contentSize ?? 0 }
        guard window <= UInt64(options.maxWindowSize) else {
            throw .windowTooLarge(offset: frameOffset, windowSize: window, limit: options.maxWindowSize)
        }
        if dictionaryID != 0 && dictionary?.id != dictionaryID {
            throw .dictionaryMismatch(offset: frameOffset, frameDictionaryID: dictionaryID, suppliedDictionaryID: dictionary?.id)
        }
        windowSize = Int(window)
        blockMaximum = min(windowSize, 1 << 17)
        hasChecksum = descriptor & 0x04 != 0
        produced = 0
        checksum = XXH64.State()

        // Room for the window plus a stretch to decode into before sliding; a known content size
        // that is smaller bounds it further, so small frames never slide.
        let prefix = dictionary?.content.count ?? 0
        var needed = windowSize + max(windowSize, 1 << 20) + blockMaximum
        if let contentSize, contentSize < UInt64(needed) { needed = Int(contentSize) }
        needed += prefix + Self.slack
        prepareLiterals()
        historyStart = 0
        position = 0
        if enterDestination() {
            resetEntropy()
            return
        }
        prepareHistory(limit: needed, prefix: prefix)
        if let dictionary {
            dictionary.content.withUnsafeBufferPointer { content in
                if let base = content.baseAddress { history.update(from: base, count: content.count) }
            }
            position = prefix
            dictionary.loadEntropy(into: self)
        } else {
            resetEntropy()
        }
    }

    /// A frame without a dictionary starts with no entropy tables and the initial repeat offsets.
    func resetEntropy() {
        hasHuffman = false
        literalLengths.isValid = false
        offsets.isValid = false
        matchLengths.isValid = false
        repeats = (1, 4, 8)
    }

    /// Hands the bytes decoded since `start` to the sink and the checksum.
    @inline(__always)
    func emit(from start: Int, _ sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void) throws(ZstdError) {
        let count = position - start
        guard count > 0 else { return }
        produced += UInt64(count)
        if let contentSize, produced > contentSize {
            throw .contentSizeMismatch(offset: frameOffset, declared: contentSize, actual: produced)
        }
        let bytes = UnsafeRawBufferPointer(start: history + start, count: count)
        if hasChecksum && options.verifiesChecksum { checksum.update(bytes) }
        if ownHistory != nil { written += count } else { try sink(bytes) }
    }

    func endFrame(offset: UInt64) throws(ZstdError) {
        leaveDestination()
        if let contentSize, produced != contentSize {
            throw .contentSizeMismatch(offset: frameOffset, declared: contentSize, actual: produced)
        }
        if hasChecksum {
            stage = .checksum
        } else {
            stage = .magic
        }
    }
}
