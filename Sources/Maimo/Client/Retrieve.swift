#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
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
        let target = output.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? record.path
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
        let sessions = Sessions(client: self)
        defer { sessions.closeAll() }
        var problems: [String] = []
        for peer in record.peers.keys.sorted() {
            let encoding: TemporaryFile, staged: TemporaryFile
            do {
                encoding = try TemporaryFile(in: home.workDirectory, "get")
                staged = try TemporaryFile(in: directory, "part")
            } catch {
                throw error
            }
            defer { encoding.remove(); staged.remove() }
            do {
                try download(record, root: root, from: peer, into: encoding, sessions: sessions, progress: progress)
                try Pipeline.open(encodingPath: encoding.path, root: root, key: key, to: staged.descriptor,
                                  expectedHash: expectedHash, expectedLength: record.size, dictionary: dictionary)
                guard fsync(staged.descriptor) == 0 else { throw MaimoError.io("syncing \(staged.path): \(String(cString: strerror(errno)))") }
                fchmod(staged.descriptor, mode_t(record.mode))
                let seconds = floor(record.mtime)
                var times = [timespec(tv_sec: Int(seconds), tv_nsec: Int((record.mtime - seconds) * 1e9)),
                             timespec(tv_sec: Int(seconds), tv_nsec: Int((record.mtime - seconds) * 1e9))]
                futimens(staged.descriptor, &times)
                guard rename(staged.path, target) == 0 else { throw MaimoError.io("renaming into \(target): \(String(cString: strerror(errno)))") }
                return record
            } catch let error as MaimoError {
                problems.append("\(peer): \(error)")
            } catch {
                problems.append("\(peer): \(error)")
            }
        }
        throw .integrity("\(record.path) could not be retrieved from any peer: " + problems.joined(separator: "; "))
    }

    private func download(_ record: RevisionRecord, root: Blake3.Digest, from peer: String, into file: TemporaryFile,
                          sessions: Sessions, progress: (UInt64, UInt64) -> Void) throws(MaimoError) {
        var received: UInt64 = 0
        try sessions.with(peer, attempts: attempts) { (session) throws(MaimoError) in
            // A broken connection resumes from what arrived.
            try session.get(root: root, offset: received, length: record.encodingLength - received) { (bytes) throws(MaimoError) in
                guard UInt64(bytes.count) <= record.encodingLength - received else {
                    throw .integrity("the provider sent more than the encoding's length")
                }
                try file.append(bytes)
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
