import ArgumentParser
import MaimoLeanCommands
import Foundation
import Maimo
import MaimoProvider
import MaimoBlake3
import MaimoRepository
import MaimoTor
import MaimoZstd
#if canImport(Glibc)
import Glibc
#endif

/// `maimo demo`: the whole product with no set-up — a provider in this process on loopback, a
/// generated tree stored, the local copies deleted, proofs of storage, everything retrieved and
/// compared byte for byte, a damaged blob caught; then everything is cleaned up.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Store, verify and retrieve a generated tree through a provider on loopback, with a report.",
        discussion: "`--libraries` instead tours the libraries one by one (BLAKE3, Bao, cipher, keystore, index, zstd).")

    @Option(help: "Files in the generated tree.") var files = 300
    @Option(help: "Total size of the tree in MiB (sizes are spread from bytes to megabytes; default 128, 32 with --tor).") var mebibytes: Int?
    @Flag(help: "Run over a private Tor network (6 tors on loopback; needs tor and tor-gencert): the provider is an onion service.") var tor = false
    @Option(help: "Files stored in parallel.") var jobs = 4
    @Flag(help: "Tour the libraries instead.") var libraries = false
    @Option(help: "With --libraries: buffer size in MiB.") var bufferMebibytes = 256
    @Option(help: "With --libraries: timed repetitions per measurement.") var repetitions = 3
    @Flag(help: "Keep the temporary directory (its path is printed).") var keep = false

    func run() throws {
        if libraries {
            try LibraryDemo(mebibytes: bufferMebibytes, repetitions: repetitions).run()
            return
        }
        try CLIFile.run(prefix: "maimo demo") { try engineDemo() }
    }

    func engineDemo() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-demo-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer {
            if keep { print("kept \(root)") } else { try? FileManager.default.removeItem(atPath: root) }
        }
        let clock = ContinuousClock()
        print("Maimo demo — store, prove and retrieve through a provider " + (tor ? "over a private Tor network" : "on loopback") + " (\(ProcessInfo.processInfo.activeProcessorCount) cores)")
        print("work directory: \(root)")

        // A provider with its own identity, in this process.
        let providerIdentity = NodeIdentity()
        let store = try ProviderStore(directory: root + "/provider")
        let server = ProviderServer(store: store, identity: providerIdentity)
        let port = try server.start(host: "127.0.0.1", port: 0)
        defer { server.stop(); store.close() }
        let home = try MaimoHome.create(at: root + "/home")
        defer { home.close() }
        let recoveryCode = home.keys.recoveryCode
        try ProviderStore.allow(client: home.identity.nodeID, quota: nil, inDirectory: store.directory)
        let peers = RepositoryClient(home: home)
        var network: PrivateTorNetwork?
        defer { network?.stop() }
        var torConfiguration: TorConfiguration?
        var streamProbe: StreamProbe?
        var streamRate: Double?
        defer { _ = streamProbe }
        if tor {
            guard PrivateTorNetwork.isAvailable else {
                throw CLIFile.Failure(description: "--tor needs tor and tor-gencert on PATH (Debian: apt-get install tor)")
            }
            print("starting a private Tor network (an authority, three relays, a service and a client tor)…")
            let started = try PrivateTorNetwork()
            network = started
            let begin = clock.now
            try started.waitUntilReady(timeout: 180)
            print("  bootstrapped in \(format(seconds(clock.now - begin))) s")
            let probe = try StreamProbe()
            streamProbe = probe
            let onion = try started.service.control.addOnion(
                key: OnionServiceKey(signingKey: providerIdentity.signingKey),
                ports: [(PeerAddress.defaultPort, "127.0.0.1:\(port)"), (StreamProbe.servicePort, "127.0.0.1:\(probe.port)")])
            try peers.addPeer(name: "demo", nodeID: try NodeID(onion.description))
            // Short attempts while the descriptor spreads, then patient ones.
            let reachable = RepositoryClient(home: home, tor: TorConfiguration(socksPort: started.client.socksPort!, timeout: 15))
            let published = clock.now
            while true {
                do {
                    try reachable.connect(peer: "demo").close()
                    break
                } catch {
                    guard seconds(clock.now - published) < 180 else { throw error }
                    usleep(500_000)
                }
            }
            torConfiguration = TorConfiguration(socksPort: started.client.socksPort!, timeout: 60)
            print("  onion service \(onion) reachable \(format(seconds(clock.now - published))) s after it was published")
            let rate = try probe.measure(onion: onion.description, servicePort: StreamProbe.servicePort,
                                         socksPort: started.client.socksPort!, count: 8 << 20)
            streamRate = rate
            print("  one Tor stream carries \(format(rate)) MB/s here (a plain copy of 8 MiB, no Maimo in it)")
        } else {
            try peers.addPeer(name: "demo", nodeID: providerIdentity.nodeID, address: "127.0.0.1:\(port)")
        }
        let client = RepositoryClient(home: home, tor: torConfiguration)
        defer { client.close() }
        print("provider \(providerIdentity.nodeID) " + (tor ? "as an onion service" : "on 127.0.0.1:\(port)"))
        print("client   \(home.nodeID)")
        print("recovery code (all it takes to get everything back): \(recoveryCode)")

        // The tree, and a copy to compare with.
        let tree = root + "/tree", originals = root + "/originals"
        let generated = try DemoTree.generate(at: tree, copyTo: originals, files: files, bytes: (mebibytes ?? (tor ? 32 : 128)) << 20)
        print("")
        print("generated \(generated.files) files, \(humanBytes(generated.bytes)) (text, JSON, logs, binary, noise, runs), symlinks and an empty directory")

        // A dictionary for the small JSON records.
        let samples = generated.smallJSON.prefix(400).compactMap { FileManager.default.contents(atPath: $0).map(Array.init) }
        var options = RepositoryClient.StoreOptions()
        options.removeLocal = true
        options.uploads = max(1, jobs)
        if samples.count >= 10, let bytes = try? ZstdDictionary.train(samples: samples, maxSize: 16 << 10),
           let dictionary = try? ZstdDictionary(bytes) {
            try home.catalogue.putDictionary(id: dictionary.id, bytes: bytes)
            options.dictionaryID = dictionary.id
            print("trained zstd dictionary \(dictionary.id) (\(bytes.count) bytes) on \(samples.count) small JSON files")
        }

        // Store, then store again unchanged (nothing is read or sent but a snapshot).
        let stored = try client.store([tree], options: options).report
        let again = try client.store([originals]).report
        let unchanged = try client.store([originals]).report
        let leftLocally = try RepositoryClient.regularFiles(under: [tree]).count
        print("")
        print("store:    \(stored.files) files, \(stored.symlinks) symlinks, \(stored.directories) directories in \(format(stored.seconds)) s"
              + " = \(format(Double(generated.bytes) / stored.seconds / 1e6)) MB/s of plaintext")
        print("          \(stored.newChunks) chunks (\(stored.duplicateItems) duplicates stored once) and \(stored.newTrees) trees in \(stored.blobsUploaded) blobs:"
              + " \(humanBytes(generated.bytes)) → \(humanBytes(stored.bytesUploaded)) at the provider (compressed, encrypted, padded)")
        if let streamRate {
            let wire = Double(stored.bytesUploaded) / stored.seconds / 1e6
            print("          \(format(wire)) MB/s sent = \(Int((wire / streamRate * 100).rounded()))% of what one Tor stream carried")
        }
        print("          local copies deleted: \(leftLocally == 0 ? "yes" : "NO, \(leftLocally) left")")
        print("          the same content under another path: \(again.newChunks) new chunks, \(humanBytes(again.bytesUploaded)) sent (trees and a snapshot)")
        print("          stored again unchanged: \(unchanged.bytesRead) bytes read, \(unchanged.newChunks) new chunks, in \(format(unchanged.seconds)) s")

        // Prove every blob.
        let samplesPerBlob = Repository.samples(confidence: 0.999999, loss: 0.01) ?? 1375
        let verifyStart = clock.now
        let (_, proofs) = try client.verify(samples: samplesPerBlob, loss: 0.01, workers: jobs)
        let verifyTime = seconds(clock.now - verifyStart)
        let ok = proofs.filter { $0.outcome == .ok }.count
        let slices = proofs.reduce(0) { $0 + $1.samples }
        let confidence = try client.confidence(of: tree, proofs: proofs)
        print("verify:   \(ok) of \(proofs.count) blobs proven, \(slices) slices of 4 KiB checked against the 32-byte roots in \(format(verifyTime)) s")
        print("          \(tree): \(confidence?.packs ?? 0) packs, a loss of 1% goes unnoticed with probability ≤ \(String(format: "%.1e", confidence?.missProbability ?? 1))")
        for proof in proofs where proof.outcome != .ok {
            Console.error("maimo demo: \(proof.blob.kind) blob \(proof.blob.root.description.prefix(12)): \(proof.outcome.rawValue), \(proof.failures) of \(proof.samples) slices: \(proof.detail ?? "no detail")")
        }

        // Lose the client entirely: a new home from the recovery code, the catalogue rebuilt
        // from the provider, everything back and compared.
        let recoveredHome = try MaimoHome.create(at: root + "/recovered-home", recoveryCode: recoveryCode)
        defer { recoveredHome.close() }
        try RepositoryClient(home: recoveredHome).addPeer(name: "demo", nodeID: providerIdentity.nodeID,
                                                       address: try peers.home.catalogue.peer(named: "demo")?.address ?? "")
        let recoveredClient = RepositoryClient(home: recoveredHome, tor: torConfiguration)
        defer { recoveredClient.close() }
        let recovery = try recoveredClient.recover()
        let restored = try recoveredClient.retrieve(tree, workers: jobs)
        for failure in restored.failures.prefix(3) { Console.error("maimo demo: \(failure.path): \(failure.error)") }
        let identical = try DemoTree.compare(tree, originals)
        print("recover:  from the recovery code alone: \(recovery.snapshots) snapshots, \(recovery.packs) packs found at the provider in \(format(recovery.seconds)) s")
        print("retrieve: \(restored.files) files, \(restored.symlinks) symlinks in \(format(restored.seconds)) s = \(format(Double(restored.bytes) / restored.seconds / 1e6)) MB/s, every chunk verified, decrypted, decompressed")
        print("          byte for byte identical to the originals: \(identical ? "yes" : "NO")")

        // A provider that loses a byte is caught, and nothing unverified is written.
        let packs = try recoveredClient.index.locations().filter { $0.entry.type == .data }
        guard let victim = packs.max(by: { $0.entry.storedLength < $1.entry.storedLength }) else { throw CLIFile.Failure(description: "no data") }
        let pack = try recoveredClient.index.blobs().first { $0.root == victim.pack }
        let flip = victim.entry.offset + UInt64(victim.entry.storedLength) / 2
        try store.tamper(client: home.identity.nodeID, root: victim.pack, flipAt: flip)
        let caught = try recoveredClient.verify(samples: Int.max, loss: 0.01).proofs.first { $0.blob.root == victim.pack }
        let hit = try DemoTree.files(in: tree, using: victim.entry.id, client: recoveredClient)
        print("damage:   one byte flipped at the provider in a pack of \(humanBytes(pack?.length ?? 0))"
              + " → verify says \(caught?.outcome.rawValue ?? "?") (\(caught?.failures ?? 0) of \(caught?.samples ?? 0) slices bad)")
        var refused = false
        if let hit {
            let report = try? recoveredClient.retrieve(hit, to: root + "/should-not-exist")
            refused = (report?.failures.isEmpty == false || report == nil) && !FileManager.default.fileExists(atPath: root + "/should-not-exist")
            print("          retrieve of \(URL(fileURLWithPath: hit).lastPathComponent), which uses it: refused, nothing written: \(refused ? "yes" : "NO")")
        }
        print("")
        guard identical, ok == proofs.count, caught?.outcome == .failed, refused, leftLocally == 0 else {
            throw CLIFile.Failure(description: "the demo found a problem (see above)")
        }
        print("done; cleaning up")
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func format(_ value: Double) -> String { String(format: value < 10 ? "%.2f" : "%.1f", value) }
}

