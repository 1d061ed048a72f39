#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A crash-safe, log-structured key-value store in one directory.
///
/// Keys are byte strings of 1 to ``maximumKeyLength`` bytes; values are byte strings of any
/// length, streamed in through a ``ValueWriter`` and read at any offset through a
/// ``ValueReader``. Every change is an atomic batch; when a write returns, it is durable as
/// ``Options/durability`` promises. One process may have a store open; inside it, any number of
/// threads may read and write at once.
public final class KeyValueStore: Sendable {
    /// The longest key, in bytes.
    public static let maximumKeyLength = 4096

    /// When a commit returns, and what survives a crash (`Docs/Keystore.md`, "Durability").
    public enum Durability: Sendable, Equatable {
        /// Every commit `fdatasync`s the log itself before it returns.
        case everyCommit
        /// Every commit returns after an `fdatasync` that covers it; concurrent commits share one.
        case groupCommit
        /// Commits return once the kernel has the bytes; ``KeyValueStore/sync()``, ``KeyValueStore/close()``
        /// and segment rotation make them durable. A crash may lose recent commits, never half of one.
        case none
    }

    /// How a store is opened and tuned.
    public struct Options: Sendable {
        /// When a write is on disk before it is acknowledged (``Durability``).
        public var durability: Durability = .groupCommit
        /// A segment is sealed and a new one started when a record would take it past this size.
        public var segmentSize: UInt64 = 64 << 20
        /// Values of at least this many bytes are stored as blobs (streamed, ranged reads of
        /// only the frames asked for).
        public var blobThreshold = 64 << 10
        /// Bytes of value per checksummed blob frame.
        public var blobFrameSize = 16 << 10
        /// A sealed segment whose dead fraction reaches this is compacted in the background.
        public var compactionThreshold = 0.5
        /// Whether sealed segments are compacted in the background.
        public var automaticCompaction = true
        /// Create the directory when it does not exist (otherwise opening it fails).
        public var createIfMissing = true

        /// The defaults: group commit, 64 MiB segments, blobs from 64 KiB, automatic compaction.
        public init() {}
    }

    /// Counts and sizes of an open store.
    public struct Statistics: Sendable {
        /// Live keys.
        public var keys: Int
        /// Segment files, the active one included.
        public var segments: Int
        /// Bytes of all segment files.
        public var segmentBytes: UInt64
        /// Bytes of records that readers can still see.
        public var liveBytes: UInt64
        /// Bytes of overwritten or deleted records, reclaimed by compaction.
        public var deadBytes: UInt64
        /// Values stored as blob files.
        public var blobs: Int
        /// Bytes of all blob files.
        public var blobBytes: UInt64
        /// The sequence number the next operation gets.
        public var nextSequence: UInt64
    }

    /// The store's directory.
    public let directory: String
    /// What open found and repaired.
    public let recovery: RecoveryReport
    let core: StoreCore

    /// Opens the store in `directory`, creating it if needed (see ``Options/createIfMissing``).
    /// Throws ``KeystoreError/locked(path:)`` when another process has it open.
    public init(directory: String, options: Options = Options()) throws(KeystoreError) {
        var options = options
        options.blobFrameSize = min(max(options.blobFrameSize, 512), 1 << 24)
        options.blobThreshold = max(options.blobThreshold, 1)
        self.directory = directory
        (core, recovery) = try StoreCore.open(directory: directory, options: options)
        core.lock.lock()
        core.scheduleCompactionIfNeeded()
        core.lock.unlock()
    }

    deinit { try? close() }

    /// The options the store runs with.
    public var options: Options { core.options }

    static func validate(_ key: [UInt8]) throws(KeystoreError) {
        if key.isEmpty || key.count > maximumKeyLength { throw .invalidKey(length: key.count) }
    }

    // MARK: Writing

    /// Stores `value` under `key`.
    public func put(_ key: [UInt8], _ value: [UInt8]) throws(KeystoreError) {
        var batch = WriteBatch()
        batch.put(key, value)
        try write(batch)
    }

    /// Removes `key` (a no-op when absent, still recorded).
    public func delete(_ key: [UInt8]) throws(KeystoreError) {
        var batch = WriteBatch()
        batch.delete(key)
        try write(batch)
    }

