#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Maimo
import MaimoBao
import MaimoBlake3
import MaimoKeystore
import MaimoTor
import MaimoWire

/// A provider's storage (Docs/Engine.md, "Provider storage"): verified blobs in a MaimoKeystore
/// under `client node ID ‖ Bao root`, each held as its content followed by its Bao tree pruned to
/// 16 KiB groups (`BaoGroupedOutboard`: 0.39% on top of the content), partial uploads in
/// `staging/`, the allow-list in `allowed-clients` and per-client usage. Safe to use from many
/// connection threads.
public final class ProviderStore: @unchecked Sendable {
    /// The store's directory.
    public let directory: String
    let keystore: KeyValueStore
    /// The quota of clients whose allow-list line names none (`UInt64.max`: unlimited).
    public let defaultQuota: UInt64
    private let lock = NSLock()
    private var usage: [[UInt8]: (bytes: UInt64, blobs: UInt64)] = [:]
    /// Partial uploads, in progress (one connection at a time per blob) or abandoned.
    private var staging = StagingLedger()
    /// How much a client may leave staged.
    public let stagingPolicy: StagingPolicy

    /// How much a client may leave staged.
    public struct StagingPolicy: Sendable {
        /// Partial uploads per client (the oldest abandoned one gives way to a new one).
        public var uploadsPerClient = 4
        /// An abandoned upload untouched this long is deleted (at start, and before each `PUT`).
        public var expiry: TimeInterval = 24 * 3600
        /// Four uploads per client, abandoned ones expire after a day.
        public init() {}
    }

    static let blobTag: UInt8 = 0x62 // "b"
    /// The layout of the blobs in `blobs/`, written to `format` when the store is created.
    static let format = "maimo-provider-store 2"
    static let groupLength = BaoGroupedOutboard.defaultGroupLength

    /// The bytes a blob of `contentLength` content bytes takes in the store.
    static func storedSize(contentLength: UInt64) -> UInt64 {
        contentLength + BaoGroupedOutboard.size(contentLength: contentLength, groupLength: groupLength)
    }

    /// The content length of a blob stored in `storedSize` bytes (nil: no blob has that size).
    static func contentLength(storedSize: UInt64) -> UInt64? {
        var low: UInt64 = 0, high = storedSize
        while low < high {
            let middle = low + (high - low) / 2
            if Self.storedSize(contentLength: middle) < storedSize { low = middle + 1 } else { high = middle }
        }
        return Self.storedSize(contentLength: low) == storedSize ? low : nil
    }

    /// Opens (or creates) the store in `directory`.
    public init(directory: String, defaultQuota: UInt64 = .max, staging: StagingPolicy = StagingPolicy()) throws(MaimoError) {
        self.directory = directory
        self.defaultQuota = defaultQuota
        stagingPolicy = staging
        do {
            try FileManager.default.createDirectory(atPath: directory + "/staging", withIntermediateDirectories: true)
        } catch {
            throw .io("creating the store \(directory): \(error.localizedDescription)")
        }
        let formatPath = directory + "/format"
        let written = (try? String(contentsOfFile: formatPath, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        if written == nil && FileManager.default.fileExists(atPath: directory + "/blobs") {
            throw .home("\(directory) holds blobs of an earlier store layout (combined Bao encodings); this provider reads \(Self.format) only: move it aside and let the clients store again")
        }
        if let written, written != Self.format {
            throw .home("\(directory) is a store of layout \"\(written)\"; this provider reads \(Self.format)")
        }
        do {
            if written == nil { try (Self.format + "\n").write(toFile: formatPath, atomically: true, encoding: .utf8) }
            keystore = try KeyValueStore(directory: directory + "/blobs")
        } catch {
            throw .home("opening the blob store in \(directory)/blobs: \(error)")
        }
        // Usage is counted from the keys at start: nothing to keep consistent on disk.
        do {
            for key in try keystore.keys(prefix: [Self.blobTag]) where key.count == 65 {
                let client = Array(key[1..<33])
                let length = try keystore.valueLength(key) ?? 0
                usage[client, default: (0, 0)].bytes += length
                usage[client, default: (0, 0)].blobs += 1
            }
        } catch {
            throw .home("reading the blob store in \(directory)/blobs: \(error)")
        }
        // What is staged counts against the quotas; expired uploads and removed clients' go.
        let allowed = allowList()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory + "/staging")) ?? [] {
            let path = directory + "/staging/" + name
            guard let key = Self.stagingKey(name) else { continue }
            var info = Glibc.stat()
            guard lstat(path, &info) == 0 else { continue }
            let touched = Date(timeIntervalSince1970: Double(info.st_mtim.tv_sec))
            let client = Array(key[1..<33])
            if allowed[client] == nil || touched < Date().addingTimeInterval(-staging.expiry) {
                unlink(path)
            } else {
                self.staging.found(key, client: client, staged: UInt64(info.st_size), touched: touched)
            }
        }
    }

