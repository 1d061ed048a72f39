import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the newest version of a key is.
struct IndexEntry: Sendable {
    var sequence: UInt64
    var segment: UInt64
    var recordOffset: UInt64
    var recordLength: UInt32
    var valueOffset: UInt32
    var valueLength: UInt64
    var blob: BlobReference?
    var valueChecksum: UInt64
    var footprint: UInt32

    init(_ operation: OperationEntry, segment: UInt64) {
        sequence = operation.sequence
        self.segment = segment
        recordOffset = operation.recordOffset
        recordLength = operation.recordLength
        valueOffset = operation.valueOffset
        valueLength = operation.valueLength
        blob = operation.blob
        valueChecksum = operation.valueChecksum
        footprint = operation.footprint
    }
}

/// One segment file and its accounting. Mutated under the store's lock only.
final class SegmentState {
    let id: UInt64
    let file: OpenFile
    let headerLength: Int
    let isCompactionOutput: Bool
    var length: UInt64
    var liveBytes: UInt64 = 0
    var minimumSequence: UInt64
    var sealed: Bool

    init(id: UInt64, file: OpenFile, header: SegmentHeader, length: UInt64, sealed: Bool) {
        self.id = id
        self.file = file
        headerLength = header.length
        isCompactionOutput = header.isCompactionOutput
        self.length = length
        minimumSequence = header.nextSequence
        self.sealed = sealed
    }

    var recordBytes: UInt64 { length - UInt64(headerLength) }
    var deadBytes: UInt64 { recordBytes > liveBytes ? recordBytes - liveBytes : 0 }
    var deadRatio: Double { recordBytes == 0 ? 0 : Double(deadBytes) / Double(recordBytes) }
}

/// The shared, lock-protected state of an open store. Every mutable field is read and written
/// with `lock` held; file I/O on sealed data happens outside it.
final class StoreCore: @unchecked Sendable {
    let directory: String
    let options: KeyValueStore.Options
    let lock = NSCondition()
    let lockFile: OpenFile

    var index = OrderedIndex<IndexEntry>()
    var segments: [UInt64: SegmentState] = [:]
    var active: SegmentState
    var activeEntries: [OperationEntry] = []
    var nextSequence: UInt64
    var nextID: UInt64

    /// Bytes appended to segments since open (a log position), and how many of them are durable.
    var written: UInt64 = 0
    var synced: UInt64 = 0
    var syncing = false

    var failure: String?
    var isClosed = false
    var compacting = false
    var lastCompactionError: KeystoreError?

    /// Blobs superseded by a commit, deleted once that commit is durable (`written` position).
    var pendingBlobDeletes: [(id: UInt64, position: UInt64)] = []
    var blobFiles: [UInt64: (file: OpenFile, frameSize: Int)] = [:]

    init(directory: String, options: KeyValueStore.Options, lockFile: OpenFile, active: SegmentState,
         nextSequence: UInt64, nextID: UInt64) {
        self.directory = directory
        self.options = options
        self.lockFile = lockFile
        self.active = active
        self.nextSequence = nextSequence
        self.nextID = nextID
    }

    func path(_ id: UInt64, _ suffix: String) -> String {
        directory + "/" + FileName.make(id, suffix)
    }

    func checkUsable() throws(KeystoreError) {
        if isClosed { throw .closed }
        if let failure { throw .failed(reason: failure) }
    }

    // MARK: Segments

    /// Creates an empty segment through a temporary name, so that a crash never leaves a
    /// half-written header. Called with the lock held (or before the store is shared).
    func createSegment(id: UInt64, header: SegmentHeader) throws(KeystoreError) -> SegmentState {
        let final = path(id, "seg")
        let temporary = final + ".tmp"
        let file = try OpenFile.make(temporary, flags: O_RDWR | O_CREAT | O_TRUNC)
        do {
            try file.write(header.encode(), at: 0)
            try file.sync()
            try FileSystem.move(temporary, final)
            try FileSystem.syncDirectory(directory)
        } catch {
            try? FileSystem.remove(temporary)
            throw error
        }
        return SegmentState(id: id, file: file, header: header, length: UInt64(header.length), sealed: false)
    }

