import Crypto
import Foundation
import MaimoBao
import MaimoBlake3
import MaimoRepository

extension NodeIdentity {
    /// The client identity a repository's root secret derives (Docs/Repository.md §1): the same
    /// node ID, hence the same blobs at every provider, after `init --recover`.
    public init(repositoryKeys keys: RepositoryKeys) {
        // derive_key gives 32 bytes: always an Ed25519 seed.
        self.init(signingKey: try! Curve25519.Signing.PrivateKey(rawRepresentation: keys.identitySeed))
    }
}

/// A repository's blob store at one provider, over the wire protocol: sessions are opened on
/// demand and pooled, so that the store's and the restore's workers each use their own; a
/// broken connection is retried (an upload resumes from what the provider staged).
public final class ProviderBlobStore: BlobStore, @unchecked Sendable {
    /// Where the provider is reached.
    public let address: PeerAddress
    /// The provider's node ID, checked in every handshake.
    public let provider: NodeID
    let identity: NodeIdentity
    let tor: TorConfiguration?
    let network: NetworkPolicy
    /// Seconds a session waits for a reply.
    public var timeout: Double = 60
    /// Tries of an operation whose connection broke.
    public var attempts = 3
    private let pool = NSLock()
    private var idle: [ProviderClient] = []
    private var closed = false
    private let counters = NSLock()
    private var sent: UInt64 = 0

    /// A store at the provider `provider` reached at `address`.
    /// - Parameters:
    /// - address: where to connect.
    /// - provider: the provider's node ID.
    /// - identity: the client's identity, proven to the provider.
    /// - tor: the SOCKS port for onion addresses (nil: none).
    /// - network: which sockets may be opened.
    public init(address: PeerAddress, provider: NodeID, identity: NodeIdentity, tor: TorConfiguration? = nil,
                network: NetworkPolicy = .loopbackOrTor) {
        self.address = address
        self.provider = provider
        self.identity = identity
        self.tor = tor
        self.network = network
    }

    deinit { close() }

    /// Closes the idle sessions (and those ``prepare(sessions:)`` still opens).
    public func close() {
        pool.lock()
        let sessions = idle
        idle = []
        closed = true
        pool.unlock()
        for session in sessions { session.close() }
    }

    /// Opens up to `count` sessions in the background, so that the first requests of a run
    /// find them ready: over Tor a stream and a handshake cost several round trips (about 0.5 s
    /// on the private network), which would otherwise come before the first upload. A session
    /// that cannot be opened is simply not there; the request that needs it opens its own.
    public func prepare(sessions count: Int) {
        pool.lock()
        let wanted = max(0, min(count, 16) - idle.count)
        pool.unlock()
        for _ in 0..<wanted {
            let thread = Thread { [self] in
                guard let session = try? ProviderClient(address: address, provider: provider, identity: identity, tor: tor, network: network, timeout: timeout) else { return }
                checkin(session)
            }
            thread.start()
        }
    }

    /// Encoding bytes uploaded so far through this store.
    public var bytesSent: UInt64 {
        counters.lock()
        defer { counters.unlock() }
        return sent
    }

    func withSession<T>(_ what: String, attempts: Int? = nil, reading: Bool = false,
                        _ body: (ProviderClient) throws(MaimoError) -> T) throws(RepositoryError) -> T {
        let attempts = attempts ?? self.attempts
        var attempt = 0
        while true {
            attempt += 1
            var session: ProviderClient?
            do throws(MaimoError) {
                let taken = try takeSession().session
                session = taken
                let result = try body(taken)
                checkin(taken)
                return result
            } catch {
                session?.close()
                var retry = false
                if case .network = error { retry = true }
                if case .refused(.busy, _) = error { retry = true }
                if case .refused(.notFound, _) = error { throw .missing("\(what) at \(address): the provider does not have it") }
                // A provider that answers reads of a blob with a refusal does not hold it intact.
                if reading, case let .refused(code, message) = error, code != .busy {
                    throw .missing("\(what) at \(address): the provider cannot serve it (\(code): \(message))")
                }
                guard retry, attempt < attempts else {
                    if case .network = error { throw .unreachable("\(what) at \(address): \(error)") }
                    throw .store("\(what) at \(address): \(error)")
                }
                usleep(UInt32(min(2_000_000, 100_000 << attempt)))
            }
        }
    }