    /// The blob key a staging file's name (`CLIENT-ROOT.part`, 64 hex digits each) stands for.
    static func stagingKey(_ name: String) -> [UInt8]? {
        guard name.hasSuffix(".part") else { return nil }
        let parts = name.dropLast(5).split(separator: "-")
        // Both are 32-byte values: parsed as digests are.
        guard parts.count == 2, let client = try? Blake3.Digest(hex: parts[0]), let root = try? Blake3.Digest(hex: parts[1]) else { return nil }
        return [blobTag] + client.bytes + root.bytes
    }

    func stagingPath(key: [UInt8]) -> String { stagingPath(Array(key[1..<33]), Array(key[33...])) }

    /// Closes the keystore; the store is unusable afterwards.
    public func close() { try? keystore.close() }

    // MARK: Allow-list (AllowList.swift)

    let allowListLock = NSLock()
    var allowListCache: (stamp: [Int64], list: [[UInt8]: UInt64?])?

    func isAllowed(_ client: [UInt8]) -> Bool { allowList()[client] != nil }

    func quota(for client: [UInt8]) -> UInt64 {
        guard let entry = allowList()[client] else { return 0 }
        return entry ?? defaultQuota
    }

    /// What `client` may store, stores and has staged, as `STAT` reports it.
    public func usage(for client: NodeID) -> ProviderUsage { usage(for: client.bytes) }

    func usage(for client: [UInt8]) -> ProviderUsage {
        lock.lock()
        defer { lock.unlock() }
        let entry = usage[client] ?? (0, 0)
        return ProviderUsage(quota: quota(for: client), used: entry.bytes, blobs: entry.blobs)
    }

    // MARK: Blobs

    func blobKey(_ client: [UInt8], _ root: [UInt8]) -> [UInt8] { [Self.blobTag] + client + root }

    func stagingPath(_ client: [UInt8], _ root: [UInt8]) -> String {
        directory + "/staging/" + hexString(client) + "-" + hexString(root) + ".part"
    }

    /// Whether `client` holds the blob with `root`: absent, partial (resumable) or complete.
    public func status(client: NodeID, root: Blake3.Digest) throws(MaimoError) -> BlobStatus {
        try status(client: client.bytes, root: root.bytes)
    }

    func status(client: [UInt8], root: [UInt8]) throws(MaimoError) -> BlobStatus {
        if let stored = try keystoreCall({ () throws(KeystoreError) in try keystore.valueLength(blobKey(client, root)) }) {
            return .complete(Self.contentLength(storedSize: stored) ?? 0)
        }
        let fd = open(stagingPath(client, root), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .absent }
        defer { Glibc.close(fd) }
        var info = Glibc.stat()
        if fstat(fd, &info) == 0 { return .partial(UInt64(info.st_size)) }
        return .absent
    }

