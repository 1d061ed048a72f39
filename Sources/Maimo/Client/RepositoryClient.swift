#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MaimoBlake3
import MaimoRepository
import MaimoZstd
import MaimoWire

/// The client of repository version 2 (Docs/Repository.md) over a home: the repository lives at
/// one peer (the `peer` setting, fixed by the first store or recover), the local index in the
/// catalogue. This is what `maimo store`, `retrieve`, `ls`, `verify`, `recover`, `forget` and
/// `prune` call.
public final class RepositoryClient: @unchecked Sendable {
    /// The node's home.
    public let home: MaimoHome
    /// The Tor SOCKS port for onion peers, if any.
    public let tor: TorConfiguration?
    /// Which sockets may be opened to reach the peers (``NetworkPolicy``).
    public let network: NetworkPolicy
    /// The repository index in the catalogue.
    public let index: CatalogueIndex

    /// A client for the repository of `home`.
    /// - Parameters:
    /// - home: the node's home directory.
    /// - tor: the Tor SOCKS port for onion peers.
    /// - network: which sockets may be opened.
    public init(home: MaimoHome, tor: TorConfiguration? = nil, network: NetworkPolicy = .loopbackOrTor) {
        self.home = home
        self.tor = tor
        self.network = network
        index = CatalogueIndex(catalogue: home.catalogue)
    }

    var catalogue: Catalogue { home.catalogue }

    // MARK: Peers

    /// Adds a provider under `name`: its node ID (onion address) and where to reach it (the
    /// onion address itself, or host:port). With `allowClearnet` the peer may be reached over
    /// plain TCP off this machine by every later command.
    public func addPeer(name: String, nodeID: NodeID, address: String? = nil, allowClearnet: Bool = false) throws(MaimoError) {
        guard !name.isEmpty, !name.contains("/") else { throw .usage("a peer name must be non-empty, without slashes") }
        let where_ = try PeerAddress(address ?? nodeID.description)
        try catalogue.addPeer(PeerRecord(name: name, nodeID: nodeID, address: where_.description, added: Date().timeIntervalSince1970,
                                         clearnet: allowClearnet ? true : nil))
    }

    /// A session with the named peer.
    public func connect(peer name: String) throws(MaimoError) -> ProviderClient {
        guard let peer = try catalogue.peer(named: name) else { throw .usage("no peer named \(name) (see `maimo peer add`)") }
        return try ProviderClient(address: try PeerAddress(peer.address), provider: peer.nodeID,
                                  identity: home.identity, tor: tor, network: network.applied(to: peer), timeout: 60)
    }

    /// A peer and what it said to `STAT`.
    public struct PeerStatus: Sendable {
        /// The peer.
        public var peer: PeerRecord
        /// Its answer, when it was reached.
        public var usage: ProviderUsage?
        /// Why it was not reached.
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