    /// Applies every operation of `batch`, all or nothing, also across a crash.
    public func write(_ batch: WriteBatch) throws(KeystoreError) {
        guard !batch.operations.isEmpty else { return }
        var operations: [PendingOperation] = []
        operations.reserveCapacity(batch.operations.count)
        var blobs: [UInt64] = []
        do throws(KeystoreError) {
            for operation in batch.operations {
                try Self.validate(operation.key)
                if case .put(let key, let value) = operation, value.count >= core.options.blobThreshold {
                    let writer = try ValueWriter(core: core, key: key, forceBlob: true)
                    try writer.write(value)
                    let reference = try writer.finishBlob()
                    blobs.append(reference.id)
                    operations.append(.putBlob(key: key, blob: reference))
                } else {
                    operations.append(operation)
                }
            }
            let size = operations.reduce(0) { $0 + $1.encodedSize }
            if size > RecordFormat.maximumBodySize || operations.count > RecordFormat.maximumOperations {
                throw KeystoreError.batchTooLarge(bytes: size)
            }
            try core.commit(operations)
        } catch {
            for id in blobs { try? FileSystem.remove(core.path(id, "blob")) }
            throw error
        }
    }

    /// Starts a streamed put of `key`; the value becomes visible, atomically, at
    /// ``ValueWriter/commit()``. Memory stays at one frame however long the value is.
    public func makeWriter(for key: [UInt8]) throws(KeystoreError) -> ValueWriter {
        try Self.validate(key)
        return try ValueWriter(core: core, key: key, forceBlob: false)
    }

    // MARK: Reading

    /// The whole value of `key`, verified, or `nil` when absent.
    public func get(_ key: [UInt8]) throws(KeystoreError) -> [UInt8]? {
        try reader(for: key)?.readAll()
    }

    /// `count` bytes of the value of `key` at `offset`, verified; `nil` when the key is absent.
    /// Reads only the bytes of the range (for a blob, the frames that cover it).
    public func read(_ key: [UInt8], offset: UInt64, count: Int) throws(KeystoreError) -> [UInt8]? {
        try reader(for: key)?.read(offset: offset, count: count)
    }

    /// A reader on the current version of `key`, or `nil` when absent.
    public func reader(for key: [UInt8]) throws(KeystoreError) -> ValueReader? {
        core.lock.lock()
        defer { core.lock.unlock() }
        try core.checkUsable()
        guard let entry = core.index[key] else { return nil }
        if let blob = entry.blob {
            let (file, frameSize) = try core.blobFile(blob.id)
            return ValueReader(entry: entry, file: file, frameSize: frameSize)
        }
        guard let segment = core.segments[entry.segment] else {
            throw .corruptRecord(file: core.path(entry.segment, "seg"), offset: entry.recordOffset, reason: "segment is gone")
        }
        return ValueReader(entry: entry, file: segment.file, frameSize: 0)
    }

    /// Whether `key` is present.
    public func contains(_ key: [UInt8]) throws(KeystoreError) -> Bool {
        core.lock.lock()
        defer { core.lock.unlock() }
        try core.checkUsable()
        return core.index[key] != nil
    }

    /// The length of the value of `key`, or `nil` when absent.
    public func valueLength(_ key: [UInt8]) throws(KeystoreError) -> UInt64? {
        core.lock.lock()
        defer { core.lock.unlock() }
        try core.checkUsable()
        return core.index[key]?.valueLength
    }

    /// Keys in order: those starting with `prefix`, from `start` (inclusive) to `end`
    /// (exclusive), at most `limit`.
    public func keys(prefix: [UInt8] = [], from start: [UInt8]? = nil, to end: [UInt8]? = nil,
                     limit: Int = Int.max) throws(KeystoreError) -> [[UInt8]] {
        core.lock.lock()
        defer { core.lock.unlock() }
        try core.checkUsable()
        var keys: [[UInt8]] = []
        var from = prefix
        if let start, compareBytes(start, from) > 0 { from = start }
        core.index.forEach(from: from.isEmpty ? nil : from) { key, _ in
            if keys.count >= limit { return false }
            if let end, compareBytes(key, end) >= 0 { return false }
            if !prefix.isEmpty && !key.starts(with: prefix) { return false }
            keys.append(key)
            return true
        }
        return keys
    }

    /// The number of live keys.
    public var count: Int {
        core.lock.lock()
        defer { core.lock.unlock() }
        return core.index.count
    }

    // MARK: Maintenance