    /// Seals the active segment and starts a new one. Lock held.
    func rotate(scheduleCompaction: Bool = true) throws(KeystoreError) {
        while syncing { lock.wait() }
        try syncActiveSegment()
        let id = nextID
        let fresh = try createSegment(id: id, header: SegmentHeader(
            id: id, nextSequence: nextSequence, isCompactionOutput: false, replaced: []))
        nextID += 1
        writeHint(segment: active, entries: activeEntries)
        active.sealed = true
        active = fresh
        segments[id] = fresh
        activeEntries = []
        deleteDurablySupersededBlobs()
        if scheduleCompaction { scheduleCompactionIfNeeded() }
    }

    /// Writes a hint file; a failure only costs a scan on the next open, so it is not thrown.
    func writeHint(segment: SegmentState, entries: [OperationEntry]) {
        let final = path(segment.id, "hint")
        let temporary = final + ".tmp"
        do {
            let file = try OpenFile.make(temporary, flags: O_RDWR | O_CREAT | O_TRUNC)
            try file.write(HintFile.encode(segment: segment.id, segmentLength: segment.length,
                                          entries: StoreCore.newestPerKey(entries)), at: 0)
            try file.sync()
            try FileSystem.move(temporary, final)
            try FileSystem.syncDirectory(directory)
        } catch {
            try? FileSystem.remove(temporary)
        }
    }

    // MARK: Index maintenance

    /// Applies operations just appended to `segment` to the index. Lock held.
    func apply(_ entries: [OperationEntry], to segment: SegmentState) {
        for entry in entries {
            segment.minimumSequence = min(segment.minimumSequence, entry.sequence)
            let old: IndexEntry?
            if entry.kind == .delete {
                old = index.remove(entry.key)
            } else {
                old = index.insert(entry.key, IndexEntry(entry, segment: segment.id))
                segment.liveBytes += UInt64(entry.footprint)
            }
            if let old { release(old) }
        }
    }

    /// Accounts for a version that is no longer the newest. Lock held.
    func release(_ old: IndexEntry) {
        if let segment = segments[old.segment] {
            segment.liveBytes -= min(segment.liveBytes, UInt64(old.footprint))
        }
        if let blob = old.blob {
            pendingBlobDeletes.append((blob.id, written))
        }
    }

    /// Deletes blob files whose superseding commit is durable. Lock held.
    func deleteDurablySupersededBlobs() {
        guard !pendingBlobDeletes.isEmpty else { return }
        var keep: [(id: UInt64, position: UInt64)] = []
        for pending in pendingBlobDeletes {
            if pending.position <= synced {
                blobFiles[pending.id] = nil
                try? FileSystem.remove(path(pending.id, "blob"))
            } else {
                keep.append(pending)
            }
        }
        pendingBlobDeletes = keep
    }

    /// An open blob file and its frame size (from its checked header), cached. Lock held.
    func blobFile(_ id: UInt64) throws(KeystoreError) -> (file: OpenFile, frameSize: Int) {
        if let cached = blobFiles[id] { return cached }
        let name = path(id, "blob")
        let file: OpenFile
        do {
            file = try OpenFile.make(name, flags: O_RDONLY)
        } catch {
            if case .io(_, _, let code) = error, code == ENOENT { throw .missingBlob(file: name) }
            throw error
        }
        let header = try file.read(count: BlobLayout.headerSize, at: 0)
        let frameSize = try BlobLayout.frameSize(fromHeader: header, id: id, file: name)
        if blobFiles.count >= 64 { blobFiles.removeAll(keepingCapacity: true) }
        blobFiles[id] = (file, frameSize)
        return (file, frameSize)
    }