    /// The regular files under `paths` (directories walked, symlinks not followed), absolute and sorted.
    public static func regularFiles(under paths: [String]) throws(MaimoError) -> [String] {
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

    /// The peer holding the repository: the `peer` setting, else `requested`, else the first peer
    /// by name. A store or recover fixes it.
    public func repositoryPeer(_ requested: String? = nil) throws(MaimoError) -> PeerRecord {
        let peers = try catalogue.peers()
        if let fixed = try catalogue.setting("peer"), !fixed.isEmpty {
            if let requested, requested != fixed {
                throw .usage("the repository's first peer is \(fixed); the other peers hold copies or shares by its redundancy (`maimo config redundancy`)")
            }
            guard let peer = peers.first(where: { $0.name == fixed }) else { throw .home("the repository's peer \(fixed) is no longer known") }
            return peer
        }
        if let requested {
            guard let peer = peers.first(where: { $0.name == requested }) else { throw .usage("no peer named \(requested) (see `maimo peer add`)") }
            return peer
        }
        guard let first = peers.sorted(by: { $0.name < $1.name }).first else { throw .usage("no peer to store on (see `maimo peer add`)") }
        return first
    }

    /// The repository on every peer: `peer` first (it holds single copies), then the others by
    /// name, placing new blobs by `redundancy` (default: the `redundancy` setting, else one copy).
    /// Sessions are closed by ``close()``; `sessions` are opened in the background at once, at
    /// each peer new blobs go to, for work that will need that many.
    public func repository(at peer: PeerRecord, redundancy: Redundancy? = nil, sessions: Int = 0) throws(MaimoError) -> Repository {
        let policy: Redundancy
        if let redundancy { policy = redundancy } else { policy = try configuredRedundancy() }
        let others = try catalogue.peers().filter { $0.name != peer.name }.sorted { $0.name < $1.name }
        var providers: [BlobFleet.Provider] = []
        for (i, record) in ([peer] + others).enumerated() {
            let store = try blobStore(record)
            if sessions > 0 && i < policy.shareCount { store.prepare(sessions: sessions) }
            providers.append(BlobFleet.Provider(name: record.name, store: store))
        }
        return Repository(keys: home.keys, providers: providers, redundancy: policy, index: index,
                          dictionaries: CatalogueDictionaries(catalogue: catalogue))
    }

    /// The repository's redundancy setting (`maimo config redundancy`), or one copy.
    public func configuredRedundancy() throws(MaimoError) -> Redundancy {
        guard let text = try catalogue.setting("redundancy"), !text.isEmpty else { return .single }
        do { return try Redundancy(parsing: text) } catch { throw .home("the redundancy setting: \(error)") }
    }

    /// Sets the repository's redundancy for later stores (and `repair`'s target).
    public func setRedundancy(_ redundancy: Redundancy) throws(MaimoError) {
        let peers = try catalogue.peers().count
        guard redundancy.shareCount <= peers else {
            throw .usage("redundancy \(redundancy) needs \(redundancy.shareCount) peers; this home has \(peers) (see `maimo peer add`)")
        }
        try catalogue.setSetting("redundancy", redundancy.description)
    }

    /// One blob store (one pool of sessions) per peer for the life of this client: a store,
    /// a verify and a retrieve in a row reuse the sessions the first one opened.
    func blobStore(_ peer: PeerRecord) throws(MaimoError) -> ProviderBlobStore {
        let key = peer.name + " " + peer.address + " " + peer.nodeID.description
        if let existing = stores[key] { return existing }
        let store = ProviderBlobStore(address: try PeerAddress(peer.address), provider: peer.nodeID,
                                      identity: home.identity, tor: tor, network: network.applied(to: peer))
        stores[key] = store
        return store
    }

    private var stores: [String: ProviderBlobStore] = [:]

    /// Closes the sessions and the home.
    public func close() {
        for store in stores.values { store.close() }
        stores = [:]
    }

    func mapped<T>(_ body: () throws(RepositoryError) -> T) throws(MaimoError) -> T {
        do { return try body() } catch {
            switch error {
            case .usage(let message): throw .usage(message)
            case .integrity(let message): throw .integrity(message)
            case .io, .malformed, .recoveryCode: throw .home("\(error)")
            case .unreachable(let message), .interrupted(let message): throw .network(message)
            case .store(let message), .missing(let message): throw .io(message)
            }
        }
    }

    // MARK: Store

    /// How ``store(_:options:progress:)`` stores.
    public struct StoreOptions: Sendable {
        /// The peer to store on (nil: the repository's peer, or the first).
        public var peer: String?
        /// How this run places its blobs (nil: the `redundancy` setting, else one copy).
        public var redundancy: Redundancy?
        /// The zstd level of packed data.
        public var level = 3
        /// The catalogue's zstd dictionary to compress with, if any.
        public var dictionaryID: UInt32?
        /// Pad blobs with Padmé so that their sizes reveal less.
        public var pad = true
        /// The largest pack, in bytes.
        public var packSize = 16 << 20
        /// The first pack's size; each next one doubles, up to ``packSize``.
        public var firstPackSize = 2 << 20
        /// Packs uploaded at once.
        public var uploads = 2
        /// Snapshots of the same paths to keep (older ones are forgotten; `prune` frees them).
        public var keep: Int?
        /// Delete each stored file afterwards if it is still as it was read.
        public var removeLocal = false
        /// The defaults: level 3, padded 16 MiB packs, two uploads.
        public init() {}
    }

    /// What ``store(_:options:progress:)`` did.
    public struct StoreResult: Sendable {
        /// The repository's report of the store.
        public var report: Repository.StoreReport
        /// Snapshots forgotten by ``StoreOptions/keep``.
        public var forgotten: Int
        /// Local files removed by ``StoreOptions/removeLocal``.
        public var removed: Int
        /// The peer stored on (the one holding single copies).
        public var peer: String
        /// How the run placed its blobs.
        public var redundancy: Redundancy
    }

    /// Stores `paths` as one snapshot on the peer, reporting progress as it goes.
    public func store(_ paths: [String], options: StoreOptions = StoreOptions(),
                      progress: @escaping @Sendable (Repository.StoreProgress) -> Void = { _ in }) throws(MaimoError) -> StoreResult {
        let peer = try repositoryPeer(options.peer)
        var run = Repository.StoreOptions()
        run.level = options.level
        run.pad = options.pad
        run.packSize = options.packSize
        run.firstPackSize = options.firstPackSize
        run.uploads = options.uploads
        if let id = options.dictionaryID {
            guard let bytes = try catalogue.dictionary(id: id) else { throw .usage("no dictionary \(id) in the catalogue") }
            do { run.dictionary = try RepositoryDictionary(bytes: bytes) } catch { throw .home("dictionary \(id): \(error)") }
        }
        let repository = try repository(at: peer, redundancy: options.redundancy, sessions: run.uploads)
        let report = try mapped { () throws(RepositoryError) in try repository.store(paths, options: run, progress: progress) }
        try catalogue.setSetting("peer", peer.name)
        var forgotten = 0
        if let keep = options.keep {
            let same = try mapped { () throws(RepositoryError) in try repository.snapshots() }
                .filter { $0.snapshot.paths == report.snapshot.snapshot.paths && $0.snapshot.host == report.snapshot.snapshot.host }
            let drop = try mapped { () throws(RepositoryError) in try ForgetPolicy(last: max(1, keep)).apply(to: same).forget }
            forgotten = try mapped { () throws(RepositoryError) in try repository.forget(drop) }
        }
        var removed = 0
        if options.removeLocal {
            removed = try removeStoredFiles(report.snapshot.snapshot, repository: repository)
        }
        return StoreResult(report: report, forgotten: forgotten, removed: removed, peer: peer.name, redundancy: repository.fleet.redundancy)
    }

    /// Deletes the regular files of a snapshot that are still as they were stored (size, mtime
    /// and inode as the tree recorded them).
    func removeStoredFiles(_ snapshot: Snapshot, repository: Repository) throws(MaimoError) -> Int {
        var removed = 0
        func walk(_ id: ItemID, _ path: String) throws(RepositoryError) {
            for entry in try repository.tree(id).entries {
                let full = (path == "/" ? "" : path) + "/" + entry.nameText
                switch entry.content {
                case let .directory(sub): try walk(sub, full)
                case let .file(size, _):
                    guard snapshot.paths.contains(where: { full == $0 || full.hasPrefix($0 + "/") }) else { continue }
                    var info = stat()
                    if lstat(full, &info) == 0, UInt64(info.st_size) == size, UInt64(info.st_ino) == entry.inode,
                       Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec) == entry.mtime, unlink(full) == 0 {
                        removed += 1
                    }
                case .symlink: continue
                }
            }
        }
        try mapped { () throws(RepositoryError) in try walk(snapshot.root, "/") }
        return removed
    }

