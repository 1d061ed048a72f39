import MaimoXXHash

/// The header at the start of every segment file (`Docs/Keystore.md`, "Segment file").
struct SegmentHeader: Equatable {
    static let magic: [UInt8] = Array("MAIMOKVS".utf8)
    static let version: UInt32 = 1

    var id: UInt64
    var nextSequence: UInt64
    var isCompactionOutput: Bool
    var replaced: [UInt64]

    var length: Int { 48 + 8 * replaced.count }

    func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: length)
        writer.append(Self.magic)
        writer.append(Self.version)
        writer.append(UInt32(length))
        writer.append(id)
        writer.append(nextSequence)
        writer.append(UInt32(isCompactionOutput ? 1 : 0))
        writer.append(UInt32(replaced.count))
        for id in replaced { writer.append(id) }
        writer.append(XXH64.hash(writer.bytes))
        return writer.bytes
    }

    /// Parses a header from the start of `bytes`; `nil` when fewer bytes than the header needs.
    static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws(KeystoreError) -> SegmentHeader? {
        guard bytes.count >= 48 else { return nil }
        guard Array(bytes[0..<8]) == magic else { throw .badFormat(file: file, reason: "not a Maimo keystore segment (bad magic)") }
        var reader = ByteReader(bytes, at: 8)
        let version = reader.read(UInt32.self)!
        guard version == Self.version else { throw .badFormat(file: file, reason: "segment format version \(version) is not supported (this build reads 1)") }
        let length = Int(reader.read(UInt32.self)!)
        let id = reader.read(UInt64.self)!
        let next = reader.read(UInt64.self)!
        let flags = reader.read(UInt32.self)!
        let count = Int(reader.read(UInt32.self)!)
        guard count <= 1 << 20, length == 48 + 8 * count else {
            throw .badFormat(file: file, reason: "segment header length \(length) does not match \(count) replaced ids")
        }
        guard bytes.count >= length else { return nil }
        var replaced: [UInt64] = []
        for _ in 0..<count { replaced.append(reader.read(UInt64.self)!) }
        let stored = reader.read(UInt64.self)!
        guard XXH64.hash(UnsafeRawBufferPointer(rebasing: bytes[0..<length - 8])) == stored else {
            throw .badFormat(file: file, reason: "segment header checksum mismatch")
        }
        return SegmentHeader(id: id, nextSequence: next, isCompactionOutput: flags & 1 != 0, replaced: replaced)
    }
}

/// The hint file of a sealed segment (`Docs/Keystore.md`, "Hint file").
enum HintFile {
    static let magic: [UInt8] = Array("MAIMOKVH".utf8)
    static let version: UInt32 = 1

    static func encode(segment: UInt64, segmentLength: UInt64, entries: [OperationEntry]) -> [UInt8] {
        var writer = ByteWriter(capacity: 40 + entries.count * 64)
        writer.append(magic)
        writer.append(version)
        writer.append(UInt32(0))
        writer.append(segment)
        writer.append(segmentLength)
        writer.append(UInt64(entries.count))
        for entry in entries {
            writer.append(entry.kind.rawValue)
            writer.append(UInt8(0))
            writer.append(UInt16(entry.key.count))
            writer.append(entry.sequence)
            writer.append(entry.recordOffset)
            writer.append(entry.recordLength)
            writer.append(entry.valueOffset)
            writer.append(entry.valueLength)
            writer.append(entry.blob?.id ?? 0)
            writer.append(entry.blob?.checksum ?? entry.valueChecksum)
            writer.append(entry.key)
        }
        writer.append(XXH64.hash(writer.bytes))
        return writer.bytes
    }