    /// Starts or resumes an upload of `length` content bytes from `start`.
    func beginUpload(client: [UInt8], root: [UInt8], length: UInt64, start: UInt64) throws(MaimoError) -> Upload {
        guard length <= Self.maximumBlob else {
            throw .refused(.badFrame, "a blob of \(length) bytes is larger than this provider takes (\(Self.maximumBlob))")
        }
        if case .complete = try status(client: client, root: root) {
            throw .refused(.badFrame, "the blob is already stored")
        }
        let path = stagingPath(client, root)
        let key = blobKey(client, root)
        let quota = quota(for: client)
        let allowed = allowList()
        lock.lock()
        // Abandoned uploads past their time, and those of clients no longer allowed, go first.
        for gone in staging.sweep(before: Date().addingTimeInterval(-stagingPolicy.expiry), keep: { allowed[$0] != nil }) {
            unlink(stagingPath(key: gone))
        }
        guard !staging.isActive(key) else {
            lock.unlock()
            throw .refused(.busy, "another connection is uploading this blob")
        }
        // Staged bytes count as used: N sessions cannot each begin a quota-sized blob.
        let current = usage[client] ?? (0, 0)
        let stored = Self.storedSize(contentLength: length)
        let reserved = staging.reserved(by: client, except: key)
        guard stored <= quota, current.bytes <= quota - stored, reserved <= quota - stored - current.bytes else {
            lock.unlock()
            throw .refused(.quotaExceeded, "storing \(stored) bytes would exceed the quota (\(current.bytes) of \(quota) bytes used, \(reserved) reserved by unfinished uploads)")
        }
        // A bounded number of partial uploads per client: the oldest abandoned one gives way.
        while staging.count(of: client, except: key) >= max(1, stagingPolicy.uploadsPerClient) {
            guard let oldest = staging.oldestInactive(of: client, except: key) else {
                lock.unlock()
                throw .refused(.busy, "\(stagingPolicy.uploadsPerClient) uploads of this client are in progress")
            }
            staging.remove(oldest)
            unlink(stagingPath(key: oldest))
        }
        staging.begin(key, client: client, reserved: stored, now: Date())
        lock.unlock()
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        var info = Glibc.stat()
        guard fd >= 0, fstat(fd, &info) == 0 else {
            endUpload(client, root)
            throw .io("opening a staging file: \(String(cString: strerror(errno)))")
        }
        // `UInt64.max`: continue from whatever is staged.
        let staged = UInt64(info.st_size)
        let resumeAt = start == UInt64.max ? min(staged, length) : start
        guard resumeAt <= staged, resumeAt <= length, ftruncate(fd, off_t(resumeAt)) == 0 else {
            Glibc.close(fd)
            endUpload(client, root, kept: staged > 0)
            throw .refused(.badFrame, "cannot resume at \(resumeAt): \(staged) bytes are staged")
        }
        return Upload(store: self, client: client, root: root, length: length, descriptor: fd, written: resumeAt)
    }

    /// Adds a committed blob of `stored` bytes to the client's usage.
    func count(client: [UInt8], stored: UInt64) {
        lock.lock()
        usage[client, default: (0, 0)].bytes += stored
        usage[client, default: (0, 0)].blobs += 1
        lock.unlock()
    }

    /// An upload ended; `kept`: its staged bytes stay for a resume (and keep their reservation).
    func endUpload(_ client: [UInt8], _ root: [UInt8], kept: Bool = false) {
        lock.lock()
        staging.end(blobKey(client, root), kept: kept, now: Date())
        lock.unlock()
    }

    /// Whether `stored` more bytes still fit the client's quota (checked again at commit: the
    /// allow-list may have lowered it while the bytes arrived).
    func fits(client: [UInt8], stored: UInt64) -> Bool {
        let quota = quota(for: client)
        lock.lock()
        defer { lock.unlock() }
        let used = usage[client]?.bytes ?? 0
        return stored <= quota && used <= quota - stored
    }

    /// The largest blob a client may upload: 1 TiB.
    static let maximumBlob: UInt64 = 1 << 40

    /// A stored blob read as its combined Bao encoding (``BaoGroupedSource``).
    func encoding(client: [UInt8], root: [UInt8]) throws(MaimoError) -> BaoGroupedSource<ValueReaderSource, ValueReaderSource> {
        guard let reader = try keystoreCall({ () throws(KeystoreError) in try keystore.reader(for: blobKey(client, root)) }) else {
            throw .refused(.notFound, "no such blob")
        }
        guard let length = Self.contentLength(storedSize: reader.length) else {
            throw .refused(.internal, "the stored blob has a size no blob has (\(reader.length) bytes)")
        }
        return BaoGroupedSource(data: ValueReaderSource(reader: reader, base: 0, length: length),
                                tree: ValueReaderSource(reader: reader, base: length, length: reader.length - length),
                                contentLength: length, groupLength: Self.groupLength)
    }