    // MARK: Retrieve

    /// Restores `path` (absolute) from the newest snapshot holding it, or from `snapshot` (a
    /// prefix of a snapshot blob's root), to `target` (default: the path itself).
    public func retrieve(_ path: String, snapshot: String? = nil, to target: String? = nil,
                         workers: Int = 4, sync: Bool = false) throws(MaimoError) -> Repository.RestoreReport {
        let repository = try repository(at: try repositoryPeer(), sessions: workers)
        let found: (SnapshotRecord, Tree.Entry)?
        if let snapshot {
            let record = try self.snapshot(matching: snapshot)
            found = try mapped { () throws(RepositoryError) in try repository.entry(path, in: record.snapshot) }.map { (record, $0) }
        } else {
            found = try mapped { () throws(RepositoryError) in try repository.find(path) }
        }
        guard let (_, entry) = found else { throw .usage("\(path): not in \(snapshot.map { "snapshot \($0)" } ?? "any snapshot")") }
        return try mapped { () throws(RepositoryError) in try repository.restore(entry, to: target ?? path, workers: workers, sync: sync) }
    }

    /// Every snapshot, oldest first.
    public func snapshots() throws(MaimoError) -> [SnapshotRecord] { try mapped { () throws(RepositoryError) in try index.snapshots() } }

    /// The snapshot whose blob root starts with `prefix`.
    public func snapshot(matching prefix: String) throws(MaimoError) -> SnapshotRecord {
        let matches = try snapshots().filter { $0.blob.description.hasPrefix(prefix.lowercased()) }
        guard matches.count == 1, let match = matches.first else {
            throw .usage(matches.isEmpty ? "no snapshot \(prefix)" : "\(prefix) names \(matches.count) snapshots: give more of it")
        }
        return match
    }

