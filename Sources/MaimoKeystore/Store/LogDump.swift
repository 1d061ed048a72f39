/// One operation in the log, as ``KeyValueStore/logEntries()`` lists it.
public struct LogEntry: Sendable {
    /// What an operation did.
    public enum Kind: String, Sendable {
        /// A value stored in the record.
        case put
        /// A value stored as a blob file.
        case blob
        /// A delete (a tombstone).
        case delete
    }
    /// The segment file the operation is in.
    public var segment: UInt64
    /// Its byte offset in that file.
    public var offset: UInt64
    /// Its sequence number (operations apply in this order).
    public var sequence: UInt64
    /// Put, blob or delete.
    public var kind: Kind
    /// The key.
    public var key: [UInt8]
    /// The value's length (0 for a delete).
    public var valueLength: UInt64
    /// Whether this operation is the version readers see now (a delete never is).
    public var isLive: Bool
}

extension KeyValueStore {
    /// Every operation in every segment, in segment and offset order, verified as it is read:
    /// the log as it is on disk, for inspection (`maimo kv dump`).
    public func logEntries() throws(KeystoreError) -> [LogEntry] {
        core.lock.lock()
        let usable = Result { () throws(KeystoreError) in try core.checkUsable() }
        let segments = core.segments.values.sorted { $0.id < $1.id }.map { ($0.id, $0.file, $0.length, $0.headerLength) }
        core.lock.unlock()
        try usable.get()
        var result: [LogEntry] = []
        for (id, file, length, headerLength) in segments {
            let (entries, _) = try StoreCore.scanSegment(file: file, headerLength: headerLength, length: length, allowTornTail: false)
            core.lock.lock()
            for entry in entries {
                let current = core.index[entry.key]
                let kind: LogEntry.Kind = switch entry.kind {
                case .putInline: .put
                case .putBlob: .blob
                case .delete: .delete
                }
                result.append(LogEntry(
                    segment: id, offset: entry.recordOffset, sequence: entry.sequence, kind: kind, key: entry.key,
                    valueLength: entry.valueLength,
                    isLive: entry.kind != .delete && current?.sequence == entry.sequence && current?.segment == id))
            }
            core.lock.unlock()
        }
        return result
    }
}
