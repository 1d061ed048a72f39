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

/// The client of Docs/Engine.md: stores files on providers, proves they are still held, brings
/// them back. Every operation is synchronous and thread-safe; `store` runs files in parallel.
public final class MaimoClient: @unchecked Sendable {
    public let home: MaimoHome
    public var tor: TorConfiguration?
    /// Attempts per upload or download before a peer counts as failed (a broken connection
    /// resumes where the provider's verified bytes end).
    public var attempts = 3
    public var timeout: Double = 60

    public init(home: MaimoHome, tor: TorConfiguration? = nil) {
        self.home = home
        self.tor = tor
    }

    var catalogue: Catalogue { home.catalogue }

    // MARK: Peers

    /// Adds a provider under `name`: its node ID (onion address) and where to reach it (the
    /// onion address itself, or host:port).
    public func addPeer(name: String, nodeID: String, address: String? = nil) throws(MaimoError) {
        guard !name.isEmpty, !name.contains("/") else { throw .usage("a peer name must be non-empty, without slashes") }
        let id = try NodeID.parse(nodeID)
        let text = NodeID.text(id)
        let where_ = try PeerAddress(address ?? text)
        try catalogue.addPeer(PeerRecord(name: name, nodeID: text, address: where_.description, added: Date().timeIntervalSince1970))
    }

    /// A session with the named peer.
    public func connect(peer name: String) throws(MaimoError) -> ProviderClient {
        guard let peer = try catalogue.peer(named: name) else { throw .usage("no peer named \(name) (see `maimo peer add`)") }
        return try ProviderClient(address: try PeerAddress(peer.address), provider: try NodeID.parse(peer.nodeID),
                                  identity: home.identity, tor: tor, timeout: timeout)
    }

    /// Idle sessions kept for the next operation (a handshake over Tor costs several round trips).
    private let poolLock = NSLock()
    private var pool: [String: [ProviderClient]] = [:]

    func checkOut(_ peer: String) -> ProviderClient? {
        poolLock.lock()
        defer { poolLock.unlock() }
        return pool[peer]?.popLast()
    }

    func checkIn(_ peer: String, _ session: ProviderClient) {
        poolLock.lock()
        defer { poolLock.unlock() }
        if pool[peer, default: []].count < 8 { pool[peer, default: []].append(session) } else { session.close() }
    }

    /// Closes the idle sessions.
    public func closeSessions() {
        poolLock.lock()
        let sessions = pool.values.flatMap { $0 }
        pool = [:]
        poolLock.unlock()
        for session in sessions { session.close() }
    }

    deinit { closeSessions() }

    /// Sessions taken from the pool (or opened) on demand, one per peer, for one worker thread.
    final class Sessions {
        let client: MaimoClient
        var open: [String: ProviderClient] = [:]
        init(client: MaimoClient) { self.client = client }

        func session(_ peer: String) throws(MaimoError) -> ProviderClient {
            if let session = open[peer] { return session }
            var session = client.checkOut(peer)
            if session == nil { session = try client.connect(peer: peer) }
            guard let session else { throw .io("no session") }
            open[peer] = session
            return session
        }

        /// Runs `body` with a session, reconnecting after a broken connection.
        func with<T>(_ peer: String, attempts: Int, _ body: (ProviderClient) throws(MaimoError) -> T) throws(MaimoError) -> T {
            var attempt = 0
            while true {
                attempt += 1
                do {
                    return try body(try session(peer))
                } catch {
                    open[peer]?.close()
                    open[peer] = nil
                    // Only the network (and a provider still finishing a broken session's upload)
                    // is worth retrying; a refusal or a failed check is an answer.
                    var retry = false
                    if case .io = error { retry = true }
                    if case .refused(.busy, _) = error { retry = true }
                    guard retry, attempt < attempts else { throw error }
                    usleep(UInt32(min(2_000_000, 100_000 << attempt)))
                }
            }
        }

        /// Returns the sessions to the pool (a broken one was dropped when it failed).
        func closeAll() {
            for (peer, session) in open { client.checkIn(peer, session) }
            open = [:]
        }
    }

