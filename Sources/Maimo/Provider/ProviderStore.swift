#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MaimoBao
import MaimoBlake3
import MaimoKeystore
import MaimoTor

/// A provider's storage (Docs/Engine.md, "Provider storage"): verified blobs in a MaimoKeystore
/// under `client node ID ‖ Bao root`, partial uploads in `staging/`, the allow-list in
/// `allowed-clients` and per-client usage. Safe to use from many connection threads.
public final class ProviderStore: @unchecked Sendable {
    public let directory: String
    let keystore: KeyValueStore
    /// The quota of clients whose allow-list line names none (`UInt64.max`: unlimited).
    public let defaultQuota: UInt64
    private let lock = NSLock()
    private var usage: [[UInt8]: (bytes: UInt64, blobs: UInt64)] = [:]
    /// Uploads in progress, so that two connections never write one staging file.
    private var uploading: Set<[UInt8]> = []

    static let blobTag: UInt8 = 0x62 // "b"

    /// Opens (or creates) the store in `directory`.
    public init(directory: String, defaultQuota: UInt64 = .max) throws(MaimoError) {
        self.directory = directory
        self.defaultQuota = defaultQuota
        do {
            try FileManager.default.createDirectory(atPath: directory + "/staging", withIntermediateDirectories: true)
        } catch {
            throw .io("creating the store \(directory): \(error.localizedDescription)")
        }
        do {
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
    }

    public func close() { try? keystore.close() }

    // MARK: Allow-list

    var allowListPath: String { directory + "/allowed-clients" }

    /// Adds (or updates) a client on the allow-list of the store in `directory`; the file is
    /// read at every handshake, so a running provider sees the change at once.
    public static func allow(client: [UInt8], quota: UInt64?, inDirectory directory: String) throws(MaimoError) {
        let name = NodeID.text(client)
        var lines = ((try? String(contentsOfFile: directory + "/allowed-clients", encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
        lines.removeAll { $0.split(separator: " ").first.map(String.init) == name }
        lines.append(quota.map { "\(name) \($0)" } ?? name)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try (lines.joined(separator: "\n") + "\n").write(toFile: directory + "/allowed-clients", atomically: true, encoding: .utf8)
        } catch {
            throw .io("writing \(directory)/allowed-clients: \(error.localizedDescription)")
        }
    }

    /// The allow-list: node ID → quota (nil: the default).
    func allowList() -> [[UInt8]: UInt64?] {
        guard let text = try? String(contentsOfFile: allowListPath, encoding: .utf8) else { return [:] }
        var result: [[UInt8]: UInt64?] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let first = fields.first, !first.hasPrefix("#"), let id = try? NodeID.parse(String(first)) else { continue }
            result[id] = fields.count > 1 ? UInt64(fields[1]) : nil
        }
        return result
    }

    func isAllowed(_ client: [UInt8]) -> Bool { allowList()[client] != nil }

    func quota(for client: [UInt8]) -> UInt64 {
        guard let entry = allowList()[client] else { return 0 }
        return entry ?? defaultQuota
    }

    public func usage(for client: [UInt8]) -> ProviderUsage {
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

    public func status(client: [UInt8], root: [UInt8]) throws(MaimoError) -> BlobStatus {
        if let length = try keystoreCall({ () throws(KeystoreError) in try keystore.valueLength(blobKey(client, root)) }) {
            return .complete(length)
        }
        let fd = open(stagingPath(client, root), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .absent }
        defer { Glibc.close(fd) }
        var info = Glibc.stat()
        if fstat(fd, &info) == 0 { return .partial(UInt64(info.st_size)) }
        return .absent
    }

    /// Starts or resumes an upload of `length` encoding bytes from `start`.
    func beginUpload(client: [UInt8], root: [UInt8], length: UInt64, start: UInt64) throws(MaimoError) -> Upload {
        guard length >= 8, length == Bao.encodedSize(contentLength: Self.contentLength(encodedSize: length) ?? 0) else {
            throw .refused(.badFrame, "\(length) bytes is not the length of a combined Bao encoding")
        }
        if case .complete = try status(client: client, root: root) {
            throw .refused(.badFrame, "the blob is already stored")
        }
        let path = stagingPath(client, root)
        lock.lock()
        let current = usage[client] ?? (0, 0)
        let quota = quota(for: client)
        guard length <= quota, current.bytes <= quota - length else {
            lock.unlock()
            throw .refused(.quotaExceeded, "storing \(length) bytes would exceed the quota (\(current.bytes) of \(quota) bytes used)")
        }
        guard !uploading.contains(blobKey(client, root)) else {
            lock.unlock()
            throw .refused(.busy, "another connection is uploading this blob")
        }
        uploading.insert(blobKey(client, root))
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
            endUpload(client, root)
            throw .refused(.badFrame, "cannot resume at \(resumeAt): \(staged) bytes are staged")
        }
        return Upload(store: self, client: client, root: root, length: length, descriptor: fd, written: resumeAt)
    }

    func endUpload(_ client: [UInt8], _ root: [UInt8]) {
        lock.lock()
        uploading.remove(blobKey(client, root))
        lock.unlock()
    }

    /// The content length whose combined encoding has `encodedSize` bytes, if any.
    static func contentLength(encodedSize: UInt64) -> UInt64? {
        guard encodedSize >= 8 else { return nil }
        // encodedSize = 8 + content + 64 × (chunks − 1): search the content length.
        var low: UInt64 = 0, high = encodedSize - 8
        while low < high {
            let middle = low + (high - low) / 2
            if Bao.encodedSize(contentLength: middle) < encodedSize { low = middle + 1 } else { high = middle }
        }
        return Bao.encodedSize(contentLength: low) == encodedSize ? low : nil
    }

    /// An upload in progress: bytes appended to the staging file, then verified and committed.
    final class Upload {
        let store: ProviderStore
        let client: [UInt8], root: [UInt8]
        let length: UInt64
        let descriptor: Int32
        private(set) var written: UInt64
        private var ended = false

        init(store: ProviderStore, client: [UInt8], root: [UInt8], length: UInt64, descriptor: Int32, written: UInt64) {
            self.store = store
            self.client = client
            self.root = root
            self.length = length
            self.descriptor = descriptor
            self.written = written
        }

        func append(_ bytes: [UInt8], at offset: UInt64) throws(MaimoError) {
            guard offset == written else { throw .refused(.badFrame, "data at \(offset), expected \(written)") }
            guard UInt64(bytes.count) <= length - written else { throw .refused(.badFrame, "data past the announced length \(length)") }
            var done = 0
            while done < bytes.count {
                let n = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done)) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw .refused(.internal, "the provider cannot write: \(String(cString: strerror(errno)))") }
                done += n
            }
            written += UInt64(bytes.count)
        }

