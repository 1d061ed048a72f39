import MaimoBao
import MaimoBlake3

/// Where a repository's blobs live: a provider, reached through the engine's sessions, or memory
/// (tests, tools). Implementations are thread-safe: the store and the restore call them from
/// several workers at once. Nothing a blob store returns is trusted: ``BlobReader`` verifies
/// every slice against the root it asked for.
public protocol BlobStore: AnyObject, Sendable {
    /// Stores a blob under its Bao root (the BLAKE3 hash of `content`); returns once the store
    /// holds it durably (a provider checks the hash first, and keeps the Bao tree it serves
    /// slices from).
    func put(root: Blake3.Digest, content: [UInt8]) throws(RepositoryError)
    /// The Bao slice of `count` content bytes from `start` (at most ``maximumSlice``), unverified.
    func slice(root: Blake3.Digest, start: UInt64, count: UInt64) throws(RepositoryError) -> [UInt8]
    /// Every blob held for this client: its root and content length (as the store claims).
    func list() throws(RepositoryError) -> [(root: Blake3.Digest, length: UInt64)]
    /// Deletes a blob (deleting one that is absent is not an error).
    func delete(root: Blake3.Digest) throws(RepositoryError)
    /// Slices of `count` bytes at each of `starts` (unverified), handed to `body` in order as
    /// they arrive; a store on a network keeps several requests in flight.
    func slices(root: Blake3.Digest, starts: [UInt64], count: UInt64,
                _ body: (UInt64, [UInt8]) throws(RepositoryError) -> Void) throws(RepositoryError)
}

extension BlobStore {
    /// One request after the other.
    public func slices(root: Blake3.Digest, starts: [UInt64], count: UInt64,
                       _ body: (UInt64, [UInt8]) throws(RepositoryError) -> Void) throws(RepositoryError) {
        for start in starts { try body(start, try slice(root: root, start: start, count: count)) }
    }

    /// The longest slice one request asks for (the wire protocol's limit).
    public static var maximumSlice: UInt64 { 1 << 20 }
}

/// Blobs in memory, keyed by root, held as a provider holds them: content and the Bao tree
/// pruned to 16 KiB groups. For tests and for tools that build a repository in RAM. Counts the
/// bytes put, so tests can measure deduplication.
public final class MemoryBlobStore: BlobStore, @unchecked Sendable {
    private struct Held { let content: [UInt8]; let tree: [UInt8] }
    private let state = Locked<[Blake3.Digest: Held]>([:])
    private let received = Locked<UInt64>(0)

    /// An empty store.
    public init() {}

    public func put(root: Blake3.Digest, content: [UInt8]) throws(RepositoryError) {
        // Check as a provider would: the content must hash to its root.
        let (tree, hash) = BaoGroupedOutboard.build(content)
        guard hash == root else { throw .store("the blob does not match its root") }
        received.withLock { $0 += UInt64(content.count) }
        state.withLock { $0[root] = Held(content: content, tree: tree) }
    }

    public func slice(root: Blake3.Digest, start: UInt64, count: UInt64) throws(RepositoryError) -> [UInt8] {
        guard let held = state.withLock({ $0[root] }) else { throw .missing("no blob \(root.description.prefix(16))") }
        let source = BaoGroupedSource(data: BaoBufferSource(held.content), tree: BaoBufferSource(held.tree),
                                      contentLength: UInt64(held.content.count))
        do { return try Bao.slice(from: source, start: start, count: count) } catch { throw .store("slicing \(root): \(error)") }
    }

    public func list() throws(RepositoryError) -> [(root: Blake3.Digest, length: UInt64)] {
        state.withLock { blobs in
            blobs.map { ($0.key, UInt64($0.value.content.count)) }
                .sorted { $0.0.bytes.lexicographicallyPrecedes($1.0.bytes) }
        }
    }

    public func delete(root: Blake3.Digest) throws(RepositoryError) {
        _ = state.withLock { $0.removeValue(forKey: root) }
    }

    /// Bytes of blobs received so far.
    public var bytesReceived: UInt64 { received.current }
    /// Bytes of content held now.
    public var bytesHeld: UInt64 { state.withLock { $0.values.reduce(0) { $0 + UInt64($1.content.count) } } }
    /// Blobs held now.
    public var count: Int { state.withLock { $0.count } }

    /// Test hooks: a blob's content, and replacing it (nil: dropping it) as a dishonest provider
    /// would, with a tree made from the new bytes, so that its slices are consistent with
    /// themselves and only the client's root catches the swap.
    public func content(_ root: Blake3.Digest) -> [UInt8]? { state.withLock { $0[root]?.content } }
    /// Replaces a blob's content (nil: drops it), as a dishonest provider would.
    public func replace(_ root: Blake3.Digest, with content: [UInt8]?) {
        let held = content.map { Held(content: $0, tree: BaoGroupedOutboard.build($0).tree) }
        state.withLock { $0[root] = held }
    }
}
