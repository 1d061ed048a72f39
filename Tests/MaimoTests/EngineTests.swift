#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Maimo
import MaimoBao
import MaimoBlake3
import MaimoRepository
import MaimoTestSupport
import Testing

/// A client home and a provider in temporary directories, the client allowed and the provider
/// added as peer "p1".
final class EngineFixture: @unchecked Sendable {
    let root: String
    let home: MaimoHome
    let client: RepositoryClient
    let provider: TestProvider

    init(quota: UInt64 = .max) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-engine-\(UUID().uuidString)").path
        home = try MaimoHome.create(at: root + "/home")
        client = RepositoryClient(home: home)
        provider = try TestProvider(quota: quota, directory: root + "/provider")
        try provider.allow(home.identity)
        try client.addPeer(name: "p1", nodeID: provider.identity.nodeID, address: provider.address.description)
    }

    func remove() {
        client.close()
        provider.shutdown()
        home.close()
        try? FileManager.default.removeItem(atPath: root)
    }
}

@Suite("engine end to end over loopback")
struct EngineTests {
    /// One damaged chunk of a pack: a proof of `k` of its `n` slices finds it with probability
    /// k/n. Over many proofs the detection rate must match (within 4.5 standard deviations).
    @Test func verifyCatchesDamageWithTheExpectedProbability() throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        var generator = SeededGenerator(seed: 22)
        let path = fixture.root + "/noise.bin"
        try Data(Corpus.make(.noise, count: 64 * 4096 - 200, using: &generator)).write(to: URL(fileURLWithPath: path))
        var options = RepositoryClient.StoreOptions()
        options.pad = false
        _ = try fixture.client.store([path], options: options)
        let repository = try fixture.client.repository(at: try fixture.client.repositoryPeer())
        let pack = try #require(try fixture.client.index.blobs().filter { $0.kind == .pack }.max { $0.length < $1.length })
        let slices = Int((pack.length + 4095) / 4096)
        // The last byte belongs to the last chunk, which only the last slice covers.
        try fixture.provider.store.tamper(client: fixture.home.identity.nodeID, root: pack.root, flipAt: pack.length - 1)
        let all = repository.prove(pack, samples: slices)
        #expect(all.outcome == .failed && all.failures == 1)
        let k = slices / 4, rounds = 160
        var caught = 0
        for _ in 0..<rounds where repository.prove(pack, samples: k).outcome == .failed { caught += 1 }
        let p = Double(k) / Double(slices)
        let sd = (p * (1 - p) / Double(rounds)).squareRoot()
        let rate = Double(caught) / Double(rounds)
        #expect(abs(rate - p) < 4.5 * sd, "caught \(caught) of \(rounds), expected \(p)")
        // A provider that lost the blob entirely fails every proof.
        try fixture.provider.store.tamper(client: fixture.home.identity.nodeID, root: pack.root, truncateTo: 100)
        #expect(repository.prove(pack, samples: 5).outcome == .failed)
    }

    @Test func quotaReachedRecordsNothing() throws {
        let fixture = try EngineFixture(quota: 30_000)
        defer { fixture.remove() }
        let small = fixture.root + "/small", big = fixture.root + "/big"
        var generator = SeededGenerator(seed: 24)
        try Data(Corpus.make(.noise, count: 5_000, using: &generator)).write(to: URL(fileURLWithPath: small))
        try Data(Corpus.make(.noise, count: 50_000, using: &generator)).write(to: URL(fileURLWithPath: big))
        _ = try fixture.client.store([small])
        #expect(throws: MaimoError.self) { _ = try fixture.client.store([big]) }
        do { _ = try fixture.client.store([big]) } catch { #expect(error.description.contains("quota"), "\(error)") }
        #expect(try fixture.client.snapshots().map(\.snapshot.paths) == [[small]])
    }

    @Test func aHomeIsCreatedOnceAndItsKeysAgree() throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        #expect(throws: MaimoError.self) { try MaimoHome.create(at: fixture.root + "/home") }
        // An identity that the secret does not derive is named, not used.
        let other = try MaimoHome.create(at: fixture.root + "/other")
        other.close()
        fixture.home.close()
        try FileManager.default.removeItem(atPath: fixture.root + "/home/identity.key")
        try FileManager.default.copyItem(atPath: fixture.root + "/other/identity.key", toPath: fixture.root + "/home/identity.key")
        #expect { try MaimoHome(path: fixture.root + "/home") } throws: { error in
            (error as? MaimoError)?.description.contains("is not the identity secret.key derives") == true
        }
    }
}

/// A TCP relay on loopback to a target port that cuts its first connection once `cutAfter`
/// bytes went from the client to the target, counts what each connection carried and, with
/// `record`, keeps every byte it carried either way (what a packet capture would see).
final class CuttingProxy: @unchecked Sendable {
    let listener: Int32
    let port: UInt16
    private let lock = NSLock()
    private var counts: [Int] = []
    private let record: Bool
    private var recording: [UInt8] = []

    /// Cuts the client's stream of the first connection after `cutAfter` bytes (of every
    /// connection with `everyConnection`).
    init(target: UInt16, cutAfter: Int, everyConnection: Bool = false, record: Bool = false) throws {
        (listener, port) = Loopback.listener()
        self.record = record
        start(target: target, cutAfter: cutAfter, everyConnection: everyConnection)
    }

    /// Everything carried, both directions, in the order it was relayed.
    var recorded: [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        return recording
    }

    private func keep(_ bytes: ArraySlice<UInt8>) {
        guard record else { return }
        lock.lock()
        recording += bytes
        lock.unlock()
    }

