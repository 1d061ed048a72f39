import MaimoXXHash

/// A handle on one version of a value: reads any range of it, verified, without reading the
/// rest. It stays valid while the store changes (an overwrite, a delete, a compaction): it keeps
/// the files it needs open.
public struct ValueReader: Sendable {
    enum Source: Sendable {
        case inline(file: OpenFile, valueStart: UInt64, sequence: UInt64, checksum: UInt64)
        case blob(file: OpenFile, reference: BlobReference, frameSize: Int)
    }

    let source: Source
    /// The value's length in bytes.
    public let length: UInt64

    init(entry: IndexEntry, file: OpenFile, frameSize: Int) {
        length = entry.valueLength
        if let blob = entry.blob {
            source = .blob(file: file, reference: blob, frameSize: frameSize)
        } else {
            source = .inline(file: file, valueStart: entry.recordOffset + UInt64(entry.valueOffset),
                             sequence: entry.sequence, checksum: entry.valueChecksum)
        }
    }

    /// Reads `count` bytes at `offset`, verified. Throws when the range leaves the value.
    public func read(offset: UInt64, count: Int) throws(KeystoreError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try withMutableBytes(of: &bytes) { (raw) throws(KeystoreError) in try read(into: raw, at: offset) }
        return bytes
    }

    /// The whole value, verified (its whole-value checksum too, for a blob).
    public func readAll() throws(KeystoreError) -> [UInt8] {
        guard length <= UInt64(Int.max) else { throw .rangeOutOfBounds(offset: 0, length: length, valueLength: length) }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        try withMutableBytes(of: &bytes) { (raw) throws(KeystoreError) in
            var done = 0
            var whole = XXH64.State()
            while done < raw.count {
                let part = UnsafeMutableRawBufferPointer(rebasing: raw[done..<min(raw.count, done + (4 << 20))])
                try read(into: part, at: UInt64(done))
                whole.update(UnsafeRawBufferPointer(part))
                done += part.count
            }
            if case .blob(let file, let reference, _) = source, whole.finalize() != reference.checksum {
                throw .corruptBlob(file: file.path, offset: 0, reason: "whole-value checksum mismatch")
            }
        }
        return bytes
    }

    /// Fills `buffer` with the value's bytes at `offset`, verified.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(KeystoreError) {
        let count = UInt64(buffer.count)
        guard offset <= length, count <= length - offset else {
            throw .rangeOutOfBounds(offset: offset, length: count, valueLength: length)
        }
        if buffer.isEmpty { return }
        switch source {
        case .inline(let file, let valueStart, let sequence, let checksum):
            // An inline value is at most a blob threshold long: read it whole, verify, copy.
            let value = try file.read(count: Int(length), at: valueStart)
            guard value.count == Int(length), XXH64.hash(value, seed: sequence) == checksum else {
                throw .corruptRecord(file: file.path, offset: valueStart, reason: "value checksum mismatch on read")
            }
            value.withUnsafeBytes { raw in
                buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[Int(offset)..<Int(offset) + buffer.count]))
            }
        case .blob(let file, _, let frameSize):
            try readBlob(file: file, frameSize: frameSize, into: buffer, at: offset)
        }
    }

    private func readBlob(file: OpenFile, frameSize: Int, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(KeystoreError) {
        let layout = BlobLayout(frameSize: frameSize)
        let frame = UInt64(layout.frameSize)
        let first = offset / frame
        let last = (offset + UInt64(buffer.count) - 1) / frame
        let start = layout.offset(ofFrame: first)
        let endOfValue = min((last + 1) * frame, length)
        let end = layout.offset(ofFrame: last) + (endOfValue - last * frame) + UInt64(BlobLayout.checksumSize)
        let bytes = try file.read(count: Int(end - start), at: start)
        guard bytes.count == Int(end - start) else {
            throw .corruptBlob(file: file.path, offset: UInt64(bytes.count) + start, reason: "file is shorter than the value")
        }
        try withBytes(of: bytes) { (raw) throws(KeystoreError) in
            var position = 0
            var written = 0
            for index in first...last {
                let frameLength = Int(min(frame, length - index * frame))
                let data = UnsafeRawBufferPointer(rebasing: raw[position..<position + frameLength])
                let stored = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: position + frameLength, as: UInt64.self))
                guard XXH64.hash(data, seed: index) == stored else {
                    throw .corruptBlob(file: file.path, offset: start + UInt64(position), reason: "frame \(index) checksum mismatch")
                }
                let valueStart = index * frame
                let from = Int(max(offset, valueStart) - valueStart)
                let to = Int(min(offset + UInt64(buffer.count), valueStart + UInt64(frameLength)) - valueStart)
                UnsafeMutableRawBufferPointer(rebasing: buffer[written..<written + (to - from)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: data[from..<to]))
                written += to - from
                position += frameLength + BlobLayout.checksumSize
            }
        }
    }
}