    /// Counts and sizes.
    public func statistics() throws(KeystoreError) -> Statistics {
        core.lock.lock()
        defer { core.lock.unlock() }
        try core.checkUsable()
        var blobs = 0
        var blobBytes: UInt64 = 0
        core.index.forEach { _, entry in
            if let blob = entry.blob {
                blobs += 1
                blobBytes += blob.length
            }
            return true
        }
        let segments = Array(core.segments.values)
        return Statistics(
            keys: core.index.count, segments: segments.count,
            segmentBytes: segments.reduce(0) { $0 + $1.length },
            liveBytes: segments.reduce(0) { $0 + $1.liveBytes },
            deadBytes: segments.reduce(0) { $0 + $1.deadBytes },
            blobs: blobs, blobBytes: blobBytes, nextSequence: core.nextSequence)
    }

    /// Makes every write so far durable, whatever the durability mode.
    public func sync() throws(KeystoreError) {
        core.lock.lock()
        defer { core.lock.unlock() }
        try core.checkUsable()
        try core.syncAll()
    }

    /// Rewrites every sealed segment that holds dead data (sealing the active one first if it
    /// does), waiting for a running background compaction. Reads and writes go on meanwhile.
    @discardableResult
    public func compact() throws(KeystoreError) -> CompactionReport {
        core.lock.lock()
        while core.compacting { core.lock.wait() }
        do {
            try core.checkUsable()
            if core.active.deadBytes > 0 { try core.rotate(scheduleCompaction: false) }
        } catch {
            core.lock.unlock()
            throw error
        }
        core.compacting = true
        core.lock.unlock()
        defer {
            core.lock.lock()
            core.compacting = false
            core.lock.broadcast()
            core.lock.unlock()
        }
        return try core.compactOnce(threshold: 0)
    }

    /// Waits for background compaction to finish; returns its last error, if any.
    public func waitForCompaction() -> KeystoreError? {
        core.lock.lock()
        defer { core.lock.unlock() }
        while core.compacting { core.lock.wait() }
        return core.lastCompactionError
    }

    /// Makes everything durable, waits for compaction, and releases the lock. Later calls throw
    /// ``KeystoreError/closed``. Called by `deinit` if you do not.
    public func close() throws(KeystoreError) {
        core.lock.lock()
        defer { core.lock.unlock() }
        if core.isClosed { return }
        while core.compacting { core.lock.wait() }
        var problem: KeystoreError?
        if core.failure == nil {
            do throws(KeystoreError) {
                try core.syncAll()
                // A hint for the active segment lets the next open skip scanning it.
                core.writeHint(segment: core.active, entries: core.activeEntries)
                let file = try OpenFile.make(directory + "/CLOSED.tmp", flags: O_RDWR | O_CREAT | O_TRUNC)
                try file.write(CleanClose.encode(id: core.active.id, length: core.active.length), at: 0)
                try file.sync()
                try FileSystem.move(directory + "/CLOSED.tmp", directory + "/CLOSED")
                try FileSystem.syncDirectory(directory)
            } catch {
                problem = error
            }
        }
        core.isClosed = true
        core.blobFiles = [:]
        flock(core.lockFile.descriptor, LOCK_UN)
        if let problem { throw problem }
    }
}

extension KeyValueStore {
    /// `put` with a UTF-8 key.
    public func put(_ key: String, _ value: [UInt8]) throws(KeystoreError) { try put(Array(key.utf8), value) }
    /// `get` with a UTF-8 key.
    public func get(_ key: String) throws(KeystoreError) -> [UInt8]? { try get(Array(key.utf8)) }
    /// `delete` with a UTF-8 key.
    public func delete(_ key: String) throws(KeystoreError) { try delete(Array(key.utf8)) }
}

/// Several puts and deletes applied all or nothing by ``KeyValueStore/write(_:)``; later
/// operations on the same key win.
public struct WriteBatch: Sendable {
    var operations: [PendingOperation] = []

    /// An empty batch.
    public init() {}

    /// Adds a put of `value` under `key`.
    public mutating func put(_ key: [UInt8], _ value: [UInt8]) { operations.append(.put(key: key, value: value)) }
    /// Adds a delete of `key`.
    public mutating func delete(_ key: [UInt8]) { operations.append(.delete(key: key)) }

    /// Operations in the batch.
    public var count: Int { operations.count }
    /// Whether the batch holds no operation.
    public var isEmpty: Bool { operations.isEmpty }
}