        var isComplete: Bool { written == length }

        /// Verifies the whole staged encoding against the root while copying it into the
        /// keystore (only bytes the Bao decoder verified are written), commits durably and
        /// removes the staging file. On a mismatch the staged bytes are dropped.
        func commit() throws(MaimoError) {
            let key = store.blobKey(client, root)
            let digest: Blake3.Digest
            do { digest = try Blake3.Digest(bytes: root) } catch { throw .refused(.badFrame, "a root has 32 bytes") }
            let writer: ValueWriter
            do { writer = try store.keystore.makeWriter(for: key) } catch { throw .refused(.internal, "the provider's store failed: \(error)") }
            let tee = TeeSource(descriptor: descriptor, writer: writer)
            var decoder = BaoDecoder(combined: tee, hash: digest)
            var buffer = [UInt8](repeating: 0, count: 1 << 20)
            do {
                while true {
                    let n = try buffer.withUnsafeMutableBytes { (raw) throws(BaoError) -> Int in try decoder.read(into: raw) }
                    if n == 0 { break }
                }
            } catch {
                writer.cancel()
                ftruncate(descriptor, 0)
                written = 0
                if let failure = tee.failure { throw .refused(.internal, "the provider's store failed: \(failure)") }
                throw .refused(.verifyFailed, "the uploaded bytes do not match the root (\(error))")
            }
            guard tee.copied == length, writer.length == length else {
                writer.cancel()
                throw .refused(.verifyFailed, "the encoding verified \(tee.copied) of \(length) bytes")
            }
            do {
                try writer.commit()
            } catch {
                throw .refused(.internal, "the provider's store failed: \(error)")
            }
            store.lock.lock()
            store.usage[client, default: (0, 0)].bytes += length
            store.usage[client, default: (0, 0)].blobs += 1
            store.lock.unlock()
            unlink(store.stagingPath(client, root))
        }