/// The demo's generated tree: many small files (JSON records, text notes, config) and a few
/// large ones (logs, binaries, noise, runs), sizes spread geometrically.
enum DemoTree {
    struct Summary {
        var files: Int
        var bytes: UInt64
        var smallJSON: [String]
    }

    static func generate(at directory: String, copyTo copies: String, files: Int, bytes total: Int) throws -> Summary {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(files)
        func next() -> UInt64 { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state }
        let words = ["maimo", "stores", "files", "over", "tor", "proves", "every", "byte", "is", "still", "there",
                     "with", "a", "hash", "provider", "client", "slice", "root", "revision", "segment"]
        func text(_ count: Int) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(count + 100)
            while out.count < count {
                out += Array(((0..<(5 + Int(next() % 10))).map { _ in words[Int(next() % UInt64(words.count))] }.joined(separator: " ") + ".\n").utf8)
            }
            return Array(out.prefix(count))
        }
        func json(_ id: Int) -> [UInt8] {
            Array("{\"id\": \(id), \"name\": \"\(words[Int(next() % 20)])-\(next() % 10_000)\", \"size\": \(next() % (1 << 30)), \"tags\": [\"\(words[Int(next() % 20)])\", \"\(words[Int(next() % 20)])\"], \"ok\": \(next() % 2 == 0)}\n".utf8)
        }
        func log(_ count: Int) -> [UInt8] {
            var out: [UInt8] = []
            var time = 1_764_000_000 + Int(next() % 1_000_000)
            while out.count < count {
                time += Int(next() % 5)
                out += Array("2026-11-25T\(time % 86400 / 3600):\(time % 3600 / 60):\(time % 60)Z INFO [\(words[Int(next() % 20)])] request \(next() % 100_000) served in \(next() % 900) ms\n".utf8)
            }
            return Array(out.prefix(count))
        }
        func binary(_ count: Int) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: count)
            var i = 0
            while i < count {
                let value = next()
                let n = min(8, count - i)
                // Structured: small integers in fixed-width records, like a table dump.
                for b in 0..<n { out[i + b] = b < 3 ? UInt8(truncatingIfNeeded: value >> (8 * UInt64(b))) & 0x3F : UInt8(b) }
                i += n
            }
            return out
        }
        var summary = Summary(files: 0, bytes: 0, smallJSON: [])
        // Sizes: geometric from 64 bytes up, scaled so that they add up to about `total`.
        var sizes = (0..<files).map { i -> Double in pow(1.06, Double(i % 200)) * 64 }
        let scale = Double(total) / sizes.reduce(0, +)
        sizes = sizes.map { $0 * scale }
        for i in 0..<files {
            let size = max(1, Int(sizes[i]))
            let kind = i % 6
            let (folder, name, content): (String, String, [UInt8])
            switch kind {
            case 0: (folder, name, content) = ("records/\(i % 7)", "record-\(i).json", (0..<max(1, size / 110)).flatMap { json(i * 1000 + $0) })
            case 1: (folder, name, content) = ("notes", "note-\(i).txt", text(size))
            case 2: (folder, name, content) = ("logs", "service-\(i).log", log(size))
            case 3: (folder, name, content) = ("tables", "table-\(i).bin", binary(size))
            case 4: (folder, name, content) = ("photos", "photo-\(i).raw", (0..<size).map { _ in UInt8(truncatingIfNeeded: next()) })
            default: (folder, name, content) = ("images", "disk-\(i).img", (0..<size).map { j in j % 4096 < 3000 ? 0 : UInt8(truncatingIfNeeded: next()) })
            }
            for base in [directory, copies] {
                try FileManager.default.createDirectory(atPath: base + "/" + folder, withIntermediateDirectories: true)
                try Data(content).write(to: URL(fileURLWithPath: base + "/" + folder + "/" + name))
            }
            if kind == 0 && content.count < 4096 { summary.smallJSON.append(copies + "/" + folder + "/" + name) }
            summary.files += 1
            summary.bytes += UInt64(content.count)
        }
        // A tree comes back as it was: symlinks (relative, absolute, dangling) and empty directories too.
        for base in [directory, copies] {
            try FileManager.default.createDirectory(atPath: base + "/links", withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: base + "/empty/inside", withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: base + "/links/a-note", withDestinationPath: "../notes")
            try FileManager.default.createSymbolicLink(atPath: base + "/links/hostname", withDestinationPath: "/etc/hostname")
            try FileManager.default.createSymbolicLink(atPath: base + "/links/dangling", withDestinationPath: "no/such/file")
        }
        return summary
    }

    /// Whether `a` and `b` hold the same entries: files with equal bytes, symlinks with equal
    /// targets, directories (empty ones too).
    static func compare(_ a: String, _ b: String) throws -> Bool {
        let manager = FileManager.default
        let left = try manager.subpathsOfDirectory(atPath: a).sorted(), right = try manager.subpathsOfDirectory(atPath: b).sorted()
        guard left == right else { return false }
        for relative in left {
            var x = stat(), y = stat()
            guard lstat(a + "/" + relative, &x) == 0, lstat(b + "/" + relative, &y) == 0, x.st_mode & S_IFMT == y.st_mode & S_IFMT else { return false }
            switch x.st_mode & S_IFMT {
            case S_IFREG:
                guard manager.contents(atPath: a + "/" + relative) == manager.contents(atPath: b + "/" + relative) else { return false }
            case S_IFLNK:
                guard try manager.destinationOfSymbolicLink(atPath: a + "/" + relative) == manager.destinationOfSymbolicLink(atPath: b + "/" + relative) else {
                    return false
                }
            default: break
            }
        }
        return true
    }

    /// A stored file under `tree` whose chunks include `id`.
    static func files(in tree: String, using id: ItemID, client: RepositoryClient) throws -> String? {
        for (path, entry) in try client.list(tree) {
            if case let .file(_, chunks) = entry.content, chunks.contains(id) { return path }
        }
        return nil
    }
}
