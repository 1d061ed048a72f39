import MaimoXXHash
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streamed put: append the value in pieces of any size, then ``commit()``. Until then
/// nothing is visible; ``cancel()`` (or dropping the writer) discards the partial value.
///
/// A value that stays under the store's blob threshold is kept in memory and committed inline;
/// a longer one goes to a blob file in checksummed frames, written 1 MiB at a time, so memory
/// stays at about 1 MiB however long the value is.
public final class ValueWriter {
    let core: StoreCore
    /// The key the value will be stored under.
    public let key: [UInt8]
    private var memory: [UInt8] = []
    private var blob: (id: UInt64, file: OpenFile, layout: BlobLayout)?
    private var frame: [UInt8] = []
    private var frameIndex: UInt64 = 0
    /// Sealed frames not yet written, and where in the file they go.
    private var pending: [UInt8] = []
    private var pendingOffset = UInt64(BlobLayout.headerSize)
    private static let writeSize = 1 << 20
    private var whole = XXH64.State()
    /// Bytes written so far.
    public private(set) var length: UInt64 = 0
    private var finished = false
    private let forceBlob: Bool

    init(core: StoreCore, key: [UInt8], forceBlob: Bool) throws(KeystoreError) {
        self.core = core
        self.key = key
        self.forceBlob = forceBlob
        if forceBlob { try startBlob() }
    }

    deinit {
        if !finished { discard() }
    }

    private func startBlob() throws(KeystoreError) {
        core.lock.lock()
        let id = core.nextID
        core.nextID += 1
        core.lock.unlock()
        let name = core.path(id, "blob")
        let file = try OpenFile.make(name, flags: O_RDWR | O_CREAT | O_TRUNC)
        let layout = BlobLayout(frameSize: core.options.blobFrameSize)
        blob = (id, file, layout)
        do {
            try file.write(BlobLayout.header(id: id, frameSize: layout.frameSize), at: 0)
        } catch {
            discard()
            throw error
        }
        frame.reserveCapacity(layout.frameSize)
        let buffered = memory
        memory = []
        try appendToBlob(buffered)
    }

    /// Appends `bytes` to the value.
    public func write(_ bytes: [UInt8]) throws(KeystoreError) {
        try withBytes(of: bytes) { (raw) throws(KeystoreError) in try write(raw) }
    }

    /// Appends `bytes` to the value.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(KeystoreError) {
        if finished { throw .writerFinished }
        length += UInt64(bytes.count)
        whole.update(bytes)
        if blob == nil {
            memory.append(contentsOf: bytes)
            if memory.count >= core.options.blobThreshold { try startBlob() }
            return
        }
        try appendToBlob(bytes)
    }

    private func appendToBlob(_ bytes: [UInt8]) throws(KeystoreError) {
        try withBytes(of: bytes) { (raw) throws(KeystoreError) in try appendToBlob(raw) }
    }

    private func appendToBlob(_ bytes: UnsafeRawBufferPointer) throws(KeystoreError) {
        guard let blob else { return }
        var position = 0
        while position < bytes.count {
            let take = min(blob.layout.frameSize - frame.count, bytes.count - position)
            frame.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[position..<position + take]))
            position += take
            if frame.count == blob.layout.frameSize { try flushFrame() }
        }
    }

    private func flushFrame(final: Bool = false) throws(KeystoreError) {
        guard let blob else { return }
        if !frame.isEmpty {
            pending.append(contentsOf: frame)
            withUnsafeBytes(of: XXH64.hash(frame, seed: frameIndex).littleEndian) { pending.append(contentsOf: $0) }
            frameIndex += 1
            frame.removeAll(keepingCapacity: true)
        }
        guard pending.count >= Self.writeSize || (final && !pending.isEmpty) else { return }
        do {
            try blob.file.write(pending, at: pendingOffset)
        } catch {
            discard()
            throw error
        }
        pendingOffset += UInt64(pending.count)
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes the last frame and makes the blob file durable; returns its reference.
    func finishBlob() throws(KeystoreError) -> BlobReference {
        guard let blob else { throw .writerFinished }
        try flushFrame(final: true)
        do {
            try blob.file.sync()
            try FileSystem.syncDirectory(core.directory)
        } catch {
            discard()
            throw error
        }
        finished = true
        return BlobReference(id: blob.id, length: length, checksum: whole.finalize())
    }

    /// Makes the value visible under ``key``, atomically and durably as the store promises.
    public func commit() throws(KeystoreError) {
        if finished { throw .writerFinished }
        if blob == nil && !forceBlob {
            finished = true
            try core.commit([.put(key: key, value: memory)])
            memory = []
            return
        }
        let reference = try finishBlob()
        do {
            try core.commit([.putBlob(key: key, blob: reference)])
        } catch {
            try? FileSystem.remove(core.path(reference.id, "blob"))
            throw error
        }
    }

    /// Discards what was written.
    public func cancel() {
        if !finished { discard() }
    }

    private func discard() {
        finished = true
        memory = []
        if let blob { try? FileSystem.remove(core.path(blob.id, "blob")) }
    }
}
