import MaimoCipher

/// What a blob is (Docs/Repository.md §4).
public enum BlobKind: UInt8, Sendable, Codable {
    /// Sealed items: data chunks and trees.
    case pack = 1
    /// Where the items of packs are (Docs/Repository.md §7).
    case index = 2
    /// One store run's snapshot.
    case snapshot = 3
}

/// The header at the end of every blob: which items, where. Sealed under the data key with a
/// random nonce kept in the 28-byte trailer.
public struct BlobHeader: Sendable, Equatable {
    /// What the blob holds.
    public var kind: BlobKind
    /// Bytes of sealed items (and padding) before the header.
    public var bodyLength: UInt64
    /// Milliseconds since 1970.
    public var created: UInt64
    /// The items, in the order they are stored.
    public var entries: [ItemEntry]

    static let magic: [UInt8] = Array("MAIMOBH".utf8) + [2]
    /// The trailer's length: 24-byte nonce and the header's u32 length.
    public static let trailerLength = 28
    static let associatedData = Array("maimo blob header v2".utf8)

    /// A header with the given fields.
    public init(kind: BlobKind, bodyLength: UInt64, created: UInt64, entries: [ItemEntry]) {
        self.kind = kind
        self.bodyLength = bodyLength
        self.created = created
        self.entries = entries
    }

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 32 + entries.count * ItemEntry.encodedLength)
        writer.raw(Self.magic)
        writer.u8(kind.rawValue)
        writer.raw([0, 0, 0])
        writer.u32(UInt32(entries.count))
        writer.u64(bodyLength)
        writer.u64(created)
        for entry in entries { entry.encode(into: &writer) }
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8]) throws(RepositoryError) -> BlobHeader {
        var reader = ByteReader(bytes, what: "blob header")
        try reader.magic(magic)
        let rawKind = try reader.u8()
        guard let kind = BlobKind(rawValue: rawKind) else { throw reader.fail("unknown blob kind \(rawKind)") }
        guard try reader.take(3).allSatisfy({ $0 == 0 }) else { throw reader.fail("reserved bytes set") }
        let count = try reader.count(minimum: ItemEntry.encodedLength)
        let bodyLength = try reader.u64()
        let created = try reader.u64()
        var entries: [ItemEntry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count { entries.append(try ItemEntry.decode(from: &reader, within: bodyLength)) }
        try reader.end()
        return BlobHeader(kind: kind, bodyLength: bodyLength, created: created, entries: entries)
    }

    /// The sealed header box and trailer that end a blob.
    func seal(keys: RepositoryKeys) throws(RepositoryError) -> [UInt8] {
        let nonce = XChaCha8Blake3SIV.Nonce()
        let box: XChaCha8Blake3SIV.SealedBox
        do { box = try XChaCha8Blake3SIV.seal(encode(), key: keys.dataKey, nonce: nonce, associatedData: Self.associatedData) } catch {
            throw .integrity("sealing a blob header: \(error)")
        }
        var writer = ByteWriter(capacity: box.ciphertext.count + 32 + Self.trailerLength)
        writer.raw(box.tag)
        writer.raw(box.ciphertext)
        writer.raw(nonce)
        writer.u32(UInt32(32 + box.ciphertext.count))
        return writer.bytes
    }

    /// The header box length the trailer announces, checked against the blob's length.
    public static func headerBoxLength(trailer: ArraySlice<UInt8>, blobLength: UInt64) throws(RepositoryError) -> Int {
        guard trailer.count == trailerLength else { throw .malformed(what: "blob trailer", offset: 0, reason: "\(trailer.count) bytes instead of 28") }
        var reader = ByteReader(Array(trailer), what: "blob trailer", offset: 24)
        let length = Int(try reader.u32())
        guard length >= 32 + 32, UInt64(length) + UInt64(trailerLength) <= blobLength else {
            throw .malformed(what: "blob trailer", offset: 24, reason: "a header of \(length) bytes does not fit a blob of \(blobLength)")
        }
        return length
    }

    /// Opens the header from the blob's last `headerBoxLength + 28` bytes.
    public static func open(tail: ArraySlice<UInt8>, blobLength: UInt64, keys: RepositoryKeys) throws(RepositoryError) -> BlobHeader {
        guard tail.count >= trailerLength else { throw .malformed(what: "blob trailer", offset: 0, reason: "the blob is too short") }
        let trailer = tail.suffix(trailerLength)
        let boxLength = try headerBoxLength(trailer: trailer, blobLength: blobLength)
        guard tail.count >= boxLength + trailerLength else {
            throw .malformed(what: "blob header", offset: 0, reason: "\(tail.count) bytes read, \(boxLength + trailerLength) needed")
        }
        let boxStart = tail.endIndex - trailerLength - boxLength
        let box = XChaCha8Blake3SIV.SealedBox(tag: Array(tail[boxStart..<(boxStart + 32)]),
                                              ciphertext: Array(tail[(boxStart + 32)..<(tail.endIndex - trailerLength)]))
        let plaintext: [UInt8]
        do {
            plaintext = try XChaCha8Blake3SIV.open(box, key: keys.dataKey, nonce: XChaCha8Blake3SIV.Nonce(trailer.prefix(24)), associatedData: associatedData)
        } catch {
            throw .integrity("the blob header does not open under this repository's key (damaged, or another client's)")
        }
        let header = try decode(plaintext)
        guard header.bodyLength + UInt64(boxLength + trailerLength) <= blobLength else {
            throw .malformed(what: "blob header", offset: 16, reason: "a body of \(header.bodyLength) bytes does not fit the blob")
        }
        return header
    }
}

