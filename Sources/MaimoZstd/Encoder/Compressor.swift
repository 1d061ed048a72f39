import MaimoXXHash

/// Settings of a ``ZstdCompressor``.
public struct ZstdCompressionOptions: Sendable {
    /// 1 (fast) to 19 (small), 20 to 22 (`--ultra`: windows of 32 to 128 MiB), or negative
    /// (`--fast=N`: faster still, larger); 3 is zstd's default.
    public var level: Int
    /// Whether frames end with the XXH64 content checksum (zstd's default: yes).
    public var checksum: Bool
    /// The exact number of bytes that will be compressed, when known in advance: it goes into the
    /// frame header, and small inputs get smaller tables and windows.
    public var contentSize: UInt64?
    /// Whether the frame names the dictionary's ID (zstd's default: yes).
    public var includesDictionaryID: Bool
    /// Overrides the level's search parameters (within the encoder's bounds: values outside
    /// them are brought to the nearest, see ``ZstdParameters/clamped()``).
    public var parameters: ZstdParameters?
    /// The largest block, in bytes of input (at most 128 KiB, the format's limit, and at least
    /// 1 KiB); nil for the format's maximum. Smaller blocks adapt their entropy tables more often
    /// and let a reader start sooner, for a few bytes more.
    public var maxBlockSize: Int?
    /// Long-distance matching (zstd's `--long[=windowLog]`): the window, log2 (10 to 31; 27, 128
    /// MiB, is `--long`'s default), grown to at least this, and repeats of 64 bytes or more found
    /// anywhere in it. A reader needs a window this large: the reference `zstd -d` accepts up to
    /// 2^27 by default and larger with `--long=N` or `--memory`. nil: off.
    public var longWindowLog: Int?

    /// Options with zstd's defaults: level 3, a checksum, the dictionary ID, no declared size.
    public init(level: Int = 3, checksum: Bool = true, contentSize: UInt64? = nil, includesDictionaryID: Bool = true,
                parameters: ZstdParameters? = nil, maxBlockSize: Int? = nil, longWindowLog: Int? = nil) {
        self.level = level
        self.checksum = checksum
        self.contentSize = contentSize
        self.includesDictionaryID = includesDictionaryID
        self.parameters = parameters
        self.maxBlockSize = maxBlockSize.map { min(1 << 17, max(1 << 10, $0)) }
        self.longWindowLog = longWindowLog.map { min(31, max(10, $0)) }
    }
}

/// A streaming zstd compressor: one standard frame (RFC 8878) that the reference `zstd -d`
/// decodes, made from input given in pieces of any size. Memory is bounded by the window plus
/// one stretch of input: the tables of the level, about twice the window and a few blocks.
public final class ZstdCompressor {
    /// The settings of the current frame.
    public private(set) var options: ZstdCompressionOptions
    /// The dictionary frames are compressed with, if any.
    public let dictionary: ZstdDictionary?
    /// The search parameters of the current frame (the level's, shrunk for a small declared size).
    public private(set) var parameters: ZstdParameters
    /// The window of the current frame, in bytes.
    public var windowSize: Int { 1 << parameters.windowLog }
    var blockSize = 0

    var window: UnsafeMutablePointer<UInt8>
    /// The bytes being searched: the window, or the caller's buffer during an in-place frame
    /// (which ends at `sourceEnd`, with no slack to read past).
    var source: UnsafePointer<UInt8>
    var sourceEnd: UnsafePointer<UInt8>?
    var windowCapacity = 0
    /// Bytes in the window, and the start of the first byte not yet compressed.
    var end = 0
    var next = 0
    let dictionaryLength: Int
    /// How far the window slid in total (positions are window indices).
    var slid = 0
    var consumed: UInt64 = 0
    var headerWritten = false
    var finished = false
    var checksum = XXH64.State()
    var entropy = EntropyState()
    var finder: MatchFinder
    /// The long-distance matcher, with `longWindowLog`.
    var longMatcher: LongDistanceMatcher?
    var sequences: SequenceBuffer
    /// The optimal strategy's block splitter, made at its first use.
    var splitter: BlockSplitter?
    var output: UnsafeMutablePointer<UInt8>
    /// The dictionary's match tables for the level's parameters, kept across frames.
    var dictionaryTables: DictionaryMatchTables?
    var dictionaryTablesLevel: ZstdParameters?
    static let slack = 64

