#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Maimo
import MaimoBlake3
import MaimoTestSupport
import Testing

/// A client home and a provider in temporary directories, the client allowed and the provider
/// added as peer "p1".
final class EngineFixture: @unchecked Sendable {
    let root: String
    let home: MaimoHome
    let client: MaimoClient
    let provider: TestProvider

    init(quota: UInt64 = .max) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-engine-\(UUID().uuidString)").path
        home = try MaimoHome.create(at: root + "/home")
        client = MaimoClient(home: home)
        provider = try TestProvider(quota: quota, directory: root + "/provider")
        try provider.allow(home.identity)
        try client.addPeer(name: "p1", nodeID: NodeID.text(provider.identity.nodeID), address: provider.address.description)
    }

    /// Writes a tree of files of mixed kinds under `root/data`; returns path → contents.
    func makeTree(seed: UInt64, files: Int, maxSize: Int) throws -> [String: [UInt8]] {
        var generator = SeededGenerator(seed: seed)
        var tree: [String: [UInt8]] = [:]
        for i in 0..<files {
            let kind = Corpus.Kind.allCases[i % Corpus.Kind.allCases.count]
            let size = i == 0 ? 0 : Int.random(in: 1...maxSize, using: &generator)
            let path = root + "/data/dir\(i % 3)/sub\(i % 2)/file\(i).\(kind.rawValue)"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let bytes = Corpus.make(kind, count: size, using: &generator)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            tree[path] = bytes
        }
        return tree
    }

    func remove() {
        provider.shutdown()
        home.close()
        try? FileManager.default.removeItem(atPath: root)
    }
}

