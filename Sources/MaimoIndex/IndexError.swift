#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can go wrong in an ``IndexDatabase``; each case says what and where.
public enum IndexError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A page's checksum or kind is wrong: the page number and why.
    case corruptPage(page: UInt64, reason: String)
    /// Neither meta page verifies, or the file is not a MaimoIndex file.
    case badFile(path: String, reason: String)
    /// A system call failed.
    case io(operation: String, path: String, errno: Int32)
    /// The disk is full; the transaction was not committed.
    case diskFull(path: String)
    /// A key is empty or longer than ``IndexDatabase/maximumKeyLength``.
    case invalidKey(length: Int)
    /// A table name is empty or too long.
    case invalidTableName(String)
    /// The named table does not exist.
    case noSuchTable(String)
    /// The transaction was committed or rolled back already.
    case transactionFinished
    /// Another process has the file open for writing.
    case locked(path: String)
    /// The database was closed.
    case closed

    public var description: String {
        switch self {
        case .corruptPage(let page, let reason): return "corrupt page \(page): \(reason)"
        case .badFile(let path, let reason): return "\(path): \(reason)"
        case .io(let operation, let path, let code):
            return "\(operation) \(path): \(String(cString: strerror(code))) (os error \(code))"
        case .diskFull(let path): return "no space left on device while writing \(path); the transaction was not committed"
        case .invalidKey(let length): return "invalid key length \(length): keys are 1 to \(IndexDatabase.maximumKeyLength) bytes"
        case .invalidTableName(let name): return "invalid table name \"\(name)\""
        case .noSuchTable(let name): return "no such table: \(name)"
        case .transactionFinished: return "the transaction was already committed or rolled back"
        case .locked(let path): return "\(path) is open for writing in another process"
        case .closed: return "the database is closed"
        }
    }
}