    /// The entries under `path` in the newest snapshot holding it: (path, entry), depth first.
    public func list(_ path: String) throws(MaimoError) -> [(String, Tree.Entry)] {
        let repository = try repository(at: try repositoryPeer())
        guard let (_, entry) = try mapped({ () throws(RepositoryError) in try repository.find(path) }) else {
            throw .usage("\(path): not in any snapshot")
        }
        var out: [(String, Tree.Entry)] = []
        func walk(_ entry: Tree.Entry, _ path: String) throws(RepositoryError) {
            out.append((path, entry))
            if case let .directory(id) = entry.content {
                for child in try repository.tree(id).entries { try walk(child, (path == "/" ? "" : path) + "/" + child.nameText) }
            }
        }
        try mapped { () throws(RepositoryError) in try walk(entry, path) }
        return out
    }

    // MARK: Recover, verify, forget, prune

    /// Rebuilds the local index from the blobs at `peer` (default: the repository's peer, or the
    /// first peer).
    public func recover(from peer: String? = nil) throws(MaimoError) -> Repository.RecoverReport {
        let record = try repositoryPeer(peer)
        let repository = try repository(at: record)
        let report = try mapped { () throws(RepositoryError) in try repository.recover() }
        for bytes in report.dictionaries {
            if let dictionary = try? ZstdDictionary(bytes) { try catalogue.putDictionary(id: dictionary.id, bytes: bytes) }
        }
        try catalogue.setSetting("peer", record.name)
        return report
    }

    /// Proves every copy and share at every peer and records each proof in the catalogue.
    public func verify(samples: Int, loss: Double, workers: Int = 4) throws(MaimoError) -> (peer: String, proofs: [Repository.BlobProof]) {
        let peer = try repositoryPeer()
        let repository = try repository(at: peer, sessions: workers)
        let proofs = try mapped { () throws(RepositoryError) in try repository.verify(samples: samples, loss: loss, workers: workers) }
        let now = Date().timeIntervalSince1970
        for proof in proofs {
            try catalogue.addProof(ProofRecord(
                kind: "\(proof.blob.kind)", root: proof.share.root, peer: proof.share.provider, time: now,
                outcome: ProofRecord.Outcome(rawValue: proof.outcome.rawValue) ?? .failed, samples: proof.samples, failures: proof.failures,
                missProbability: proof.missProbability, loss: proof.loss, detail: proof.detail, bytes: proof.bytes))
        }
        return (peer.name, proofs)
    }

    /// How many more providers may fail before `path` is lost, from the proofs given.
    public func confidence(of path: String, proofs: [Repository.BlobProof]) throws(MaimoError) -> Repository.PathConfidence? {
        let repository = try repository(at: try repositoryPeer())
        guard let (record, _) = try mapped({ () throws(RepositoryError) in try repository.find(path) }) else { return nil }
        return try mapped { () throws(RepositoryError) in try repository.confidence(of: path, in: record.snapshot, proofs: proofs) }
    }

    /// Forgets the snapshots `policy` does not keep (or those named); returns them.
    public func forget(policy: ForgetPolicy, snapshots names: [String] = []) throws(MaimoError) -> [SnapshotRecord] {
        let repository = try repository(at: try repositoryPeer())
        if !names.isEmpty {
            var records: [SnapshotRecord] = []
            for name in names { records.append(try snapshot(matching: name)) }
            _ = try mapped { () throws(RepositoryError) in try repository.forget(records) }
            return records
        }
        return try mapped { () throws(RepositoryError) in try repository.forget(policy: policy) }
    }

    /// Frees the space of forgotten snapshots, repacking packs more than `maximumUnused` unused,
    /// and deletes orphaned blobs sealed more than `orphanGrace` seconds ago.
    public func prune(maximumUnused: Double, orphanGrace: Double = 3600) throws(MaimoError) -> Repository.PruneReport {
        let repository = try repository(at: try repositoryPeer())
        return try mapped { () throws(RepositoryError) in try repository.prune(maximumUnused: maximumUnused, orphanGrace: orphanGrace) }
    }
}

/// Dictionaries from the catalogue, for items that name one.
struct CatalogueDictionaries: DictionarySource {
    let catalogue: Catalogue

    func dictionary(id: UInt32) throws(RepositoryError) -> ZstdDictionary? {
        let bytes: [UInt8]?
        do { bytes = try catalogue.dictionary(id: id) } catch { throw .store("the catalogue: \(error)") }
        guard let bytes else { return nil }
        do { return try ZstdDictionary(bytes) } catch { throw .integrity("dictionary \(id) in the catalogue: \(error)") }
    }
}
