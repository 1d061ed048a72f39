/// Everything that can go wrong in a ``KeyValueStore``. Every case names what and where; none
/// carries a value's bytes.
public enum KeystoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Another process holds the store's lock file.
    case locked(path: String)
    /// A record in a segment does not verify. `offset` is the record's start in `file`.
    case corruptRecord(file: String, offset: UInt64, reason: String)
    /// A blob frame does not verify. `offset` is the frame's start in `file`.
    case corruptBlob(file: String, offset: UInt64, reason: String)
    /// A file header or hint file is not in the expected format.
    case badFormat(file: String, reason: String)
    /// A record names a blob file that is missing.
    case missingBlob(file: String)
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)
    /// The disk is full; the store was left as it was before the failed write.
    case diskFull(path: String)
    /// A key is empty or longer than ``KeyValueStore/maximumKeyLength``.
    case invalidKey(length: Int)
    /// A batch too large for one record (inline bytes over 64 MiB or over 65 535 operations).
    case batchTooLarge(bytes: Int)
    /// A ranged read outside the value.
    case rangeOutOfBounds(offset: UInt64, length: UInt64, valueLength: UInt64)
    /// The store was closed.
    case closed
    /// An earlier `fsync` failed; the store refuses further work until it is reopened.
    case failed(reason: String)
    /// A value writer was used after commit or cancel.
    case writerFinished

    public var description: String {
        switch self {
        case .locked(let path):
            return "\(path) is locked by another process (one writer process per store)"
        case .corruptRecord(let file, let offset, let reason):
            return "corrupt record in \(file) at offset \(offset): \(reason)"
        case .corruptBlob(let file, let offset, let reason):
            return "corrupt blob data in \(file) at offset \(offset): \(reason)"
        case .badFormat(let file, let reason):
            return "\(file): \(reason)"
        case .missingBlob(let file):
            return "blob file \(file) is missing"
        case .io(let operation, let path, let code):
            return "\(operation) \(path): \(errorString(code)) (os error \(code))"
        case .diskFull(let path):
            return "no space left on device while writing \(path); nothing was changed"
        case .invalidKey(let length):
            return "invalid key length \(length): keys are 1 to \(KeyValueStore.maximumKeyLength) bytes"
        case .batchTooLarge(let bytes):
            return "batch of \(bytes) bytes is too large for one record; use the streaming writer for large values"
        case .rangeOutOfBounds(let offset, let length, let valueLength):
            return "range \(offset)+\(length) is outside the value of \(valueLength) bytes"
        case .closed:
            return "the store is closed"
        case .failed(let reason):
            return "the store failed and must be reopened: \(reason)"
        case .writerFinished:
            return "the value writer was already committed or cancelled"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func errorString(_ code: Int32) -> String {
    String(cString: strerror(code))
}
