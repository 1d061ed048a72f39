
/// A zstd dictionary (RFC 8878 §5): either the zstd dictionary format — magic `0xEC30A437`, an
/// ID, entropy tables and content — or raw content that frames may refer back into.
///
/// Frames that name a dictionary ID decode only with the dictionary of that ID; frames without
/// an ID decode with whatever dictionary the decompressor was given.
public final class ZstdDictionary: @unchecked Sendable {
    /// The magic number that starts a zstd dictionary (a raw content dictionary lacks it).
    public static let magic: UInt32 = 0xEC30_A437

    /// The dictionary ID frames refer to it by; 0 for raw content.
    public let id: UInt32
    /// The bytes matches may refer back into, as if they preceded each frame's content.
    public let content: [UInt8]

    // The entropy tables, immutable after init (which is what makes sharing across threads safe).
    let huffmanTable: UnsafeMutablePointer<UInt16>
    let huffmanLog: Int
    let tables: [SequenceTable]
    let repeats: (Int, Int, Int)
    /// The entropy tables as a compressor starts a frame with them (nil for raw content).
    let encodingState: EntropyState?

    /// Parses `bytes` as a zstd-format dictionary when they start with its magic number, and as
    /// raw content otherwise.
    /// - Throws: ``ZstdError/invalidDictionary(reason:)`` when the zstd format is malformed.
    public convenience init(_ bytes: [UInt8]) throws(ZstdError) {
        let isFormatted = bytes.count >= 8
            && bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self).littleEndian } == Self.magic
        if isFormatted {
            try self.init(formatted: bytes)
        } else {
            self.init(rawContent: bytes)
        }
    }

    /// A dictionary of raw content only (ID 0, no entropy tables).
    public init(rawContent: [UInt8]) {
        id = 0
        content = rawContent
        huffmanTable = .allocate(capacity: 1)
        huffmanLog = 0
        tables = []
        repeats = (1, 4, 8)
        encodingState = nil
    }

    init(formatted bytes: [UInt8]) throws(ZstdError) {
        let table = UnsafeMutablePointer<UInt16>.allocate(capacity: Huffman.tableCapacity)
        var sequenceTables = [SequenceTable(capacity: 512), SequenceTable(capacity: 256), SequenceTable(capacity: 512)]
        var parsed: (id: UInt32, log: Int, repeats: (Int, Int, Int), contentStart: Int)?
        var encoding = EntropyState()
        var failure: ZstdError?
        bytes.withUnsafeBytes { raw in
            do throws(ZstdError) {
                parsed = try Self.parse(raw, huffman: table, tables: &sequenceTables, encoding: &encoding)
            } catch {
                failure = error
            }
        }
        guard let parsed else {
            table.deallocate()
            for t in sequenceTables { t.deallocate() }
            throw failure ?? .invalidDictionary(reason: "unreadable")
        }
        id = parsed.id
        huffmanTable = table
        huffmanLog = parsed.log
        tables = sequenceTables
        repeats = parsed.repeats
        content = Array(bytes[parsed.contentStart...])
        encoding.repeats = parsed.repeats
        encodingState = encoding
    }

    private let matchTablesCache = Locked<[ZstdParameters: DictionaryMatchTables]>([:])

    /// The content's match tables for `parameters`, built on first use.
    func matchTables(for parameters: ZstdParameters) -> DictionaryMatchTables {
        let content = content
        return matchTablesCache.withLock { cache in
            if let tables = cache[parameters] { return tables }
            let tables = content.withUnsafeBufferPointer {
                DictionaryMatchTables(
                    content: $0.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: $0.count, parameters: parameters)
            }
            cache[parameters] = tables
            return tables
        }
    }

    deinit {
        huffmanTable.deallocate()
        for table in tables { table.deallocate() }
    }

    static func parse(
        _ raw: UnsafeRawBufferPointer, huffman: UnsafeMutablePointer<UInt16>, tables: inout [SequenceTable],
        encoding: inout EntropyState
    ) throws(ZstdError) -> (UInt32, Int, (Int, Int, Int), Int) {
        let id = raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
        var cursor = 8
        let tree: (tableLog: Int, byteCount: Int)
        var weights = [UInt8]()
        do {
            tree = try Huffman.readTree(UnsafeRawBufferPointer(rebasing: raw[cursor...]), into: huffman, offset: UInt64(cursor), weightsOut: &weights)
        } catch {
            throw .invalidDictionary(reason: "bad Huffman table: \(error)")
        }
        let lengths = weights.map { $0 == 0 ? UInt8(0) : UInt8(tree.tableLog + 1 - Int($0)) }
        encoding.huffman = HuffmanEncodingTable(lengths: lengths, maxSymbol: lengths.count - 1)
        cursor += tree.byteCount
        let counts = UnsafeMutablePointer<Int16>.allocate(capacity: 256)
        let cells = UnsafeMutablePointer<FSECell>.allocate(capacity: 512)
        defer { counts.deallocate(); cells.deallocate() }
        // The order in the dictionary is offsets, match lengths, literal lengths.
        for kind in [SequenceKind.offset, .matchLength, .literalLength] {
            do {
                let description = try FSE.readCounts(
                    UnsafeRawBufferPointer(rebasing: raw[cursor...]), maxSymbol: kind.maxSymbol,
                    maxAccuracyLog: kind.maxAccuracyLog, into: counts, offset: UInt64(cursor))
                try FSE.buildTable(
                    counts: counts, symbolCount: description.symbolCount, accuracyLog: description.accuracyLog,
                    into: cells, offset: UInt64(cursor))
                kind.fill(tables[kind.rawValue].cells, from: cells, accuracyLog: description.accuracyLog)
                tables[kind.rawValue].accuracyLog = description.accuracyLog
                tables[kind.rawValue].isValid = true
                encoding.tables[kind.rawValue] = FSEEncodingTable(
                    counts: Array(UnsafeBufferPointer(start: counts, count: description.symbolCount)), accuracyLog: description.accuracyLog)
                cursor += description.byteCount
            } catch {
                throw .invalidDictionary(reason: "bad \(kind.name) table: \(error)")
            }
        }
        guard raw.count - cursor >= 12 else { throw .invalidDictionary(reason: "repeat offsets are missing") }
        let contentSize = raw.count - cursor - 12
        var repeats = [Int]()
        for i in 0..<3 {
            let value = Int(raw.loadUnaligned(fromByteOffset: cursor + 4 * i, as: UInt32.self).littleEndian)
            guard value != 0, value <= contentSize else {
                throw .invalidDictionary(reason: "repeat offset \(value) is zero or beyond the \(contentSize)-byte content")
            }
            repeats.append(value)
        }
        return (id, tree.tableLog, (repeats[0], repeats[1], repeats[2]), cursor + 12)
    }

    /// Sets a decompressor's entropy state to this dictionary's, for a new frame.
    func loadEntropy(into decoder: ZstdDecompressor) {
        decoder.repeats = repeats
        guard tables.count == 3 else {
            decoder.hasHuffman = false
            decoder.literalLengths.isValid = false
            decoder.offsets.isValid = false
            decoder.matchLengths.isValid = false
            return
        }
        decoder.huffmanTable.update(from: huffmanTable, count: 1 << huffmanLog)
        decoder.huffmanLog = huffmanLog
        decoder.hasHuffman = true
        decoder.literalLengths = decoder.literalLengths.copy(from: tables[SequenceKind.literalLength.rawValue])
        decoder.offsets = decoder.offsets.copy(from: tables[SequenceKind.offset.rawValue])
        decoder.matchLengths = decoder.matchLengths.copy(from: tables[SequenceKind.matchLength.rawValue])
    }
}
