import Foundation
import MaimoBlake3
import MaimoIndex

/// A provider the client stores on.
public struct PeerRecord: Codable, Sendable, Equatable {
    /// The name the user gave the peer (`maimo peer add NAME …`).
    public var name: String
    /// The provider's node ID (stored as its onion address).
    public var nodeID: NodeID
    /// Where it is reached: `host:port`, an onion address or a loopback one.
    public var address: String
    /// When it was added, in seconds since 1970.
    public var added: Double
    /// The user allowed plain TCP off this machine to this peer (`maimo peer add --allow-clearnet`).
    public var clearnet: Bool?

    /// A peer record with the given fields.
    public init(name: String, nodeID: NodeID, address: String, added: Double, clearnet: Bool? = nil) {
        self.name = name
        self.nodeID = nodeID
        self.address = address
        self.added = added
        self.clearnet = clearnet
    }
}

/// The outcome of one proof of storage of one blob at one peer.
public struct ProofRecord: Codable, Sendable, Equatable {
    /// What a proof found.
    public enum Outcome: String, Codable, Sendable {
        /// Every slice verified.
        case ok
        /// A slice failed to verify, or the provider broke off mid-proof.
        case failed
        /// The provider could not be reached before the proof began.
        case unreachable
    }
    /// The blob's kind: pack, index or snapshot.
    public var kind: String
    /// The blob's Bao root (stored as hex).
    public var root: Blake3.Digest
    /// The peer's name.
    public var peer: String
    /// When the proof ran, in seconds since 1970.
    public var time: Double
    /// What the proof found.
    public var outcome: Outcome
    /// Slices asked for.
    public var samples: Int
    /// Slices that failed to verify or never came.
    public var failures: Int
    /// The chance that a loss of `loss` went unnoticed (0 when every slice was checked).
    public var missProbability: Double
    /// The fraction of the blob whose loss the proof rules out with ``missProbability``.
    public var loss: Double
    /// What went wrong, when something did.
    public var detail: String?
    /// Bytes of slices received for this proof (the cost of the proof on the wire, payloads only).
    public var bytes: Int?

    /// A proof record with the given fields.
    public init(kind: String, root: Blake3.Digest, peer: String, time: Double, outcome: Outcome, samples: Int, failures: Int,
                missProbability: Double, loss: Double, detail: String? = nil, bytes: Int? = nil) {
        (self.kind, self.root, self.peer, self.time, self.outcome) = (kind, root, peer, time, outcome)
        (self.samples, self.failures, self.missProbability, self.loss, self.detail, self.bytes) = (samples, failures, missProbability, loss, detail, bytes)
    }
}

/// The client's catalogue in a MaimoIndex database: peers, proofs, dictionaries, settings, and
/// the repository's local index (``CatalogueIndex``). Every change is one committed transaction.
public final class Catalogue: @unchecked Sendable {
    let database: IndexDatabase
    static let tables = ["peers", "proofs", "dictionaries", "settings"] + CatalogueIndex.tables

    /// Opens the catalogue at `path`, creating it and its tables when missing.
    public init(path: String) throws(MaimoError) {
        do {
            // 4,096 decoded pages (16 MiB of 4 KiB pages): the chunk index of a 10 GiB tree is
            // a few MiB, and the client's memory stays bounded whatever the repository's size.
            var options = IndexDatabase.Options()
            options.cachePages = 4096
            database = try IndexDatabase(path: path, options: options)
            let existing = Set(try database.tables())
            let missing = Self.tables.filter { !existing.contains($0) }
            if !missing.isEmpty {
                try database.write { transaction in
                    for table in missing { try transaction.createTable(table) }
                }
            }
        } catch {
            throw .home("opening the catalogue \(path): \(error)" + Self.advice(error))
        }
    }

