#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import MaimoBao
import MaimoBlake3
import MaimoZstd

extension MaimoClient {
    /// The catalogue's revisions: the latest of each path, or all of them.
    public func list(allRevisions: Bool = false) throws(MaimoError) -> [RevisionRecord] {
        let all = try catalogue.allRevisions()
        if allRevisions { return all }
        var latest: [String: RevisionRecord] = [:]
        for record in all { latest[record.path] = record }
        return latest.values.sorted { $0.path < $1.path }
    }

    /// The record of `path` at `revision` (the latest when nil).
    public func revision(of path: String, _ revision: UInt64? = nil) throws(MaimoError) -> RevisionRecord {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let records = try catalogue.revisions(of: absolute)
        guard !records.isEmpty else { throw .usage("\(path): not in the catalogue (see `maimo ls`)") }
        if let revision {
            guard let record = records.first(where: { $0.revision == revision }) else {
                throw .usage("\(path): no revision \(revision) (revisions: \(records.map { String($0.revision) }.joined(separator: ", ")))")
            }
            return record
        }
        return records[records.count - 1]
    }

    /// Brings a revision back to `output` (its own path when nil): downloads the encoding from
    /// a peer that holds it, verifies every chunk, decrypts, decompresses, checks the plaintext
    /// hash, restores mode and mtime, and renames into place only then. Tries the next peer
    /// when one is unreachable or serves bad bytes.
    @discardableResult
    public func retrieve(_ path: String, revision: UInt64? = nil, to output: String? = nil,
                         progress: (UInt64, UInt64) -> Void = { _, _ in }) throws(MaimoError) -> RevisionRecord {
        let record = try self.revision(of: path, revision)
        let sessions = Sessions(client: self)
        defer { sessions.closeAll() }
        try retrieve(record, to: output.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? record.path,
                     sessions: sessions, progress: progress)
        return record
    }