@Suite("engine end to end over loopback")
struct EngineTests {
    @Test func storeVerifyRetrieveTree() throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let tree = try fixture.makeTree(seed: 21, files: 14, maxSize: 400_000)
        var options = MaimoClient.StoreOptions()
        options.removeLocal = true
        let results = try fixture.client.store([fixture.root + "/data"], options: options)
        #expect(results.count == tree.count)
        for (path, outcome) in results {
            guard case .stored(let record) = outcome else { Issue.record("\(path): \(outcome)"); continue }
            #expect(record.size == UInt64(tree[path]!.count))
            #expect(!FileManager.default.fileExists(atPath: path), "the local copy is removed")
        }
        // Every slice of every file, then a sample.
        let full = try fixture.client.verify(samples: 1_000_000)
        #expect(full.count == tree.count && full.allSatisfy { $0.outcome == .ok && $0.missProbability == 0 })
        let sampled = try fixture.client.verify([fixture.root + "/data/dir1"], samples: 3)
        #expect(!sampled.isEmpty && sampled.allSatisfy { $0.outcome == .ok && $0.samples <= 3 })
        // The whole tree into another directory, in parallel.
        let elsewhere = fixture.root + "/elsewhere"
        let restored = try fixture.client.retrieveTree(fixture.root + "/data", to: elsewhere, concurrency: 3)
        #expect(restored.count == tree.count && restored.allSatisfy { $0.1 == nil })
        for (path, bytes) in tree {
            let copy = elsewhere + path.dropFirst((fixture.root + "/data").count)
            #expect(FileManager.default.contents(atPath: copy).map(Array.init) == bytes, "\(copy)")
        }
        // Back in place, byte for byte, with mode and mtime.
        for (path, bytes) in tree {
            let record = try fixture.client.retrieve(path)
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(abs(Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9 - record.mtime) < 1e-6)
        }
        // The ciphertext at the provider is padded and encrypted: no plaintext, no size.
        #expect(try fixture.client.list().count == tree.count)
    }

    @Test func revisionsArePrunedAndRemovable() throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let path = fixture.root + "/doc.txt"
        var options = MaimoClient.StoreOptions()
        options.keepRevisions = 3
        var versions: [[UInt8]] = []
        for i in 0..<5 {
            let bytes = Array("version \(i) ".utf8) + Array(repeating: UInt8(i), count: 1000 * (i + 1))
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            // A distinct mtime for each version even on coarse clocks.
            var times = [timespec(tv_sec: 1_700_000_000 + i, tv_nsec: 0), timespec(tv_sec: 1_700_000_000 + i, tv_nsec: 0)]
            utimensat(AT_FDCWD, path, &times, 0)
            versions.append(bytes)
            let result = try fixture.client.store([path], options: options)
            guard case .stored(let record) = result[0].1 else { Issue.record("\(result)"); return }
            #expect(record.revision == UInt64(i + 1))
        }
        // Unchanged: no new revision.
        #expect(try fixture.client.store([path], options: options)[0].1 == .unchanged)
        let revisions = try fixture.client.list(allRevisions: true)
        #expect(revisions.map(\.revision) == [3, 4, 5])
        #expect(try fixture.provider.connect(fixture.home.identity).stat().blobs == 3, "pruned at the provider too")
        let out = fixture.root + "/old.txt"
        try fixture.client.retrieve(path, revision: 3, to: out)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: out))) == versions[2])
        #expect(throws: MaimoError.self) { try fixture.client.retrieve(path, revision: 1, to: out) }
        #expect(try fixture.client.remove(path, revision: 4) == 1)
        #expect(try fixture.client.list(allRevisions: true).map(\.revision) == [3, 5])
        #expect(try fixture.client.remove(path) == 2)
        #expect(try fixture.client.list(allRevisions: true).isEmpty)
        #expect(try fixture.provider.connect(fixture.home.identity).stat().blobs == 0)
    }

    /// One damaged chunk: a proof of `k` of the blob's `n` slices finds it with probability
    /// k/n. Over many proofs the detection rate must match (within 4.5 standard deviations).
    @Test func verifyCatchesDamageWithTheExpectedProbability() throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        var generator = SeededGenerator(seed: 22)
        let path = fixture.root + "/noise.bin"
        try Data(Corpus.make(.noise, count: 64 * 4096 - 200, using: &generator)).write(to: URL(fileURLWithPath: path))
        var options = MaimoClient.StoreOptions()
        options.pad = false
        guard case .stored(let record) = try fixture.client.store([path], options: options)[0].1 else { Issue.record("not stored"); return }
        let slices = Int((record.ciphertextLength + 4095) / 4096)
        // The encoding's last byte belongs to the last chunk, which only the last slice covers.
        let root = try Blake3.Digest(hex: record.root)
        try fixture.provider.store.tamper(client: fixture.home.identity.nodeID, root: root.bytes, flipAt: record.encodingLength - 1)
        let all = try fixture.client.verify([path], samples: slices)
        #expect(all.count == 1 && all[0].outcome == .failed && all[0].failures == 1)
        let k = slices / 4, rounds = 160
        var caught = 0
        for _ in 0..<rounds where try fixture.client.verify([path], samples: k)[0].outcome == .failed { caught += 1 }
        let p = Double(k) / Double(slices)
        let sd = (p * (1 - p) / Double(rounds)).squareRoot()
        let rate = Double(caught) / Double(rounds)
        #expect(abs(rate - p) < 4.5 * sd, "caught \(caught) of \(rounds), expected \(p)")
        // A provider that lost the blob entirely fails every proof.
        try fixture.provider.store.tamper(client: fixture.home.identity.nodeID, root: root.bytes, truncateTo: 100)
        #expect(try fixture.client.verify([path], samples: 5)[0].outcome == .failed)
    }

    @Test func badBytesNeverReachTheTarget() throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let path = fixture.root + "/a.json"
        var generator = SeededGenerator(seed: 23)
        try Data(Corpus.make(.json, count: 200_000, using: &generator)).write(to: URL(fileURLWithPath: path))
        guard case .stored(let record) = try fixture.client.store([path])[0].1 else { Issue.record("not stored"); return }
        try fixture.provider.store.tamper(client: fixture.home.identity.nodeID, root: try Blake3.Digest(hex: record.root).bytes,
                                          flipAt: record.encodingLength / 2)
        let out = fixture.root + "/restored.json"
        #expect {
            try fixture.client.retrieve(path, to: out)
        } throws: { error in
            guard case .integrity = error as? MaimoError else { return false }
            return true
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.root).filter { $0.hasPrefix(".maimo-") }
        #expect(leftovers.isEmpty)
    }

    @Test func quotaReachedRecordsNothing() throws {
        let fixture = try EngineFixture(quota: 20_000)
        defer { fixture.remove() }
        let small = fixture.root + "/small", big = fixture.root + "/big"
        var generator = SeededGenerator(seed: 24)
        try Data(Corpus.make(.noise, count: 5_000, using: &generator)).write(to: URL(fileURLWithPath: small))
        try Data(Corpus.make(.noise, count: 50_000, using: &generator)).write(to: URL(fileURLWithPath: big))
        let results = Dictionary(uniqueKeysWithValues: try fixture.client.store([small, big]))
        guard case .stored = results[small] else { Issue.record("\(String(describing: results[small]))"); return }
        guard case .failed(let error) = results[big] else { Issue.record("\(String(describing: results[big]))"); return }
        #expect(error.description.contains("quota"))
        #expect(try fixture.client.list().map(\.path) == [small])
    }

    @Test func wrongMasterKeyIsNamed() throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let path = fixture.root + "/x"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        _ = try fixture.client.store([path])
        #expect(try fixture.client.list().first?.keyID == hexString(fixture.home.keyring.keyID))
        #expect(throws: MaimoError.self) { try MaimoHome.create(at: fixture.root + "/home") }
    }
}

