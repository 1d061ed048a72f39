import MaimoXXHash

/// What ``KeyValueStore/check()`` read and what it found wrong.
public struct CheckReport: Sendable {
    /// Segment files read.
    public var segments = 0
    /// Records read.
    public var records = 0
    /// Blob files read.
    public var blobs = 0
    /// Bytes read and verified.
    public var bytes: UInt64 = 0
    /// Every problem found, each naming its file and offset.
    public var problems: [KeystoreError] = []

    /// True when no problem was found.
    public var isHealthy: Bool { problems.isEmpty }
}

extension KeyValueStore {
    /// Reads and verifies every record of every segment and every frame of every live blob
    /// (and its whole-value checksum), while the store stays usable.
    public func check() throws(KeystoreError) -> CheckReport {
        var report = CheckReport()
        core.lock.lock()
        let usable = Result { () throws(KeystoreError) in try core.checkUsable() }
        let segments = core.segments.values.sorted { $0.id < $1.id }.map { ($0.file, $0.length, $0.headerLength) }
        var blobEntries: [([UInt8], IndexEntry)] = []
        core.index.forEach { key, entry in
            if entry.blob != nil { blobEntries.append((key, entry)) }
            return true
        }
        core.lock.unlock()
        try usable.get()

        for (file, length, headerLength) in segments {
            report.segments += 1
            do throws(KeystoreError) {
                let bytes = try file.read(count: Int(length), at: 0)
                guard bytes.count == Int(length) else {
                    throw .corruptRecord(file: file.path, offset: UInt64(bytes.count), reason: "segment is shorter than expected")
                }
                _ = try withBytes(of: bytes) { (raw) throws(KeystoreError) in try SegmentHeader.decode(raw, file: file.path) }
                let (entries, _) = try StoreCore.scanRecords(bytes, headerLength: headerLength, path: file.path, allowTornTail: false)
                report.records += Set(entries.map(\.recordOffset)).count
                report.bytes += length
            } catch {
                report.problems.append(error)
            }
        }
        for (key, entry) in blobEntries {
            report.blobs += 1
            do throws(KeystoreError) {
                guard let reader = try reader(for: key), reader.length == entry.valueLength else { continue }
                var whole = XXH64.State()
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                var offset: UInt64 = 0
                while offset < reader.length {
                    let count = Int(min(UInt64(buffer.count), reader.length - offset))
                    try withMutableBytes(of: &buffer) { (raw) throws(KeystoreError) in
                        let part = UnsafeMutableRawBufferPointer(rebasing: raw[0..<count])
                        try reader.read(into: part, at: offset)
                        whole.update(UnsafeRawBufferPointer(part))
                    }
                    offset += UInt64(count)
                }
                report.bytes += reader.length
                if whole.finalize() != entry.blob!.checksum {
                    throw .corruptBlob(file: core.path(entry.blob!.id, "blob"), offset: 0, reason: "whole-value checksum mismatch")
                }
            } catch {
                report.problems.append(error)
            }
        }
        return report
    }
}