    /// Brings back the latest revision of every file stored under `path` (a file or a directory),
    /// `concurrency` files at a time, into `output` (the same relative layout) or in place.
    /// Returns each file's outcome; one failure does not stop the others.
    public func retrieveTree(_ path: String, to output: String? = nil, concurrency: Int = 4,
                             progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }) throws(MaimoError) -> [(RevisionRecord, MaimoError?)] {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let records = try list().filter { $0.path == absolute || $0.path.hasPrefix(absolute + "/") }
        guard !records.isEmpty else { throw .usage("\(path): not in the catalogue (see `maimo ls`)") }
        let base = output.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let state = StoreState(count: records.count, bytesTotal: 0)
        let errors = Slots<MaimoError>(count: records.count)
        DispatchQueue.concurrentPerform(iterations: max(1, min(concurrency, records.count))) { _ in
            let sessions = Sessions(client: self)
            defer { sessions.closeAll() }
            while let index = state.next() {
                let record = records[index]
                let target = base.map { $0 + String(record.path.dropFirst(absolute.count)) } ?? record.path
                let result = Result { () throws(MaimoError) in try retrieve(record, to: target, sessions: sessions) { _, _ in } }
                if case .failure(let error) = result { errors.set(index, error) }
                let done = state.finished(index, .unchanged, size: 0)
                progress(done.filesDone, done.filesTotal)
            }
        }
        return records.enumerated().map { ($1, errors.get($0)) }
    }

    /// Encodings up to this size are downloaded into memory rather than a work file.
    static let inMemoryDownload: UInt64 = 4 << 20

    func retrieve(_ record: RevisionRecord, to target: String, sessions: Sessions,
                  progress: (UInt64, UInt64) -> Void) throws(MaimoError) {
        guard hexString(home.keyring.keyID) == record.keyID else {
            throw .usage("\(record.path) was stored with another master key (key ID \(record.keyID))")
        }
        let root: Blake3.Digest, expectedHash: Blake3.Digest
        do {
            root = try Blake3.Digest(hex: record.root)
            expectedHash = try Blake3.Digest(hex: record.plaintextHash)
        } catch {
            throw .home("\(record.path): damaged catalogue row")
        }
        var dictionary: ZstdDictionary?
        if let id = record.dictionaryID {
            guard let bytes = try catalogue.dictionary(id: id) else { throw .home("dictionary \(id) is missing from the catalogue") }
            do { dictionary = try ZstdDictionary(bytes) } catch { throw .home("dictionary \(id): \(error)") }
        }
        let key = home.keyring.revisionKey(Array(hexBytes(record.revisionID)))
        let directory = (target as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .io("creating \(directory): \(error.localizedDescription)")
        }
        var problems: [String] = []
        for peer in record.peers.keys.sorted() {
            let staged = try TemporaryFile(in: directory, "part")
            defer { staged.remove() }
            do {
                if record.encodingLength <= Self.inMemoryDownload {
                    var encoding: [UInt8] = []
                    encoding.reserveCapacity(Int(record.encodingLength))
                    try download(record, root: root, from: peer, sessions: sessions, progress: progress) { (bytes) throws(MaimoError) in
                        encoding += bytes
                    }
                    try Pipeline.open(encoding: BaoBufferSource(encoding), root: root, key: key, to: staged.descriptor,
                                      expectedHash: expectedHash, expectedLength: record.size, dictionary: dictionary)
                } else {
                    let encoding = try TemporaryFile(in: home.workDirectory, "get")
                    defer { encoding.remove() }
                    try download(record, root: root, from: peer, sessions: sessions, progress: progress) { (bytes) throws(MaimoError) in
                        try encoding.append(bytes)
                    }
                    try Pipeline.open(encodingPath: encoding.path, root: root, key: key, to: staged.descriptor,
                                      expectedHash: expectedHash, expectedLength: record.size, dictionary: dictionary)
                }
                guard fsync(staged.descriptor) == 0 else { throw MaimoError.io("syncing \(staged.path): \(String(cString: strerror(errno)))") }
                fchmod(staged.descriptor, mode_t(record.mode))
                let seconds = floor(record.mtime)
                var times = [timespec(tv_sec: Int(seconds), tv_nsec: Int((record.mtime - seconds) * 1e9)),
                             timespec(tv_sec: Int(seconds), tv_nsec: Int((record.mtime - seconds) * 1e9))]
                futimens(staged.descriptor, &times)
                guard rename(staged.path, target) == 0 else { throw MaimoError.io("renaming into \(target): \(String(cString: strerror(errno)))") }
                return
            } catch let error as MaimoError {
                problems.append("\(peer): \(error)")
            } catch {
                problems.append("\(peer): \(error)")
            }
        }
        throw .integrity("\(record.path) could not be retrieved from any peer: " + problems.joined(separator: "; "))
    }

    private func download(_ record: RevisionRecord, root: Blake3.Digest, from peer: String, sessions: Sessions,
                          progress: (UInt64, UInt64) -> Void, into sink: ([UInt8]) throws(MaimoError) -> Void) throws(MaimoError) {
        var received: UInt64 = 0
        try sessions.with(peer, attempts: attempts) { (session) throws(MaimoError) in
            // A broken connection resumes from what arrived.
            try session.get(root: root, offset: received, length: record.encodingLength - received) { (bytes) throws(MaimoError) in
                guard UInt64(bytes.count) <= record.encodingLength - received else {
                    throw .integrity("the provider sent more than the encoding's length")
                }
                try sink(bytes)
                received += UInt64(bytes.count)
                progress(received, record.encodingLength)
            }
        }
        guard received == record.encodingLength else {
            throw .integrity("the provider sent \(received) of \(record.encodingLength) bytes")
        }
    }

    // MARK: Status

    public struct PeerStatus: Sendable {
        public var peer: PeerRecord
        public var usage: ProviderUsage?
        public var error: String?
    }

    /// Each peer's quota and usage as it reports them (or why it could not be reached).
    public func peerStatus() throws(MaimoError) -> [PeerStatus] {
        var result: [PeerStatus] = []
        for peer in try catalogue.peers() {
            do {
                let session = try connect(peer: peer.name)
                defer { session.close() }
                result.append(PeerStatus(peer: peer, usage: try session.stat()))
            } catch {
                result.append(PeerStatus(peer: peer, usage: nil, error: error.description))
            }
        }
        return result
    }
}

/// Bytes from hex (invalid digits give no bytes for that pair).
func hexBytes(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var iterator = text.utf8.makeIterator()
    while let high = iterator.next(), let low = iterator.next() {
        guard let h = hexValue(high), let l = hexValue(low) else { return bytes }
        bytes.append(h << 4 | l)
    }
    return bytes
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}
