import MaimoXXHash
/// The kinds of operation in a record (`Docs/Keystore.md`, "Records").
enum OperationKind: UInt8, Sendable {
    case putInline = 1
    case putBlob = 2
    case delete = 3
}

/// Where a blob value lives and how to check it whole.
struct BlobReference: Sendable, Equatable {
    var id: UInt64
    var length: UInt64
    var checksum: UInt64
}

/// One operation of a batch before it is encoded.
enum PendingOperation: Sendable {
    case put(key: [UInt8], value: [UInt8])
    case putBlob(key: [UInt8], blob: BlobReference)
    case delete(key: [UInt8])

    var key: [UInt8] {
        switch self {
        case .put(let key, _), .putBlob(let key, _), .delete(let key): return key
        }
    }

    var encodedSize: Int {
        switch self {
        case .put(let key, let value): return 16 + key.count + value.count
        case .putBlob(let key, _): return 28 + key.count
        case .delete(let key): return 4 + key.count
        }
    }
}

/// An operation as found in a record or a hint file: everything the index needs, no value bytes.
struct OperationEntry: Sendable {
    var kind: OperationKind
    var key: [UInt8]
    var sequence: UInt64
    var recordOffset: UInt64
    var recordLength: UInt32
    /// Offset of the inline value inside its record (0 for blobs and deletes).
    var valueOffset: UInt32
    var valueLength: UInt64
    var blob: BlobReference?
    /// `XXH64(value, seed: sequence)` of an inline value (reads verify only the value's bytes).
    var valueChecksum: UInt64 = 0
    /// Bytes this operation occupies in its segment (for dead-space accounting).
    var footprint: UInt32
}

enum RecordFormat {
    static let headerSize = 24
    static let maximumBodySize = 64 << 20
    static let maximumOperations = 65_535

    /// Encodes `operations` as one record whose first operation has sequence number `sequence`.
    static func encode(_ operations: [PendingOperation], sequence: UInt64) -> [UInt8] {
        let bodySize = operations.reduce(0) { $0 + $1.encodedSize }
        var writer = ByteWriter(capacity: headerSize + bodySize)
        writer.append(UInt64(0))
        writer.append(UInt32(bodySize))
        writer.append(UInt32(operations.count))
        writer.append(sequence)
        for (index, operation) in operations.enumerated() {
            switch operation {
            case .put(let key, let value):
                writer.append(OperationKind.putInline.rawValue)
                writer.append(UInt8(0))
                writer.append(UInt16(key.count))
                writer.append(UInt32(value.count))
                writer.append(XXH64.hash(value, seed: sequence &+ UInt64(index)))
                writer.append(key)
                writer.append(value)
            case .putBlob(let key, let blob):
                writer.append(OperationKind.putBlob.rawValue)
                writer.append(UInt8(0))
                writer.append(UInt16(key.count))
                writer.append(blob.id)
                writer.append(blob.length)
                writer.append(blob.checksum)
                writer.append(key)
            case .delete(let key):
                writer.append(OperationKind.delete.rawValue)
                writer.append(UInt8(0))
                writer.append(UInt16(key.count))
                writer.append(key)
            }
        }
        var bytes = writer.bytes
        let checksum = bytes.withUnsafeBytes { XXH64.hash(UnsafeRawBufferPointer(rebasing: $0[8...])) }
        withUnsafeBytes(of: checksum.littleEndian) { raw in
            for i in 0..<8 { bytes[i] = raw[i] }
        }
        return bytes
    }

    /// Why a record at some offset is not valid.
    enum Problem {
        /// The header or body runs past the end of the bytes available.
        case truncated
        /// A length or count is out of range, or the checksum does not match.
        case invalid(String)
        /// The record checksum matches but the record contradicts itself (an inline value whose
        /// own checksum does not match): a complete record, so never a torn tail. Only a writer
        /// other than this one, or a forger who recomputed the record checksum, makes one.
        case inconsistent(String)
    }