    /// `count` bytes of a stored blob's combined encoding from `offset` (clipped to its end).
    func read(client: [UInt8], root: [UInt8], offset: UInt64, count: Int) throws(MaimoError) -> [UInt8] {
        let source = try encoding(client: client, root: root)
        guard offset < source.encodedSize else { return [] }
        let n = Int(min(UInt64(count), source.encodedSize - offset))
        do { return try source.readBytes(at: offset, count: n) } catch {
            throw .refused(.internal, "the stored blob cannot be read: \(error)")
        }
    }

    /// A Bao slice of a stored blob.
    func slice(client: [UInt8], root: [UInt8], start: UInt64, count: UInt64) throws(MaimoError) -> [UInt8] {
        let source = try encoding(client: client, root: root)
        do {
            return try Bao.slice(from: source, start: start, count: count)
        } catch {
            throw .refused(.internal, "the stored blob cannot be sliced: \(error)")
        }
    }

    /// Deletes a blob (and any partial upload of it); whether there was one.
    func delete(client: [UInt8], root: [UInt8]) throws(MaimoError) -> Bool {
        let key = blobKey(client, root)
        unlink(stagingPath(client, root))
        guard let length = try keystoreCall({ () throws(KeystoreError) in try keystore.valueLength(key) }) else { return false }
        try keystoreCall { () throws(KeystoreError) in try keystore.delete(key) }
        lock.lock()
        usage[client, default: (0, 0)].bytes -= min(length, usage[client, default: (0, 0)].bytes)
        usage[client, default: (0, 0)].blobs -= min(1, usage[client, default: (0, 0)].blobs)
        lock.unlock()
        return true
    }

    /// The client's blobs after `root` (exclusive), in order: roots and content lengths.
    func list(client: [UInt8], after root: [UInt8], limit: Int) throws(MaimoError) -> [([UInt8], UInt64)] {
        let prefix = [Self.blobTag] + client
        let start = root.isEmpty ? prefix : prefix + root + [0]
        let keys = try keystoreCall { () throws(KeystoreError) in try keystore.keys(prefix: prefix, from: start, limit: limit) }
        var result: [([UInt8], UInt64)] = []
        for key in keys where key.count == 65 {
            let stored = try keystoreCall { () throws(KeystoreError) in try keystore.valueLength(key) } ?? 0
            result.append((Array(key[33...]), Self.contentLength(storedSize: stored) ?? 0))
        }
        return result
    }

    /// Test hook: damages a stored blob (flips the byte at `offset` of what is stored: content
    /// offsets first, then the pruned tree; or cuts it to `truncateTo` bytes) to check that
    /// proofs of storage catch a provider that loses data.
    public func tamper(client: NodeID, root: Blake3.Digest, flipAt offset: UInt64? = nil, truncateTo: UInt64? = nil) throws(MaimoError) {
        let key = blobKey(client.bytes, root.bytes)
        guard let reader = try keystoreCall({ () throws(KeystoreError) in try keystore.reader(for: key) }) else {
            throw .usage("\(client) holds no blob \(root) here")
        }
        var bytes = try keystoreCall { () throws(KeystoreError) in try reader.readAll() }
        if let offset, offset < bytes.count { bytes[Int(offset)] ^= 0x5A }
        if let truncateTo, truncateTo < bytes.count { bytes.removeLast(bytes.count - Int(truncateTo)) }
        try keystoreCall { () throws(KeystoreError) in try keystore.put(key, bytes) }
    }

    private func keystoreCall<T>(_ body: () throws(KeystoreError) -> T) throws(MaimoError) -> T {
        do { return try body() } catch { throw .refused(.internal, "the provider's store failed: \(error)") }
    }
}

/// Part of a stored value (a blob's content, or its tree) as a Bao source.
struct ValueReaderSource: BaoByteSource {
    let reader: ValueReader
    let base: UInt64
    let length: UInt64

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        guard offset < length else { return 0 }
        let n = Int(min(UInt64(buffer.count), length - offset))
        do {
            try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<n]), at: base + offset)
        } catch {
            // The keystore's own error stays in the provider; the reader of the Bao stream
            // learns where the read failed (EIO).
            throw .system(.read, offset: base + offset, code: 5)
        }
        return n
    }
}
