import MaimoXXHash
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What open found and repaired. Nothing here means data was lost that had been acknowledged:
/// a torn tail is a write that never returned.
public struct RecoveryReport: Sendable, Equatable {
    /// A torn record cut from the end of the active segment.
    public struct TruncatedTail: Sendable, Equatable {
        /// The segment file.
        public var file: String
        /// Where the cut was made.
        public var offset: UInt64
        /// How many bytes were removed.
        public var bytes: UInt64
    }
    /// Set when open cut a torn tail.
    public var truncatedTail: TruncatedTail?
    /// Compactions interrupted after their commit point, finished by deleting replaced segments.
    public var completedCompactions = 0
    /// Temporary files of interrupted work (an uncommitted compaction, a hint being written).
    public var removedTemporaryFiles = 0
    /// Blob files no live record names (a crash between blob and record, or an old version).
    public var removedOrphanBlobs = 0
    /// Segments read through their hint files.
    public var segmentsFromHints = 0
    /// Segments scanned record by record (no hint file, or a damaged one).
    public var segmentsScanned = 0
    /// Live keys after recovery.
    public var keys = 0

}

extension StoreCore {
    /// Opens (or creates) the store in `directory`: takes the lock, finishes or abandons
    /// interrupted work, rebuilds the index from hints or scans, and cuts a torn tail.
    static func open(directory: String, options: KeyValueStore.Options) throws(KeystoreError) -> (StoreCore, RecoveryReport) {
        var report = RecoveryReport()
        if !FileSystem.exists(directory) {
            guard options.createIfMissing else { throw .io(operation: "open", path: directory, errno: ENOENT) }
            try FileSystem.createDirectory(directory)
        }
        let lockFile = try OpenFile.make(directory + "/LOCK", flags: O_RDWR | O_CREAT)
        if flock(lockFile.descriptor, LOCK_EX | LOCK_NB) != 0 {
            if errno == EWOULDBLOCK { throw .locked(path: directory) }
            throw .io(operation: "flock", path: lockFile.path, errno: errno)
        }

        var segmentIDs: [UInt64] = [], hintIDs = Set<UInt64>(), blobIDs: [UInt64] = []
        var changedDirectory = false
        for name in try FileSystem.list(directory) {
            if name.hasSuffix(".tmp") {
                try FileSystem.remove(directory + "/" + name)
                report.removedTemporaryFiles += 1
                changedDirectory = true
                continue
            }
            guard let (id, suffix) = FileName.parse(name) else { continue }
            switch suffix {
            case "seg": segmentIDs.append(id)
            case "hint": hintIDs.insert(id)
            case "blob": blobIDs.append(id)
            default: continue
            }
        }
        segmentIDs.sort()
        var maximumID: UInt64 = max(segmentIDs.last ?? 0, blobIDs.max() ?? 0)

        // Headers first: compaction outputs say which segments they replaced.
        var files: [UInt64: (OpenFile, SegmentHeader, UInt64)] = [:]
        var replaced = Set<UInt64>()
        for id in segmentIDs {
            let name = directory + "/" + FileName.make(id, "seg")
            let file = try OpenFile.make(name, flags: O_RDWR)
            let length = try file.size
            let prefix = try file.read(count: Int(min(length, 1 << 16)), at: 0)
            var header = try withBytes(of: prefix) { (raw) throws(KeystoreError) in try SegmentHeader.decode(raw, file: name) }
            if header == nil, length > UInt64(prefix.count) {
                let whole = try file.read(count: Int(min(length, 64 << 20)), at: 0)
                header = try withBytes(of: whole) { (raw) throws(KeystoreError) in try SegmentHeader.decode(raw, file: name) }
            }
            guard let header else { throw .badFormat(file: name, reason: "segment header is truncated (\(length) bytes)") }
            guard header.id == id else { throw .badFormat(file: name, reason: "header names segment \(header.id)") }
            files[id] = (file, header, length)
            if header.isCompactionOutput {
                for old in header.replaced {
                    replaced.insert(old)
                    maximumID = max(maximumID, old)
                }
            }
        }
        for id in replaced.sorted() where files[id] != nil {
            files[id] = nil
            try FileSystem.remove(directory + "/" + FileName.make(id, "seg"))
            try FileSystem.remove(directory + "/" + FileName.make(id, "hint"))
            hintIDs.remove(id)
            changedDirectory = true
            report.completedCompactions += 1
        }
        for id in hintIDs where files[id] == nil {
            try FileSystem.remove(directory + "/" + FileName.make(id, "hint"))
            changedDirectory = true
        }

        // A clean close recorded the active segment's length: a shorter file now is damage, not
        // a crash (a crash cannot happen after a clean close without a reopen in between).
        let closedPath = directory + "/CLOSED"
        var closed: (id: UInt64, length: UInt64)?
        if FileSystem.exists(closedPath) {
            let file = try OpenFile.make(closedPath, flags: O_RDONLY)
            closed = CleanClose.decode(try file.read(count: 64, at: 0))
        }

        let remaining = files.keys.sorted()
        let activeCandidate = remaining.last { files[$0]!.1.isCompactionOutput == false }
        var states: [UInt64: SegmentState] = [:]
        var perSegment: [(SegmentState, [OperationEntry])] = []
        var nextSequence: UInt64 = 1
        var activeState: SegmentState?
        var activeEntries: [OperationEntry] = []

        for id in remaining {
            let (file, header, length) = files[id]!
            nextSequence = max(nextSequence, header.nextSequence)
            var entries: [OperationEntry]? = nil
            if hintIDs.contains(id) {
                let hint = try OpenFile.make(directory + "/" + FileName.make(id, "hint"), flags: O_RDONLY)
                if let decoded = HintFile.decode(try hint.read(count: Int(try hint.size), at: 0), segment: id) {
                    // A verified hint knows how long the segment was when it was written: shorter
                    // now is lost data. Longer is a hint from a clean close followed by appends
                    // (and perhaps a rotation cut short before the new hint): scan instead.
                    if length < decoded.segmentLength {
                        throw .corruptRecord(file: file.path, offset: min(length, decoded.segmentLength),
                                             reason: "segment is \(length) bytes long but its hint file records \(decoded.segmentLength)")
                    }
                    if length == decoded.segmentLength { entries = decoded.entries }
                }
            }
            // The newest ordinary segment is the active one. It has a hint only after a clean
            // close (rotation creates the next segment before it writes the old one's hint);
            // a hint that still matches its length saves the scan.
            let isActive = id == activeCandidate
            var validLength = length
            if isActive, let closed, closed.id == id, length < closed.length {
                throw .corruptRecord(file: file.path, offset: length,
                                     reason: "segment is \(closed.length - length) bytes shorter than when the store was closed")
            }
            if entries != nil {
                report.segmentsFromHints += 1
            } else {
                report.segmentsScanned += 1
                let scan = try scanSegment(file: file, headerLength: header.length, length: length, allowTornTail: isActive)
                entries = scan.entries
                if scan.validLength < length {
                    try file.truncate(to: scan.validLength)
                    try file.sync()
                    report.truncatedTail = .init(file: file.path, offset: scan.validLength, bytes: length - scan.validLength)
                    validLength = scan.validLength
                }
            }
            let state = SegmentState(id: id, file: file, header: header, length: validLength, sealed: !isActive)
            states[id] = state
            perSegment.append((state, entries!))
            if isActive {
                activeState = state
                activeEntries = entries!
            }
        }

        // The newest version of every key wins, wherever it is: each segment's entries as a run
        // sorted by key (newest per key only), then the runs merged pairwise.
        var runs: [[Winner]] = []
        for (state, entries) in perSegment {
            for entry in entries {
                state.minimumSequence = min(state.minimumSequence, entry.sequence)
                if entry.sequence >= nextSequence { nextSequence = entry.sequence + 1 }
            }
            runs.append(StoreCore.newestPerKey(entries).map { Winner(entry: $0, segment: state.id) })
        }
        perSegment = []
        while runs.count > 1 {
            var merged: [[Winner]] = []
            for i in stride(from: 0, to: runs.count, by: 2) {
                merged.append(i + 1 < runs.count ? StoreCore.merge(runs[i], runs[i + 1]) : runs[i])
            }
            runs = merged
        }
        var pairs: [([UInt8], IndexEntry)] = []
        pairs.reserveCapacity(runs.first?.count ?? 0)
        var liveBlobs = Set<UInt64>()
        for winner in runs.first ?? [] {
            let entry = winner.entry
            // A delete that is the newest word on its key stays live data: compaction keeps it
            // while older records may exist.
            states[winner.segment]!.liveBytes += UInt64(entry.footprint)
            if entry.kind == .delete { continue }
            pairs.append((entry.key, IndexEntry(entry, segment: winner.segment)))
            if let blob = entry.blob { liveBlobs.insert(blob.id) }
        }
        runs = []
        report.keys = pairs.count

        for id in blobIDs where !liveBlobs.contains(id) {
            try FileSystem.remove(directory + "/" + FileName.make(id, "blob"))
            report.removedOrphanBlobs += 1
            changedDirectory = true
        }
        if FileSystem.exists(closedPath) {
            try FileSystem.remove(closedPath)
            changedDirectory = true
        }
        if changedDirectory { try FileSystem.syncDirectory(directory) }

        var nextID = maximumID + 1
        let core: StoreCore
        if let activeState {
            core = StoreCore(directory: directory, options: options, lockFile: lockFile, active: activeState,
                             nextSequence: nextSequence, nextID: nextID)
        } else {
            let placeholder = SegmentState(
                id: 0, file: lockFile, header: SegmentHeader(id: 0, nextSequence: 0, isCompactionOutput: false, replaced: []),
                length: 48, sealed: true)
            core = StoreCore(directory: directory, options: options, lockFile: lockFile, active: placeholder,
                             nextSequence: nextSequence, nextID: nextID)
            let id = nextID
            let fresh = try core.createSegment(id: id, header: SegmentHeader(
                id: id, nextSequence: nextSequence, isCompactionOutput: false, replaced: []))
            nextID += 1
            core.nextID = nextID
            core.active = fresh
            states[id] = fresh
        }
        core.segments = states
        core.activeEntries = activeEntries
        core.index = OrderedIndex(sorted: pairs)
        return (core, report)
    }

