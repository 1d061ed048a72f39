#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one compaction did.
public struct CompactionReport: Sendable, Equatable {
    /// Segments rewritten and removed.
    public var segmentsCompacted = 0
    /// Bytes of segment files before.
    public var bytesBefore: UInt64 = 0
    /// Bytes of segment files after.
    public var bytesAfter: UInt64 = 0
    /// Operations copied into the new segments.
    public var operationsCopied = 0
    /// Operations dropped as dead.
    public var operationsDropped = 0

    /// An empty report.
    public init() {}

    mutating func add(_ other: CompactionReport) {
        segmentsCompacted += other.segmentsCompacted
        bytesBefore += other.bytesBefore
        bytesAfter += other.bytesAfter
        operationsCopied += other.operationsCopied
        operationsDropped += other.operationsDropped
    }
}

extension StoreCore {
    /// Compacts sealed segments whose dead ratio is at least `threshold`, a group at a time
    /// (each group's live data about one segment), while reads and writes go on. The caller
    /// has set `compacting`.
    @discardableResult
    func compactOnce(threshold: Double) throws(KeystoreError) -> CompactionReport {
        var report = CompactionReport()
        var produced = Set<UInt64>()
        while true {
            lock.lock()
            if isClosed || failure != nil {
                lock.unlock()
                break
            }
            var group: [SegmentState] = []
            var live: UInt64 = 0
            for candidate in compactionCandidates(threshold: threshold) where !produced.contains(candidate.id) {
                if !group.isEmpty && live + candidate.liveBytes > options.segmentSize { break }
                group.append(candidate)
                live += candidate.liveBytes
            }
            if group.isEmpty {
                lock.unlock()
                break
            }
            let groupIDs = Set(group.map(\.id))
            let others = segments.values.filter { !groupIDs.contains($0.id) }.map(\.minimumSequence).min() ?? UInt64.max
            let outputID = nextID
            nextID += 1
            produced.insert(outputID)
            let sequenceAtStart = nextSequence
            lock.unlock()
            report.add(try compact(group, into: outputID, othersMinimumSequence: min(others, sequenceAtStart),
                                   sequenceAtStart: sequenceAtStart))
        }
        return report
    }

    /// Rewrites `group` into segment `outputID`. See `Docs/Keystore.md`, "Compaction".
    private func compact(_ group: [SegmentState], into outputID: UInt64, othersMinimumSequence: UInt64,
                         sequenceAtStart: UInt64) throws(KeystoreError) -> CompactionReport {
        var report = CompactionReport()
        let header = SegmentHeader(id: outputID, nextSequence: sequenceAtStart, isCompactionOutput: true,
                                   replaced: group.map(\.id))
        let final = path(outputID, "seg")
        let temporary = final + ".tmp"
        let output = try OpenFile.make(temporary, flags: O_RDWR | O_CREAT | O_TRUNC)
        var outputEntries: [OperationEntry] = []
        var pending = header.encode()
        var outputLength: UInt64 = 0
        var minimumSequence = sequenceAtStart

        func flush() throws(KeystoreError) {
            try output.write(pending, at: outputLength)
            outputLength += UInt64(pending.count)
            pending.removeAll(keepingCapacity: true)
        }

        do {
            for segment in group {
                report.bytesBefore += segment.length
                let bytes = try segment.file.read(count: Int(segment.length), at: 0)
                let (entries, _) = try StoreCore.scanRecords(bytes, headerLength: segment.headerLength,
                                                            path: segment.file.path, allowTornTail: false)
                // Which operations are still the newest version of their key.
                lock.lock()
                let keep = entries.map { entry -> Bool in
                    if entry.kind == .delete {
                        if let current = index[entry.key], current.sequence > entry.sequence { return false }
                        return othersMinimumSequence < entry.sequence
                    }
                    guard let current = index[entry.key] else { return false }
                    return current.sequence == entry.sequence && current.segment == segment.id
                }
                lock.unlock()
                for (entry, kept) in zip(entries, keep) {
                    guard kept else {
                        report.operationsDropped += 1
                        continue
                    }
                    let operation: PendingOperation
                    switch entry.kind {
                    case .putInline:
                        let start = Int(entry.recordOffset) + Int(entry.valueOffset)
                        operation = .put(key: entry.key, value: Array(bytes[start..<start + Int(entry.valueLength)]))
                    case .putBlob:
                        operation = .putBlob(key: entry.key, blob: entry.blob!)
                    case .delete:
                        operation = .delete(key: entry.key)
                    }
                    let record = RecordFormat.encode([operation], sequence: entry.sequence)
                    let offset = outputLength + UInt64(pending.count)
                    if case .success(var parsed) = record.withUnsafeBytes({ RecordFormat.parse($0, at: 0, verifyChecksum: false) }) {
                        parsed[0].recordOffset = offset
                        outputEntries.append(parsed[0])
                    }
                    minimumSequence = min(minimumSequence, entry.sequence)
                    pending.append(contentsOf: record)
                    report.operationsCopied += 1
                    if pending.count >= 1 << 20 { try flush() }
                }
            }
            try flush()
            try output.sync()
        } catch {
            try? FileSystem.remove(temporary)
            throw error
        }

        let state = SegmentState(id: outputID, file: output, header: header, length: outputLength, sealed: true)
        state.minimumSequence = minimumSequence
        writeHint(segment: state, entries: outputEntries)
        do {
            try FileSystem.move(temporary, final)
            try FileSystem.syncDirectory(directory)
        } catch {
            try? FileSystem.remove(temporary)
            try? FileSystem.remove(path(outputID, "hint"))
            throw error
        }
        // Committed: the output now replaces the group, on disk and in the index.
        lock.lock()
        for entry in outputEntries {
            if entry.kind == .delete {
                // A delete that had to be kept is live data of the output.
                state.liveBytes += UInt64(entry.footprint)
                continue
            }
            let moved = index.update(entry.key) { current in
                if current.sequence == entry.sequence {
                    current = IndexEntry(entry, segment: outputID)
                }
            }
            if moved, index[entry.key]?.segment == outputID {
                state.liveBytes += UInt64(entry.footprint)
            }
        }
        for segment in group { segments[segment.id] = nil }
        segments[outputID] = state
        lock.unlock()
        for segment in group {
            try FileSystem.remove(path(segment.id, "seg"))
            try FileSystem.remove(path(segment.id, "hint"))
        }
        try FileSystem.syncDirectory(directory)
        report.segmentsCompacted = group.count
        report.bytesAfter = outputLength
        return report
    }
}