    public func put(root: Blake3.Digest, content: [UInt8]) throws(RepositoryError) {
        try withSession("uploading a blob") { (session) throws(MaimoError) in try session.put(root: root, content: content) }
        counters.lock()
        sent += UInt64(content.count)
        counters.unlock()
    }

    public func slice(root: Blake3.Digest, start: UInt64, count: UInt64) throws(RepositoryError) -> [UInt8] {
        try withSession("reading a blob", reading: true) { (session) throws(MaimoError) in try session.slice(root: root, start: start, count: count) }
    }

    /// Slice requests pipelined on one session: up to 64, and up to 4 MiB of slices, in flight
    /// (over Tor a round trip took 0.17 s: 16 at a time left a proof of 1,375 slices waiting on
    /// latency). A connection that breaks after the handshake is not retried (but for a pooled
    /// session that had gone stale before answering anything): it is
    /// `RepositoryError.interrupted`, which a proof counts against the provider. Only a
    /// provider that cannot be reached or does not complete the handshake is unreachable.
    public func slices(root: Blake3.Digest, starts: [UInt64], count: UInt64,
                       _ body: (UInt64, [UInt8]) throws(RepositoryError) -> Void) throws(RepositoryError) {
        var bodyError: RepositoryError?
        var answered = 0
        for attempt in 0..<2 {
            let (session, pooled) = try checkout("proving a blob")
            do throws(MaimoError) {
                try session.slices(root: root, starts: starts, count: count, window: Self.window(sliceLength: count)) { (start, slice) throws(MaimoError) in
                    answered += 1
                    do throws(RepositoryError) { try body(start, slice) } catch {
                        bodyError = error
                        throw .cancelled
                    }
                }
                checkin(session)
                return
            } catch {
                session.close()
                if let bodyError { throw bodyError }
                if case .refused(.notFound, _) = error { throw .missing("proving a blob at \(address): the provider does not have it") }
                if case let .refused(code, message) = error, code != .busy {
                    throw .missing("proving a blob at \(address): the provider cannot serve it (\(code): \(message))")
                }
                if pooled && answered == 0 && attempt == 0 {
                    // The provider may have gone away since the session was pooled: then every
                    // idle session is as stale, and the retry must be a new connection.
                    dropIdleSessions()
                    continue
                }
                throw .interrupted("proving a blob at \(address): the provider completed the handshake, then \(error)")
            }
        }
    }

    /// An idle session, or a new one (`pooled` false).
    private func takeSession() throws(MaimoError) -> (session: ProviderClient, pooled: Bool) {
        pool.lock()
        let idleSession = idle.popLast()
        pool.unlock()
        if let idleSession { return (idleSession, true) }
        return (try ProviderClient(address: address, provider: provider, identity: identity, tor: tor, network: network, timeout: timeout), false)
    }

    /// ``takeSession()``; unreachable is ``RepositoryError/unreachable(_:)``, refused at the
    /// handshake ``RepositoryError/store(_:)``.
    private func checkout(_ what: String) throws(RepositoryError) -> (session: ProviderClient, pooled: Bool) {
        do { return try takeSession() } catch {
            if case .network = error { throw .unreachable("\(what) at \(address): \(error)") }
            throw .store("\(what) at \(address): \(error)")
        }
    }

    /// Closes every idle session.
    private func dropIdleSessions() {
        pool.lock()
        let stale = idle
        idle = []
        pool.unlock()
        for session in stale { session.close() }
    }

    private func checkin(_ session: ProviderClient) {
        pool.lock()
        let keep = !closed && idle.count < 16
        if keep { idle.append(session) }
        pool.unlock()
        if !keep { session.close() }
    }

    static func window(sliceLength: UInt64) -> Int { Int(max(1, min(64, (4 << 20) / max(1, sliceLength)))) }

    public func list() throws(RepositoryError) -> [(root: Blake3.Digest, length: UInt64)] {
        var all: [(root: Blake3.Digest, length: UInt64)] = []
        var after: Blake3.Digest?
        while true {
            let page = try withSession("listing blobs") { (session) throws(MaimoError) in try session.list(after: after, limit: 4096) }
            all += page.map { ($0.root, $0.length) }
            guard page.count == 4096, let last = page.last else { return all }
            after = last.root
        }
    }

    public func delete(root: Blake3.Digest) throws(RepositoryError) {
        _ = try withSession("deleting a blob") { (session) throws(MaimoError) in try session.delete(root: root) }
    }
}