    struct Winner {
        var entry: OperationEntry
        var segment: UInt64
    }

    /// `entries` sorted by key with only the newest operation of each key.
    static func newestPerKey(_ entries: [OperationEntry]) -> [OperationEntry] {
        var sorted = true
        for i in entries.indices.dropFirst() where compareBytes(entries[i - 1].key, entries[i].key) >= 0 {
            sorted = false
            break
        }
        if sorted { return entries }
        var order = Array(entries.indices)
        order.sort { a, b in
            let c = compareBytes(entries[a].key, entries[b].key)
            return c != 0 ? c < 0 : entries[a].sequence > entries[b].sequence
        }
        var result: [OperationEntry] = []
        result.reserveCapacity(entries.count)
        for i in order where result.last?.key != entries[i].key { result.append(entries[i]) }
        return result
    }

    /// Merges two runs sorted by key; on a shared key the newer operation wins.
    static func merge(_ a: [Winner], _ b: [Winner]) -> [Winner] {
        var result: [Winner] = []
        result.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            let c = compareBytes(a[i].entry.key, b[j].entry.key)
            if c < 0 {
                result.append(a[i]); i += 1
            } else if c > 0 {
                result.append(b[j]); j += 1
            } else {
                result.append(a[i].entry.sequence >= b[j].entry.sequence ? a[i] : b[j])
                i += 1; j += 1
            }
        }
        result.append(contentsOf: a[i...])
        result.append(contentsOf: b[j...])
        return result
    }

    /// Reads every record of a segment. In a sealed segment any invalid record is an error; in
    /// the active one a torn tail is cut (see `Docs/Keystore.md`, "torn tails").
    static func scanSegment(file: OpenFile, headerLength: Int, length: UInt64, allowTornTail: Bool)
        throws(KeystoreError) -> (entries: [OperationEntry], validLength: UInt64)
    {
        try scanRecords(try file.read(count: Int(length), at: 0), headerLength: headerLength, path: file.path,
                        allowTornTail: allowTornTail)
    }

    static func scanRecords(_ bytes: [UInt8], headerLength: Int, path: String, allowTornTail: Bool)
        throws(KeystoreError) -> (entries: [OperationEntry], validLength: UInt64)
    {
        try withBytes(of: bytes) { (raw) throws(KeystoreError) -> ([OperationEntry], UInt64) in
            var entries: [OperationEntry] = []
            var offset = headerLength
            while offset < raw.count {
                switch RecordFormat.parse(raw, at: offset) {
                case .success(let parsed):
                    entries.append(contentsOf: parsed)
                    offset += Int(parsed[0].recordLength)
                case .failure(let box):
                    let reason: String
                    switch box.problem {
                    case .truncated: reason = "record runs past the end of the file"
                    case .invalid(let why), .inconsistent(let why): reason = why
                    }
                    guard allowTornTail, isTornTail(raw, at: offset, problem: box.problem) else {
                        throw .corruptRecord(file: path, offset: UInt64(offset), reason: reason)
                    }
                    return (entries, UInt64(offset))
                }
            }
            return (entries, UInt64(offset))
        }
    }

    /// A bad record at `offset` of the active segment is a torn tail unless a valid record
    /// follows it, which would mean damage in the middle of acknowledged data.
    static func isTornTail(_ raw: UnsafeRawBufferPointer, at offset: Int, problem: RecordFormat.Problem) -> Bool {
        if case .truncated = problem { return true }
        if case .inconsistent = problem { return false }
        if raw[offset...].allSatisfy({ $0 == 0 }) { return true }
        guard raw.count - offset >= RecordFormat.headerSize else { return true }
        let body = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)))
        let next = offset + RecordFormat.headerSize + body
        guard body <= RecordFormat.maximumBodySize, next < raw.count else { return true }
        if case .success = RecordFormat.parse(raw, at: next) { return false }
        return true
    }
}

/// The `CLOSED` file: the active segment's id and length at a clean close (`Docs/Keystore.md`).
enum CleanClose {
    static let magic: [UInt8] = Array("MAIMOKVC".utf8)

    static func encode(id: UInt64, length: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: 36)
        writer.append(magic)
        writer.append(UInt32(1))
        writer.append(id)
        writer.append(length)
        writer.append(XXH64.hash(writer.bytes))
        return writer.bytes
    }

    static func decode(_ bytes: [UInt8]) -> (id: UInt64, length: UInt64)? {
        guard bytes.count == 36, Array(bytes[0..<8]) == magic, XXH64.hash(Array(bytes[0..<28])) ==
            bytes.withUnsafeBytes({ UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 28, as: UInt64.self)) })
        else { return nil }
        return bytes.withUnsafeBytes { raw in
            guard UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) == 1 else { return nil }
            return (UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt64.self)),
                    UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 20, as: UInt64.self)))
        }
    }
}