    /// A compressor for one frame at a time.
    /// - Parameters:
    /// - dictionary: a dictionary to compress against (the reader needs the same one).
    /// - options: level, checksum, declared size and block size.
    public init(dictionary: ZstdDictionary? = nil, options: ZstdCompressionOptions = .init()) {
        self.options = options
        self.dictionary = dictionary
        dictionaryLength = dictionary?.content.count ?? 0
        parameters = .level(1)
        window = .allocate(capacity: 1)
        source = UnsafePointer(window)
        output = .allocate(capacity: 1)
        finder = MatchFinder(parameters: ZstdParameters(strategy: .fast, windowLog: 10, hashLog: 6, chainLog: 6, searchLog: 0, minMatch: 4))
        sequences = SequenceBuffer(blockSize: 0)
        configure(reusing: false)
    }

    /// Starts a new frame with the same level, dictionary and settings, reusing the buffers and
    /// tables (and, while it is still in place, the dictionary's content): the cheap way to
    /// compress many small records.
    public func reset(contentSize: UInt64? = nil) {
        options.contentSize = contentSize
        configure(reusing: true)
    }

    /// Compresses `data` into one frame (with its size in the header) after ``reset(contentSize:)``.
    public func compressFrame(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        // The worst case (stored blocks), not a guess that a poorly compressible input outgrows
        // (regrowing copies the frame so far): pages never written cost no memory.
        let bound = Self.compressBound(data.count)
        return [UInt8](unsafeUninitializedCapacity: bound) { buffer, count in
            // Cannot fail: the bound holds every frame.
            count = try! compressFrame(data, into: UnsafeMutableRawBufferPointer(buffer))
        }
    }

    /// The largest frame that `size` bytes of input can become (stored blocks, header and
    /// checksum): a destination of this size always holds a frame from ``compressFrame(_:into:)``.
    public static func compressBound(_ size: Int) -> Int {
        // Blocks are at least 1 KiB and each costs 3 bytes of header; the frame header at most
        // 18 bytes, the checksum 4.
        size + size >> 8 + 64
    }