    // MARK: Durability

    /// Waits until everything up to log position `target` is durable, as the store's
    /// durability mode promises. Lock held on entry and exit.
    func makeDurable(upTo target: UInt64) throws(KeystoreError) {
        switch options.durability {
        case .none:
            return
        case .everyCommit:
            while syncing { lock.wait() }
            if synced >= target { return }
            try syncActiveSegment()
        case .groupCommit:
            while synced < target {
                if let failure { throw .failed(reason: failure) }
                if syncing {
                    lock.wait()
                    continue
                }
                syncing = true
                let file = active.file
                let goal = written
                lock.unlock()
                var problem: KeystoreError?
                do { try file.syncData() } catch { problem = error }
                lock.lock()
                syncing = false
                lock.broadcast()
                if let problem {
                    failure = problem.description
                    throw problem
                }
                synced = max(synced, goal)
            }
        }
        deleteDurablySupersededBlobs()
    }

    /// `fdatasync`s the active segment with the lock held, no other sync running. A failure
    /// fails the store: the kernel may have dropped the pages it could not write.
    private func syncActiveSegment() throws(KeystoreError) {
        do {
            try active.file.syncData()
        } catch {
            failure = error.description
            throw error
        }
        synced = written
    }

    /// Makes everything written so far durable, whatever the mode. Lock held.
    func syncAll() throws(KeystoreError) {
        while syncing { lock.wait() }
        if synced < written { try syncActiveSegment() }
        deleteDurablySupersededBlobs()
    }

    // MARK: Commit

    /// Appends one record holding `operations` and applies it. The caller has validated keys.
    func commit(_ operations: [PendingOperation]) throws(KeystoreError) {
        lock.lock()
        defer { lock.unlock() }
        try checkUsable()
        let record = RecordFormat.encode(operations, sequence: nextSequence)
        if active.length + UInt64(record.count) > options.segmentSize && active.recordBytes > 0 {
            try rotate()
        }
        let offset = active.length
        do {
            try active.file.write(record, at: offset)
        } catch {
            // Cut back to where the record began so that no partial record stays behind.
            try? active.file.truncate(to: offset)
            throw error
        }
        let entries: [OperationEntry]
        switch record.withUnsafeBytes({ RecordFormat.parse($0, at: 0, verifyChecksum: false) }) {
        case .success(var parsed):
            for i in parsed.indices { parsed[i].recordOffset = offset }
            entries = parsed
        case .failure:
            // Unreachable for a record we just encoded; refuse rather than index garbage.
            try? active.file.truncate(to: offset)
            throw .corruptRecord(file: active.file.path, offset: offset, reason: "record failed to re-parse after encoding")
        }
        active.length += UInt64(record.count)
        nextSequence += UInt64(operations.count)
        written += UInt64(record.count)
        apply(entries, to: active)
        activeEntries.append(contentsOf: entries)
        try makeDurable(upTo: written)
    }

    // MARK: Compaction scheduling

    func compactionCandidates(threshold: Double) -> [SegmentState] {
        segments.values
            .filter { $0.sealed && $0 !== active && $0.deadBytes > 0 && $0.deadRatio >= threshold }
            .sorted { $0.id < $1.id }
    }

    /// Starts a background compaction when a sealed segment's dead ratio reaches the option's
    /// threshold. Lock held.
    func scheduleCompactionIfNeeded() {
        guard options.automaticCompaction, !compacting, !isClosed, failure == nil else { return }
        guard !compactionCandidates(threshold: options.compactionThreshold).isEmpty else { return }
        compacting = true
        let core = self
        Thread.detachNewThread {
            var problem: KeystoreError?
            do throws(KeystoreError) { try core.compactOnce(threshold: core.options.compactionThreshold) } catch { problem = error }
            core.lock.lock()
            if let problem { core.lastCompactionError = problem }
            core.compacting = false
            core.lock.broadcast()
            core.lock.unlock()
        }
    }
}