/// Builds one blob: items appended in order, then padding, header and trailer.
public struct BlobBuilder: Sendable {
    /// What the blob will hold.
    public let kind: BlobKind
    /// The sealed items appended so far.
    public private(set) var body: [UInt8] = []
    /// Their header entries.
    public private(set) var entries: [ItemEntry] = []
    /// Whether the finished blob is padded with Padmé.
    public let pad: Bool

    /// An empty blob of `kind`.
    /// - Parameters:
    /// - kind: pack, index or snapshot.
    /// - pad: pad the finished blob (hides its exact size).
    /// - capacity: body bytes to reserve.
    public init(kind: BlobKind, pad: Bool = true, capacity: Int = 0) {
        self.kind = kind
        self.pad = pad
        body.reserveCapacity(capacity)
    }

    /// Whether no item was appended.
    public var isEmpty: Bool { entries.isEmpty }
    /// Body bytes so far.
    public var count: Int { body.count }

    /// Appends a sealed item; returns its entry with the offset filled in.
    @discardableResult
    public mutating func append(_ sealed: [UInt8], entry: ItemEntry) -> ItemEntry {
        var placed = entry
        placed.offset = UInt64(body.count)
        body += sealed
        entries.append(placed)
        return placed
    }

    /// Appends every item of another builder (a worker's partial pack joining the run's last one).
    public mutating func append(contentsOf other: BlobBuilder) {
        for entry in other.entries {
            let start = Int(entry.offset)
            append(Array(other.body[start..<(start + Int(entry.storedLength))]), entry: entry)
        }
    }

    /// The whole blob, and the entries as stored.
    /// The finished blob (the body moved out, not copied: a 16 MiB pack exists once) and its header.
    public consuming func finish(keys: RepositoryKeys, created: UInt64) throws(RepositoryError) -> (bytes: [UInt8], header: BlobHeader) {
        let header = BlobHeader(kind: kind, bodyLength: UInt64(body.count), created: created, entries: entries)
        let tail = try header.seal(keys: keys)
        var bytes = body
        body = []
        let unpadded = UInt64(bytes.count + tail.count)
        if pad {
            let padded = SegmentedCiphertext.padme(unpadded)
            bytes += [UInt8](repeating: 0, count: Int(padded - unpadded))
        }
        bytes += tail
        return (bytes, header)
    }
}