/// A TCP relay on loopback to a target port that cuts its first connection once `cutAfter`
/// bytes went from the client to the target, and counts what each connection carried.
final class CuttingProxy: @unchecked Sendable {
    let listener: Int32
    let port: UInt16
    private let lock = NSLock()
    private var counts: [Int] = []

    init(target: UInt16, cutAfter: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        listen(fd, 8)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        start(target: target, cutAfter: cutAfter)
    }

    private func start(target: UInt16, cutAfter: Int) {
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
                let limit = index == 0 ? cutAfter : Int.max
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
                        guard (try? upstream.send(Array(buffer[..<n]))) != nil else { break }
                    }
                    shutdown(client, Int32(SHUT_RDWR))
                    upstream.shutdown()
                }.start()
                Thread {
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    while let n = try? upstream.receive(into: &buffer), n > 0 {
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

@Suite("engine: a connection broken mid-upload")
struct BrokenConnectionTests {
    @Test func uploadResumesThroughTheClient() throws {
        let fixture = try EngineFixture()
        defer { fixture.remove() }
        let proxy = try CuttingProxy(target: fixture.provider.port, cutAfter: 1_500_000)
        defer { proxy.stop() }
        try fixture.client.addPeer(name: "cut", nodeID: NodeID.text(fixture.provider.identity.nodeID), address: "127.0.0.1:\(proxy.port)")
        var generator = SeededGenerator(seed: 25)
        let path = fixture.root + "/big.bin"
        let content = Corpus.make(.noise, count: 4_000_000, using: &generator)
        try Data(content).write(to: URL(fileURLWithPath: path))
        var options = MaimoClient.StoreOptions()
        options.peers = ["cut"]
        let result = try fixture.client.store([path], options: options)
        guard case .stored(let record) = result[0].1 else { Issue.record("\(result)"); return }
        // The first connection was cut; the next one sent only the rest (plus a handshake).
        let carried = proxy.carried
        #expect(carried.count >= 2)
        #expect(carried[0] > 1_500_000 && carried[0] < Int(record.encodingLength))
        #expect(carried.dropFirst().reduce(0, +) < Int(record.encodingLength) - 1_000_000, "\(carried)")
        try FileManager.default.removeItem(atPath: path)
        try fixture.client.retrieve(path)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == content)
    }
}