    private func start(target: UInt16, cutAfter: Int, everyConnection: Bool) {
        let fd = listener
        Thread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                guard let upstream = try? WireSocket.connect(host: "127.0.0.1", port: target, timeout: 30) else { close(client); continue }
                lock.lock()
                let index = counts.count
                counts.append(0)
                lock.unlock()
                let limit = index == 0 || everyConnection ? cutAfter : Int.max
                // Client → target, counted and cut; target → client, plain.
                Thread { [self] in
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    var total = 0
                    while true {
                        let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                        guard n > 0 else { break }
                        total += n
                        lock.lock(); counts[index] = total; lock.unlock()
                        if total > limit { break }
                        keep(buffer[..<n])
                        guard (try? upstream.send(Array(buffer[..<n]))) != nil else { break }
                    }
                    shutdown(client, Int32(SHUT_RDWR))
                    upstream.shutdown()
                }.start()
                Thread { [self] in
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    while let n = try? upstream.receive(into: &buffer), n > 0 {
                        keep(buffer[..<n])
                        let sent = buffer.withUnsafeBytes { send(client, $0.baseAddress, n, Int32(MSG_NOSIGNAL)) }
                        if sent <= 0 { break }
                    }
                    shutdown(client, Int32(SHUT_RDWR))
                    close(client)
                }.start()
            }
        }.start()
    }

    /// Bytes each connection carried from the client, in order.
    var carried: [Int] {
        lock.lock()
        defer { lock.unlock() }
        return counts
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

/// A provider that completes the handshake and then drops the connection at a proof's first
/// slice (what one that lost the blob would do to pass for unreachable): the proof fails, by
/// name; only a provider that cannot be reached leaves a blob unproven.
@Suite("engine: a provider that drops a proof")
struct DroppedProofTests {
    @Test func aDisconnectAfterTheHandshakeFailsTheProof() throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        var generator = SeededGenerator(seed: 26)
        let path = fixture.root + "/file.bin"
        try Data(Corpus.make(.noise, count: 300_000, using: &generator)).write(to: URL(fileURLWithPath: path))
        _ = try fixture.client.store([path])
        // What the client sends for a handshake alone.
        let measure = try CuttingProxy(target: fixture.provider.port, cutAfter: .max)
        defer { measure.stop() }
        try ProviderClient(address: PeerAddress(host: "127.0.0.1", port: measure.port), provider: fixture.provider.identity.nodeID,
                           identity: fixture.home.identity).close()
        usleep(100_000)
        let handshake = try #require(measure.carried.first)
        // Every connection cut a few bytes into the first request after the handshake.
        let proxy = try CuttingProxy(target: fixture.provider.port, cutAfter: handshake + 8, everyConnection: true)
        defer { proxy.stop() }
        func verify(port: UInt16) -> [Repository.BlobProof] {
            let store = ProviderBlobStore(address: PeerAddress(host: "127.0.0.1", port: port), provider: fixture.provider.identity.nodeID,
                                          identity: fixture.home.identity)
            defer { store.close() }
            let repository = Repository(keys: fixture.home.keys, store: store, index: fixture.client.index)
            return (try? repository.verify(samples: 64, loss: 0.01)) ?? []
        }
        let dropped = verify(port: proxy.port)
        #expect(!dropped.isEmpty)
        for proof in dropped {
            #expect(proof.outcome == .failed, "\(proof.blob.kind): \(proof.outcome) \(proof.detail ?? "")")
            #expect(proof.failures == proof.samples)
            #expect(proof.detail?.contains("stopped answering before the first slice") == true, "\(proof.detail ?? "")")
        }
        // Nobody listening: unreachable, not failed.
        let closed = try CuttingProxy(target: fixture.provider.port, cutAfter: 0, everyConnection: true)
        let port = closed.port
        closed.stop()
        for proof in verify(port: port) { #expect(proof.outcome == .unreachable, "\(proof.outcome)") }
    }
}

@Suite("engine: a connection broken mid-upload")
struct BrokenConnectionTests {
    @Test func uploadResumesThroughTheClient() throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let proxy = try CuttingProxy(target: fixture.provider.port, cutAfter: 1_500_000)
        defer { proxy.stop() }
        try fixture.client.addPeer(name: "cut", nodeID: fixture.provider.identity.nodeID, address: "127.0.0.1:\(proxy.port)")
        var generator = SeededGenerator(seed: 25)
        let path = fixture.root + "/big.bin"
        let content = Corpus.make(.noise, count: 4_000_000, using: &generator)
        try Data(content).write(to: URL(fileURLWithPath: path))
        var options = RepositoryClient.StoreOptions()
        options.peer = "cut"
        // One pack, uploaded through the one session the store opens first.
        options.firstPackSize = options.packSize
        options.uploads = 1
        _ = try fixture.client.store([path], options: options)
        let pack = try #require(try fixture.client.index.blobs().filter { $0.kind == .pack }.max { $0.length < $1.length })
        let encoded = Int(Bao.encodedSize(contentLength: pack.length))
        // The first connection was cut; the next one sent only the rest (plus a handshake).
        let carried = proxy.carried
        #expect(carried.count >= 2)
        #expect(carried[0] > 1_500_000 && carried[0] < encoded)
        #expect(carried.dropFirst().reduce(0, +) < encoded - 1_000_000, "\(carried)")
        try FileManager.default.removeItem(atPath: path)
        _ = try fixture.client.retrieve(path)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == content)
    }
}