        func end() {
            guard !ended else { return }
            ended = true
            Glibc.close(descriptor)
            store.endUpload(client, root)
        }

        deinit { end() }
    }

    /// Reads the staging file for the decoder and passes every byte it reads, in order, to the
    /// keystore writer: what is stored is exactly what was verified.
    final class TeeSource: BaoByteSource {
        let descriptor: Int32
        let writer: ValueWriter
        private(set) var copied: UInt64 = 0
        private(set) var failure: String?

        init(descriptor: Int32, writer: ValueWriter) {
            self.descriptor = descriptor
            self.writer = writer
        }

        func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
            let n = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
            guard n >= 0 else { throw .source(String(cString: strerror(errno))) }
            let end = offset + UInt64(n)
            guard offset <= copied else {
                failure = "the decoder skipped bytes"
                throw .source("the decoder skipped from \(copied) to \(offset)")
            }
            if end > copied {
                let fresh = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[Int(copied - offset)..<n])
                do { try writer.write(fresh) } catch {
                    failure = "\(error)"
                    throw .source("the store failed")
                }
                copied = end
            }
            return n
        }
    }

    /// `count` encoding bytes of a stored blob from `offset` (clipped to its end).
    func read(client: [UInt8], root: [UInt8], offset: UInt64, count: Int) throws(MaimoError) -> [UInt8] {
        guard let reader = try keystoreCall({ () throws(KeystoreError) in try keystore.reader(for: blobKey(client, root)) }) else {
            throw .refused(.notFound, "no such blob")
        }
        guard offset < reader.length else { return [] }
        let n = Int(min(UInt64(count), reader.length - offset))
        return try keystoreCall { () throws(KeystoreError) in try reader.read(offset: offset, count: n) }
    }

    /// A Bao slice of a stored blob.
    func slice(client: [UInt8], root: [UInt8], start: UInt64, count: UInt64) throws(MaimoError) -> [UInt8] {
        guard let reader = try keystoreCall({ () throws(KeystoreError) in try keystore.reader(for: blobKey(client, root)) }) else {
            throw .refused(.notFound, "no such blob")
        }
        do {
            return try Bao.slice(from: ValueReaderSource(reader: reader), start: start, count: count)
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

    /// The client's blobs after `root` (exclusive), in order: roots and encoding lengths.
    func list(client: [UInt8], after root: [UInt8], limit: Int) throws(MaimoError) -> [([UInt8], UInt64)] {
        let prefix = [Self.blobTag] + client
        let start = root.isEmpty ? prefix : prefix + root + [0]
        let keys = try keystoreCall { () throws(KeystoreError) in try keystore.keys(prefix: prefix, from: start, limit: limit) }
        var result: [([UInt8], UInt64)] = []
        for key in keys where key.count == 65 {
            let length = try keystoreCall { () throws(KeystoreError) in try keystore.valueLength(key) } ?? 0
            result.append((Array(key[33...]), length))
        }
        return result
    }

    /// Test hook: damages a stored blob (flips one byte at `offset`, or cuts it to `truncateTo`)
    /// to check that proofs of storage catch a provider that loses data.
    public func tamper(client: [UInt8], root: [UInt8], flipAt offset: UInt64? = nil, truncateTo: UInt64? = nil) throws(MaimoError) {
        let key = blobKey(client, root)
        guard let reader = try keystoreCall({ () throws(KeystoreError) in try keystore.reader(for: key) }) else {
            throw .usage("no such blob")
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

/// A stored blob as a Bao source (for slicing).
struct ValueReaderSource: BaoByteSource {
    let reader: ValueReader

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        guard offset < reader.length else { return 0 }
        let n = Int(min(UInt64(buffer.count), reader.length - offset))
        do {
            try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<n]), at: offset)
        } catch {
            throw .source("the store failed: \(error)")
        }
        return n
    }
}

/// Node IDs as text: the v3 onion address of the Ed25519 public key.
public enum NodeID {
    public static func text(_ id: [UInt8]) -> String {
        (try? OnionAddress(publicKeyBytes: id))?.description ?? hexString(id)
    }

    /// Parses an onion address (with or without `.onion`) into the 32-byte node ID.
    public static func parse(_ text: String) throws(MaimoError) -> [UInt8] {
        do { return try OnionAddress(text).publicKey } catch { throw .usage("\(text) is not a node ID (a v3 onion address): \(error)") }
    }
}