    /// Reads the 24-byte header at `offset` of `bytes` and returns the record's total length,
    /// checking only what the header alone can tell.
    static func recordLength(in bytes: UnsafeRawBufferPointer, at offset: Int) -> Result<Int, ProblemBox> {
        guard bytes.count - offset >= headerSize else { return .failure(ProblemBox(.truncated)) }
        var reader = ByteReader(bytes, at: offset + 8)
        let bodySize = Int(reader.read(UInt32.self)!)
        let count = Int(reader.read(UInt32.self)!)
        if bodySize > maximumBodySize { return .failure(ProblemBox(.invalid("body length \(bodySize) out of range"))) }
        if count == 0 || count > maximumOperations { return .failure(ProblemBox(.invalid("operation count \(count) out of range"))) }
        if bytes.count - offset - headerSize < bodySize { return .failure(ProblemBox(.truncated)) }
        return .success(headerSize + bodySize)
    }

    struct ProblemBox: Error {
        let problem: Problem
        init(_ problem: Problem) { self.problem = problem }
    }

    /// Verifies and parses the record at `offset` of `bytes` (a whole segment or a record alone).
    /// `verifyChecksum: false` is for a record this process has just encoded.
    static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int, verifyChecksum: Bool = true) -> Result<[OperationEntry], ProblemBox> {
        let length: Int
        switch recordLength(in: bytes, at: offset) {
        case .failure(let problem): return .failure(problem)
        case .success(let n): length = n
        }
        let record = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
        let stored = UInt64(littleEndian: record.loadUnaligned(as: UInt64.self))
        if verifyChecksum && XXH64.hash(UnsafeRawBufferPointer(rebasing: record[8...])) != stored {
            return .failure(ProblemBox(.invalid("checksum mismatch")))
        }
        var reader = ByteReader(record, at: 12)
        let count = Int(reader.read(UInt32.self)!)
        let first = reader.read(UInt64.self)!
        var entries: [OperationEntry] = []
        entries.reserveCapacity(count)
        let headerShare = UInt32(headerSize / count)
        for index in 0..<count {
            let start = reader.position
            guard let kindByte = reader.read(UInt8.self), let kind = OperationKind(rawValue: kindByte) else {
                return .failure(ProblemBox(.invalid("operation \(index) has an unknown kind")))
            }
            guard reader.read(UInt8.self) == 0, let keyLength = reader.read(UInt16.self),
                  keyLength > 0, Int(keyLength) <= KeyValueStore.maximumKeyLength
            else { return .failure(ProblemBox(.invalid("operation \(index) has a bad key length"))) }
            var entry = OperationEntry(
                kind: kind, key: [], sequence: first &+ UInt64(index), recordOffset: UInt64(offset),
                recordLength: UInt32(length), valueOffset: 0, valueLength: 0, blob: nil, footprint: 0)
            switch kind {
            case .putInline:
                guard let valueLength = reader.read(UInt32.self), let valueChecksum = reader.read(UInt64.self),
                      let key = reader.readBytes(Int(keyLength))
                else { return .failure(ProblemBox(.invalid("operation \(index) runs past the record"))) }
                entry.key = key
                entry.valueChecksum = valueChecksum
                entry.valueOffset = UInt32(reader.position)
                entry.valueLength = UInt64(valueLength)
                guard reader.skip(Int(valueLength)) else {
                    return .failure(ProblemBox(.invalid("operation \(index) value runs past the record")))
                }
                // Every listed key must read back: a scan checks each inline value as a read will.
                if verifyChecksum {
                    let value = UnsafeRawBufferPointer(rebasing: record[Int(entry.valueOffset)..<reader.position])
                    if XXH64.hash(value, seed: entry.sequence) != valueChecksum {
                        return .failure(ProblemBox(.inconsistent("operation \(index) value checksum mismatch")))
                    }
                }
            case .putBlob:
                guard let id = reader.read(UInt64.self), let valueLength = reader.read(UInt64.self),
                      let checksum = reader.read(UInt64.self), let key = reader.readBytes(Int(keyLength))
                else { return .failure(ProblemBox(.invalid("operation \(index) runs past the record"))) }
                entry.key = key
                entry.valueLength = valueLength
                entry.blob = BlobReference(id: id, length: valueLength, checksum: checksum)
            case .delete:
                guard let key = reader.readBytes(Int(keyLength)) else {
                    return .failure(ProblemBox(.invalid("operation \(index) runs past the record")))
                }
                entry.key = key
            }
            entry.footprint = UInt32(reader.position - start) + headerShare
            entries.append(entry)
        }
        if reader.position != length {
            return .failure(ProblemBox(.invalid("\(length - reader.position) stray bytes after the operations")))
        }
        return .success(entries)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