    // MARK: Store

    public struct StoreOptions: Sendable {
        /// Peers to store on (nil: every peer, in name order, until `copies` accepted).
        public var peers: [String]?
        public var copies = 1
        public var removeLocal = false
        public var concurrency = 4
        public var level = 3
        public var pad = true
        /// A dictionary from the catalogue (`maimo dict train`) to compress with.
        public var dictionaryID: UInt32?
        /// Revisions kept per path; older ones are deleted at their providers.
        public var keepRevisions = 5
        public init() {}
    }

    /// What happened to one file.
    public enum StoreOutcome: Sendable, Equatable {
        case stored(RevisionRecord)
        case unchanged
        case failed(MaimoError)
    }

    /// Progress while storing: files and plaintext bytes done so far, of the total.
    public struct StoreProgress: Sendable {
        public var filesDone: Int
        public var filesTotal: Int
        public var bytesDone: UInt64
        public var bytesTotal: UInt64
        public var bytesSent: UInt64
    }

    /// The regular files under `paths` (directories walked recursively), absolute and sorted.
    public static func expand(_ paths: [String]) throws(MaimoError) -> [String] {
        var files: [String] = []
        let manager = FileManager.default
        for path in paths {
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: absolute, isDirectory: &isDirectory) else { throw .usage("\(path): no such file or directory") }
            if !isDirectory.boolValue { files.append(absolute); continue }
            guard let walker = manager.enumerator(atPath: absolute) else { throw .io("\(path): cannot list the directory") }
            while let relative = walker.nextObject() as? String {
                let full = absolute + "/" + relative
                var info = stat()
                if lstat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { files.append(full) }
            }
        }
        return Array(Set(files)).sorted()
    }

    /// Stores files and trees: each changed file becomes a new revision on `copies` peers.
    public func store(_ paths: [String], options: StoreOptions = StoreOptions(),
                      progress: @escaping @Sendable (StoreProgress) -> Void = { _ in }) throws(MaimoError) -> [(String, StoreOutcome)] {
        let files = try Self.expand(paths)
        var peerNames = options.peers ?? []
        if options.peers == nil { peerNames = try catalogue.peers().map(\.name) }
        let candidates = peerNames
        for name in candidates where try catalogue.peer(named: name) == nil { throw .usage("no peer named \(name)") }
        guard candidates.count >= options.copies, options.copies >= 1 else {
            throw .usage("\(options.copies) copies asked for, \(candidates.count) peer(s) known (see `maimo peer add`)")
        }
        let dictionary: ZstdDictionary?
        if let id = options.dictionaryID {
            guard let bytes = try catalogue.dictionary(id: id) else { throw .usage("no dictionary \(id) in the catalogue") }
            do { dictionary = try ZstdDictionary(bytes) } catch { throw .home("dictionary \(id): \(error)") }
        } else {
            dictionary = nil
        }
        var sizes: [UInt64] = []
        for file in files {
            var info = stat()
            sizes.append(stat(file, &info) == 0 ? UInt64(info.st_size) : 0)
        }
        let state = StoreState(count: files.count, bytesTotal: sizes.reduce(0, +))
        let fileSizes = sizes
        let workers = max(1, min(options.concurrency, files.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let sessions = Sessions(client: self)
            defer { sessions.closeAll() }
            while let index = state.next() {
                let result = Result { () throws(MaimoError) -> StoreOutcome in
                    try storeOne(files[index], candidates: candidates, options: options, dictionary: dictionary,
                                 sessions: sessions) { sent in progress(state.sent(sent)) }
                }
                let outcome: StoreOutcome
                switch result {
                case .success(let value): outcome = value
                case .failure(let error): outcome = .failed(error)
                }
                progress(state.finished(index, outcome, size: fileSizes[index]))
            }
        }
        return zip(files, state.outcomes).map { ($0, $1 ?? .failed(.io("not stored"))) }
    }

    final class StoreState: @unchecked Sendable {
        let lock = NSLock()
        var nextIndex = 0
        var outcomes: [StoreOutcome?]
        var progress: StoreProgress

        init(count: Int, bytesTotal: UInt64) {
            outcomes = Array(repeating: nil, count: count)
            progress = StoreProgress(filesDone: 0, filesTotal: count, bytesDone: 0, bytesTotal: bytesTotal, bytesSent: 0)
        }

        func next() -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard nextIndex < outcomes.count else { return nil }
            nextIndex += 1
            return nextIndex - 1
        }

        func sent(_ bytes: UInt64) -> StoreProgress {
            lock.lock()
            defer { lock.unlock() }
            progress.bytesSent += bytes
            return progress
        }

        func finished(_ index: Int, _ outcome: StoreOutcome, size: UInt64) -> StoreProgress {
            lock.lock()
            defer { lock.unlock() }
            outcomes[index] = outcome
            progress.filesDone += 1
            progress.bytesDone += size
            return progress
        }
    }

    func storeOne(_ path: String, candidates: [String], options: StoreOptions, dictionary: ZstdDictionary?,
                  sessions: Sessions, sent: (UInt64) -> Void) throws(MaimoError) -> StoreOutcome {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .io("\(path): \(String(cString: strerror(errno)))") }
        let mtime = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        let ctime = Double(info.st_ctim.tv_sec) + Double(info.st_ctim.tv_nsec) / 1e9
        let existing = try catalogue.revisions(of: path)
        if let latest = existing.last, latest.size == UInt64(info.st_size), latest.mtime == mtime, latest.ctime == ctime,
           latest.peers.count >= options.copies {
            return .unchanged
        }
        let revisionID = MasterKeyring.newRevisionID()
        let key = home.keyring.revisionKey(revisionID)
        var pipelineOptions = Pipeline.Options()
        pipelineOptions.level = options.level
        pipelineOptions.pad = options.pad
        pipelineOptions.dictionary = dictionary
        let sealed = try Pipeline.seal(path: path, key: key, options: pipelineOptions, workDirectory: home.workDirectory)
        var descriptor: Int32 = -1
        if let encodingPath = sealed.encodingPath {
            descriptor = open(encodingPath, O_RDONLY | O_CLOEXEC)
            unlink(encodingPath)
            guard descriptor >= 0 else { throw .io("reopening the encoding: \(String(cString: strerror(errno)))") }
        }
        defer { if descriptor >= 0 { close(descriptor) } }
        // Upload to peers in order until `copies` acknowledged.
        var acknowledged: [String: Double] = [:]
        var failures: [String] = []
        for peer in candidates where acknowledged.count < options.copies {
            var reported: UInt64 = 0
            do {
                try sessions.with(peer, attempts: attempts) { (session) throws(MaimoError) in
                    let progress = { (done: UInt64) in
                        if done > reported { sent(done - reported); reported = done }
                    }
                    if let encoding = sealed.encoding {
                        try session.put(root: sealed.root, encoding: encoding, progress: progress)
                    } else {
                        try session.put(root: sealed.root, from: descriptor, length: sealed.encodingLength, progress: progress)
                    }
                }
                acknowledged[peer] = Date().timeIntervalSince1970
            } catch {
                failures.append("\(peer): \(error)")
            }
        }
        guard acknowledged.count >= options.copies else {
            // Nothing is recorded; copies that did land are removed so that nothing is stored
            // that the catalogue does not know.
            for peer in acknowledged.keys {
                _ = try? sessions.with(peer, attempts: attempts) { (session) throws(MaimoError) in try session.delete(root: sealed.root) }
            }
            throw .usage("\(path): stored on \(acknowledged.count) of \(options.copies) peer(s): " + failures.joined(separator: "; "))
        }
        let record = RevisionRecord(
            path: path, revision: (existing.last?.revision ?? 0) + 1, size: sealed.plaintextLength, mtime: mtime, ctime: ctime,
            mode: UInt32(info.st_mode & 0o7777), plaintextHash: sealed.plaintextHash.description,
            compressedLength: sealed.compressedLength, ciphertextLength: sealed.ciphertextLength,
            encodingLength: sealed.encodingLength, root: sealed.root.description, keyID: hexString(home.keyring.keyID),
            revisionID: hexString(revisionID), dictionaryID: dictionary?.id, level: options.level,
            storedAt: Date().timeIntervalSince1970, peers: acknowledged)
        try catalogue.putRevision(record)
        // Prune: the oldest revisions beyond the count go, at their providers first.
        let all = existing + [record]
        if all.count > options.keepRevisions {
            for old in all.prefix(all.count - max(1, options.keepRevisions)) {
                try? deleteRevision(old, sessions: sessions)
            }
        }
        if options.removeLocal {
            // Only a file still as it was stored is removed.
            var now = stat()
            if stat(path, &now) == 0, now.st_size == info.st_size, now.st_mtim.tv_sec == info.st_mtim.tv_sec,
               now.st_mtim.tv_nsec == info.st_mtim.tv_nsec {
                unlink(path)
            }
        }
        return .stored(record)
    }

    /// Deletes a revision at every provider that holds it, then (only when all acknowledged)
    /// from the catalogue.
    func deleteRevision(_ record: RevisionRecord, sessions: Sessions) throws(MaimoError) {
        let root: Blake3.Digest
        do { root = try Blake3.Digest(hex: record.root) } catch { throw .home("\(record.path): bad root in the catalogue") }
        var remaining = record
        for peer in record.peers.keys.sorted() {
            do {
                _ = try sessions.with(peer, attempts: attempts) { (session) throws(MaimoError) in try session.delete(root: root) }
                remaining.peers[peer] = nil
            } catch {
                continue
            }
        }
        if remaining.peers.isEmpty {
            try catalogue.deleteRevision(path: record.path, revision: record.revision)
        } else {
            try catalogue.putRevision(remaining)
            throw .io("\(record.path) revision \(record.revision): not deleted at \(remaining.peers.keys.sorted().joined(separator: ", "))")
        }
    }

    // MARK: Remove

    /// Removes a path's revisions (or one of them) at the providers and from the catalogue.
    public func remove(_ path: String, revision: UInt64? = nil) throws(MaimoError) -> Int {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var records = try catalogue.revisions(of: absolute)
        if let revision { records = records.filter { $0.revision == revision } }
        guard !records.isEmpty else { throw .usage("\(path): not in the catalogue" + (revision.map { " at revision \($0)" } ?? "")) }
        let sessions = Sessions(client: self)
        defer { sessions.closeAll() }
        for record in records { try deleteRevision(record, sessions: sessions) }
        return records.count
    }

    // MARK: Verify

    public static let sliceLength: UInt64 = 4096

    /// Proves that providers still hold the latest revision of each path (all paths when
    /// empty): `samples` random 4 KiB Bao slices at CSPRNG offsets, each verified against the
    /// root kept locally. A blob with fewer slices than `samples` is checked whole.
    /// Proofs run `concurrency` at a time (each worker with its own sessions); results come back
    /// in path order.
    public func verify(_ paths: [String] = [], samples: Int, loss: Double = 0.01, concurrency: Int = 4) throws(MaimoError) -> [ProofRecord] {
        var latest: [RevisionRecord] = []
        let all = try catalogue.allRevisions()
        if paths.isEmpty {
            var byPath: [String: RevisionRecord] = [:]
            for record in all { byPath[record.path] = record }
            latest = byPath.values.sorted { $0.path < $1.path }
        } else {
            for path in paths {
                let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
                let matching = all.filter { $0.path == absolute || $0.path.hasPrefix(absolute + "/") }
                guard !matching.isEmpty else { throw .usage("\(path): not in the catalogue") }
                var byPath: [String: RevisionRecord] = [:]
                for record in matching { byPath[record.path] = record }
                latest += byPath.values.sorted { $0.path < $1.path }
            }
        }
        let work = latest.flatMap { record in record.peers.keys.sorted().map { (record, $0) } }
        let state = StoreState(count: work.count, bytesTotal: 0)
        let proofs = Slots<ProofRecord>(count: work.count)
        DispatchQueue.concurrentPerform(iterations: max(1, min(concurrency, work.count))) { _ in
            let sessions = Sessions(client: self)
            defer { sessions.closeAll() }
            while let index = state.next() {
                proofs.set(index, prove(work[index].0, at: work[index].1, samples: samples, loss: loss, sessions: sessions))
            }
        }
        let results = proofs.all
        for proof in results { try catalogue.addProof(proof) }
        return results
    }

    /// Results of parallel workers, one slot per item.
    final class Slots<Value>: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [Value?]
        init(count: Int) { slots = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ value: Value) { lock.lock(); slots[i] = value; lock.unlock() }
        func get(_ i: Int) -> Value? { lock.lock(); defer { lock.unlock() }; return slots[i] }
        var all: [Value] { lock.lock(); defer { lock.unlock() }; return slots.compactMap { $0 } }
    }

    func prove(_ record: RevisionRecord, at peer: String, samples: Int, loss: Double, sessions: Sessions) -> ProofRecord {
        var proof = ProofRecord(path: record.path, revision: record.revision, root: record.root, peer: peer,
                                time: Date().timeIntervalSince1970, outcome: .ok, samples: 0, failures: 0,
                                missProbability: 1, loss: loss, detail: nil, bytes: 0)
        guard let root = try? Blake3.Digest(hex: record.root) else {
            proof.outcome = .failed
            proof.detail = "bad root in the catalogue"
            return proof
        }
        let starts = Self.sliceStarts(length: record.ciphertextLength, samples: samples)
        do {
            let (failures, bytes) = try sessions.with(peer, attempts: attempts) { (session) throws(MaimoError) -> (Int, Int) in
                try Self.checkSlices(session, root: root, starts: starts)
            }
            proof.bytes = bytes
            proof.samples = starts.count
            proof.failures = failures
            proof.outcome = failures == 0 ? .ok : .failed
            let covered = UInt64(starts.count) * Self.sliceLength >= record.ciphertextLength
            proof.missProbability = covered ? 0 : ProofPlan.missProbability(samples: starts.count, loss: loss)
            if failures > 0 { proof.detail = "\(failures) of \(starts.count) slices failed verification" }
        } catch {
            switch error {
            case .refused(.notFound, _):
                proof.outcome = .failed
                proof.failures = starts.count
                proof.detail = "the provider does not have the blob"
            case .io:
                proof.outcome = .unreachable
                proof.detail = error.description
            default:
                proof.outcome = .failed
                proof.detail = error.description
            }
        }
        return proof
    }

    /// Slice starts for a proof: distinct 4 KiB-aligned offsets drawn with the system CSPRNG, or
    /// every one when there are no more than `samples`.
    static func sliceStarts(length: UInt64, samples: Int) -> [UInt64] {
        let count = max(1, (length + sliceLength - 1) / sliceLength)
        if UInt64(samples) >= count { return (0..<count).map { $0 * sliceLength } }
        var generator = SystemRandomNumberGenerator()
        var chosen = Set<UInt64>()
        while chosen.count < samples { chosen.insert(UInt64.random(in: 0..<count, using: &generator)) }
        return chosen.map { $0 * sliceLength }.shuffled(using: &generator)
    }

    /// Asks for every slice (16 requests in flight) and verifies each; returns how many failed
    /// and how many slice bytes arrived.
    static func checkSlices(_ session: ProviderClient, root: Blake3.Digest, starts: [UInt64]) throws(MaimoError) -> (Int, Int) {
        var failures = 0, bytes = 0
        try session.slices(root: root, starts: starts, count: sliceLength, window: 16) { start, slice in
            bytes += slice.count
            do {
                _ = try Bao.decodeSlice(slice, hash: root, start: start, count: sliceLength)
            } catch {
                failures += 1
            }
        }
        return (failures, bytes)
    }
}