    /// What to do about a damaged catalogue: it is a cache of what the providers hold.
    static func advice(_ error: any Error) -> String {
        switch error as? IndexError {
        case .corruptPage?, .badFile?:
            return ". The catalogue is a cache: move it aside, add the peer again (`maimo peer add`) and run `maimo recover` to rebuild it from the provider"
        default:
            return ""
        }
    }

    /// Closes the database.
    public func close() { database.close() }

    func read<T>(_ body: (ReadTransaction) throws -> T) throws(MaimoError) -> T {
        do { return try database.read(body) } catch { throw .home("reading the catalogue: \(error)" + Self.advice(error)) }
    }

    func write<T>(_ body: (WriteTransaction) throws -> T) throws(MaimoError) -> T {
        do { return try database.write(body) } catch { throw .home("writing the catalogue: \(error)" + Self.advice(error)) }
    }

    private func scan<T: Decodable>(_ table: String, prefix: [TupleElement] = [], as type: T.Type) throws(MaimoError) -> [T] {
        try read { transaction in
            var cursor = try transaction.cursor(table)
            var rows: [T] = []
            try cursor.scan(prefix: prefix.isEmpty ? [] : KeyTuple.encode(prefix)) { _, value in
                rows.append(try RecordCoder.decode(T.self, from: value))
                return true
            }
            return rows
        }
    }

    // MARK: Peers

    /// Adds or replaces the peer with this name.
    public func addPeer(_ peer: PeerRecord) throws(MaimoError) {
        try write { try $0.put("peers", key: [.string(peer.name)], record: peer) }
    }

    /// Removes the peer named `name`; false when there was none.
    public func removePeer(named name: String) throws(MaimoError) -> Bool {
        try write { try $0.delete("peers", KeyTuple.encode([.string(name)])) }
    }

    /// Every peer, in name order.
    public func peers() throws(MaimoError) -> [PeerRecord] { try scan("peers", as: PeerRecord.self) }

    /// The peer named `name`, if any.
    public func peer(named name: String) throws(MaimoError) -> PeerRecord? {
        try read { try $0.get("peers", key: [.string(name)], as: PeerRecord.self) }
    }

    // MARK: Proofs

    /// Records the outcome of a proof.
    public func addProof(_ proof: ProofRecord) throws(MaimoError) {
        try write { try $0.put("proofs", key: [.string(proof.root.description), .string(proof.peer), .int(Int64(proof.time * 1000))], record: proof) }
    }

    /// The newest proof of `root` at each peer.
    public func latestProofs(root: Blake3.Digest) throws(MaimoError) -> [String: ProofRecord] {
        var latest: [String: ProofRecord] = [:]
        for proof in try scan("proofs", prefix: [.string(root.description)], as: ProofRecord.self) where proof.root == root {
            if (latest[proof.peer]?.time ?? -1) <= proof.time { latest[proof.peer] = proof }
        }
        return latest
    }

    /// Every proof recorded.
    public func allProofs() throws(MaimoError) -> [ProofRecord] { try scan("proofs", as: ProofRecord.self) }

    // MARK: Dictionaries and settings

    /// Stores a zstd dictionary under its ID.
    public func putDictionary(id: UInt32, bytes: [UInt8]) throws(MaimoError) {
        try write { try $0.put("dictionaries", KeyTuple.encode([.uint(UInt64(id))]), bytes) }
    }

    /// The dictionary with this ID, if stored.
    public func dictionary(id: UInt32) throws(MaimoError) -> [UInt8]? {
        try read { try $0.get("dictionaries", KeyTuple.encode([.uint(UInt64(id))])) }
    }

    /// The value of setting `name`, if set.
    public func setting(_ name: String) throws(MaimoError) -> String? {
        try read { try $0.get("settings", key: [.string(name)], as: String.self) }
    }

    /// Sets setting `name` to `value`.
    public func setSetting(_ name: String, _ value: String) throws(MaimoError) {
        try write { try $0.put("settings", key: [.string(name)], record: value) }
    }
}