    /// The entries of a hint file and the segment length it describes, or `nil` when it does
    /// not verify or describes another segment (the caller then scans the segment).
    static func decode(_ bytes: [UInt8], segment: UInt64) -> (entries: [OperationEntry], segmentLength: UInt64)? {
        bytes.withUnsafeBytes { raw -> (entries: [OperationEntry], segmentLength: UInt64)? in
            guard raw.count >= 48, Array(raw[0..<8]) == magic else { return nil }
            let stored = raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self)
            guard XXH64.hash(UnsafeRawBufferPointer(rebasing: raw[0..<raw.count - 8])) == UInt64(littleEndian: stored) else { return nil }
            var reader = ByteReader(UnsafeRawBufferPointer(rebasing: raw[0..<raw.count - 8]), at: 8)
            guard reader.read(UInt32.self) == version, reader.read(UInt32.self) == 0,
                  reader.read(UInt64.self) == segment, let segmentLength = reader.read(UInt64.self),
                  let count = reader.read(UInt64.self), count <= UInt64(raw.count)
            else { return nil }
            var entries: [OperationEntry] = []
            entries.reserveCapacity(Int(count))
            for _ in 0..<count {
                guard let kindByte = reader.read(UInt8.self), let kind = OperationKind(rawValue: kindByte),
                      reader.read(UInt8.self) == 0, let keyLength = reader.read(UInt16.self),
                      let sequence = reader.read(UInt64.self), let recordOffset = reader.read(UInt64.self),
                      let recordLength = reader.read(UInt32.self), let valueOffset = reader.read(UInt32.self),
                      let valueLength = reader.read(UInt64.self), let blobID = reader.read(UInt64.self),
                      let checksum = reader.read(UInt64.self), let key = reader.readBytes(Int(keyLength))
                else { return nil }
                let blob = kind == .putBlob ? BlobReference(id: blobID, length: valueLength, checksum: checksum) : nil
                let footprint: UInt32 = switch kind {
                case .putInline: UInt32(clamping: 16 + UInt64(keyLength) + valueLength)
                case .putBlob: 28 + UInt32(keyLength)
                case .delete: 4 + UInt32(keyLength)
                }
                entries.append(OperationEntry(
                    kind: kind, key: key, sequence: sequence, recordOffset: recordOffset, recordLength: recordLength,
                    valueOffset: valueOffset, valueLength: valueLength, blob: blob,
                    valueChecksum: kind == .putInline ? checksum : 0, footprint: footprint))
            }
            return reader.remaining == 0 ? (entries, segmentLength) : nil
        }
    }
}

/// The header of a blob file and the geometry of its frames (`Docs/Keystore.md`, "Blob file").
struct BlobLayout {
    static let magic: [UInt8] = Array("MAIMOKVB".utf8)
    static let version: UInt32 = 1
    static let headerSize = 32
    static let checksumSize = 8

    let frameSize: Int

    static func header(id: UInt64, frameSize: Int) -> [UInt8] {
        var writer = ByteWriter(capacity: headerSize)
        writer.append(magic)
        writer.append(version)
        writer.append(UInt32(frameSize))
        writer.append(id)
        writer.append(XXH64.hash(writer.bytes))
        return writer.bytes
    }

    /// Reads and checks a blob header; returns its frame size.
    static func frameSize(fromHeader bytes: [UInt8], id: UInt64, file: String) throws(KeystoreError) -> Int {
        guard bytes.count == headerSize else { throw .corruptBlob(file: file, offset: 0, reason: "header is truncated") }
        guard Array(bytes[0..<8]) == magic else { throw .badFormat(file: file, reason: "not a Maimo keystore blob (bad magic)") }
        return try withBytes(of: bytes) { (raw) throws(KeystoreError) -> Int in
            var reader = ByteReader(raw, at: 8)
            let version = reader.read(UInt32.self)!
            let frame = Int(reader.read(UInt32.self)!)
            let storedID = reader.read(UInt64.self)!
            let checksum = reader.read(UInt64.self)!
            guard XXH64.hash(UnsafeRawBufferPointer(rebasing: raw[0..<24])) == checksum else {
                throw .corruptBlob(file: file, offset: 0, reason: "header checksum mismatch")
            }
            guard version == Self.version else { throw .badFormat(file: file, reason: "blob format version \(version) is not supported") }
            guard storedID == id, frame >= 512, frame <= 1 << 24 else {
                throw .corruptBlob(file: file, offset: 0, reason: "header names blob \(storedID) with frame size \(frame)")
            }
            return frame
        }
    }

    /// File offset of frame `index`.
    func offset(ofFrame index: UInt64) -> UInt64 {
        UInt64(Self.headerSize) + index * UInt64(frameSize + Self.checksumSize)
    }

    func fileLength(forValueLength length: UInt64) -> UInt64 {
        let frames = (length + UInt64(frameSize) - 1) / UInt64(frameSize)
        return UInt64(Self.headerSize) + length + frames * UInt64(Self.checksumSize)
    }
}