    /// Compresses `data` into one frame (with its size in the header) written at the start of
    /// `destination`, and returns its size; the compressor is reset first, as by
    /// ``reset(contentSize:)``. Without a dictionary the input is searched where it lies, not
    /// copied into the window: the cheap way to compress buffers one after another into one
    /// reused destination (zstd's `ZSTD_compressCCtx`). `data` and `destination` must not overlap.
    /// - Throws: ``ZstdError/outputTooLarge(limit:)`` when the frame does not fit in
    ///   `destination` (``compressBound(_:)`` always fits); what was written is then undefined.
    public func compressFrame(_ data: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer) throws(ZstdError) -> Int {
        reset(contentSize: UInt64(data.count))
        var written = 0
        let sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void = { (bytes) throws(ZstdError) in
            guard bytes.count <= destination.count - written else { throw .outputTooLarge(limit: destination.count) }
            if bytes.count > 0 { (destination.baseAddress! + written).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
            written += bytes.count
        }
        // In place: positions are offsets into `data`, which the tables' 32-bit entries must hold.
        if dictionary == nil, UInt64(data.count) < UInt64(UInt32.max) - (1 << 20), let base = data.baseAddress {
            try compressInPlace(base.assumingMemoryBound(to: UInt8.self), count: data.count, sink)
        } else {
            try compress(data, to: sink)
            try finish(to: sink)
        }
        return written
    }

    /// Compresses a whole frame's content from the caller's buffer: the blocks are searched in
    /// `bytes` itself, which stands in for the window (nothing slides: every position stays).
    func compressInPlace(_ bytes: UnsafePointer<UInt8>, count: Int, _ sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void) throws(ZstdError) {
        try writeHeaderIfNeeded(sink)
        if options.checksum { checksum.update(UnsafeRawBufferPointer(start: bytes, count: count)) }
        source = bytes
        sourceEnd = bytes + count
        defer { source = UnsafePointer(window); sourceEnd = nil }
        end = count
        consumed = UInt64(count)
        while end - next > blockSize {
            try compressBlock(from: next, to: next + blockSize, last: false, sink)
        }
        try finish(to: sink)
    }

    /// Compresses `data` into one frame (see ``compressFrame(_:)-(UnsafeRawBufferPointer)``).
    public func compressFrame(_ data: [UInt8]) -> [UInt8] {
        data.withUnsafeBytes { compressFrame($0) }
    }

    /// Sizes the window, tables and buffers for the current options (growing only) and sets the
    /// state of a new frame.
    func configure(reusing: Bool) {
        // Fast strategies look the dictionary up in its own prebuilt tables, so the frame's tables
        // are sized for the content alone; the lazy ones hash the dictionary into theirs.
        var base = options.parameters ?? .level(options.level)
        if let long = options.longWindowLog { base.windowLog = max(base.windowLog, long) }
        base = base.clamped()
        let adjusted = base.adjusted(forSize: options.contentSize, dictionarySize: base.strategy <= .doubleFast ? 0 : dictionaryLength)
        let windowSize = 1 << adjusted.windowLog
        let newBlockSize = min(1 << 17, windowSize, options.maxBlockSize.map { min(1 << 17, max(1 << 10, $0)) } ?? .max)
        // Room to read ahead of the window before it slides: one window (at most 64 MiB, so that
        // the 2 GiB windows of --long=31 do not take twice their size).
        var capacity = windowSize + max(min(windowSize, 1 << 26), 1 << 20) + newBlockSize
        if let size = options.contentSize, size < UInt64(capacity) { capacity = Int(size) }
        capacity += dictionaryLength
        var contentInPlace = reusing && slid == 0
        if !reusing || capacity > windowCapacity || (windowCapacity > 4 * capacity + (1 << 22)) {
            window.deallocate()
            window = .allocate(capacity: capacity + Self.slack)
            source = UnsafePointer(window)
            windowCapacity = capacity
            contentInPlace = false
        }
        if !reusing || adjusted != parameters {
            finder = MatchFinder(parameters: adjusted)
        } else {
            finder.reset()
        }
        if !reusing || newBlockSize != blockSize {
            sequences = SequenceBuffer(blockSize: newBlockSize)
            splitter = nil
            output.deallocate()
            output = .allocate(capacity: newBlockSize + 256)
        }
        if options.longWindowLog == nil {
            longMatcher = nil
        } else if let longMatcher, longMatcher.windowLog == adjusted.windowLog {
            longMatcher.reset()
        } else {
            longMatcher = LongDistanceMatcher(windowLog: adjusted.windowLog)
        }
        parameters = adjusted
        blockSize = newBlockSize
        end = 0; next = 0; slid = 0
        consumed = 0
        headerWritten = false
        finished = false
        checksum = XXH64.State()
        entropy = EntropyState()
        guard let dictionary else { return }
        if !contentInPlace {
            dictionary.content.withUnsafeBufferPointer { content in
                if let base = content.baseAddress { window.update(from: base, count: content.count) }
            }
        }
        end = dictionaryLength
        next = dictionaryLength
        if parameters.strategy <= .doubleFast {
            if dictionaryTables == nil || dictionaryTablesLevel != base {
                dictionaryTables = dictionary.matchTables(for: base.adjusted(forSize: UInt64(dictionaryLength), dictionarySize: 0))
                dictionaryTablesLevel = base
            }
            finder.dictionary = dictionaryTables
        } else {
            finder.insert(window, from: 0, to: dictionaryLength)
        }
        if let encoding = dictionary.encodingState {
            entropy = encoding
            finder.rep1 = encoding.repeats.0
            finder.rep2 = encoding.repeats.1
        }
    }

    deinit {
        window.deallocate()
        output.deallocate()
    }

    /// The sequences the match search finds in the first block of `data` as a new frame (the
    /// dictionary trainer's statistics); nothing is written.
    func firstBlockSequences(_ data: UnsafeRawBufferPointer) -> SequenceBuffer {
        reset(contentSize: UInt64(data.count))
        let count = min(data.count, blockSize)
        if count > 0 { (window + end).update(from: data.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count) }
        end += count
        findSequences(start: next, stop: next + count, low: 0)
        return sequences
    }

    /// Compresses `input`, handing finished bytes of the frame to `sink` as blocks complete.
    public func compress(_ input: UnsafeRawBufferPointer, to sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void) throws(ZstdError) {
        precondition(!finished, "ZstdCompressor: compress after finish")
        try writeHeaderIfNeeded(sink)
        var cursor = 0
        while cursor < input.count {
            if end == windowCapacity { slide() }
            let take = min(windowCapacity - end, input.count - cursor)
            if let contentSize = options.contentSize, consumed + UInt64(take) > contentSize {
                throw .contentSizeMismatch(offset: 0, declared: contentSize, actual: consumed + UInt64(take))
            }
            let source = UnsafeRawBufferPointer(rebasing: input[cursor..<(cursor + take)])
            (window + end).update(from: source.baseAddress!.assumingMemoryBound(to: UInt8.self), count: take)
            if options.checksum { checksum.update(source) }
            end += take
            consumed += UInt64(take)
            cursor += take
            while end - next > blockSize {
                try compressBlock(from: next, to: next + blockSize, last: false, sink)
            }
        }
    }

    /// Compresses `input` (see ``compress(_:to:)-(UnsafeRawBufferPointer,_)``).
    public func compress(_ input: [UInt8], to sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void) throws(ZstdError) {
        let result: Result<Void, ZstdError> = input.withUnsafeBytes { raw in
            Result { () throws(ZstdError) in try compress(raw, to: sink) }
        }
        try result.get()
    }

    /// Compresses what is left, writes the last block and the checksum, and ends the frame.
    public func finish(to sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void) throws(ZstdError) {
        precondition(!finished, "ZstdCompressor: finish twice")
        if let contentSize = options.contentSize, consumed != contentSize {
            throw .contentSizeMismatch(offset: 0, declared: contentSize, actual: consumed)
        }
        try writeHeaderIfNeeded(sink)
        try compressBlock(from: next, to: end, last: true, sink)
        if options.checksum {
            let sum = UInt32(truncatingIfNeeded: checksum.finalize()).littleEndian
            let result: Result<Void, ZstdError> = withUnsafeBytes(of: sum) { raw in Result { () throws(ZstdError) in try sink(raw) } }
            try result.get()
        }
        finished = true
    }

    static func emit(_ bytes: [UInt8], _ sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void) throws(ZstdError) {
        let result: Result<Void, ZstdError> = bytes.withUnsafeBytes { raw in Result { () throws(ZstdError) in try sink(raw) } }
        try result.get()
    }

    /// Drops the oldest bytes beyond one window before `next` and shifts the tables to match.
    func slide() {
        let shift = next - windowSize
        guard shift > 0 else { return }
        window.update(from: window + shift, count: end - shift)
        end -= shift
        next -= shift
        slid += shift
        finder.slide(by: shift)
        longMatcher?.slide(by: shift)
        // The dictionary has slid out of the window: its tables no longer point at it.
        finder.dictionary = nil
    }
}

extension Zstd {
    /// Compresses `data` into one frame with its content size in the header.
    public static func compress(
        _ data: UnsafeRawBufferPointer, level: Int = 3, dictionary: ZstdDictionary? = nil, checksum: Bool = true
    ) -> [UInt8] {
        ZstdCompressor(dictionary: dictionary, options: .init(level: level, checksum: checksum, contentSize: UInt64(data.count)))
            .compressFrame(data)
    }

    /// Compresses `data` into one frame with its content size in the header.
    public static func compress(_ data: [UInt8], level: Int = 3, dictionary: ZstdDictionary? = nil, checksum: Bool = true) -> [UInt8] {
        data.withUnsafeBytes { compress($0, level: level, dictionary: dictionary, checksum: checksum) }
    }
}
