import ArgumentParser
import Foundation
import Maimo
import MaimoBlake3
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
        try ProviderStore.allow(client: home.identity.nodeID, quota: nil, inDirectory: store.directory)
        let client = MaimoClient(home: home)
        var network: PrivateTorNetwork?
        defer { network?.stop() }
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
            let onion = try started.service.control.addOnion(
                key: OnionServiceKey(signingKey: providerIdentity.signingKey), ports: [(PeerAddress.defaultPort, "127.0.0.1:\(port)")])
            try client.addPeer(name: "demo", nodeID: onion.description)
            // Short attempts while the descriptor spreads, then patient ones.
            client.tor = TorConfiguration(socksPort: started.client.socksPort!, timeout: 15)
            let published = clock.now
            while true {
                do {
                    try client.connect(peer: "demo").close()
                    client.tor?.timeout = 60
                    break
                } catch {
                    guard seconds(clock.now - published) < 180 else { throw error }
                    usleep(500_000)
                }
            }
            print("  onion service \(onion) reachable \(format(seconds(clock.now - published))) s after it was published")
        } else {
            try client.addPeer(name: "demo", nodeID: NodeID.text(providerIdentity.nodeID), address: "127.0.0.1:\(port)")
        }
        print("provider \(NodeID.text(providerIdentity.nodeID)) " + (tor ? "as an onion service" : "on 127.0.0.1:\(port)"))
        print("client   \(home.nodeID)")

        // The tree, and a copy to compare with.
        let tree = root + "/tree", originals = root + "/originals"
        let generated = try DemoTree.generate(at: tree, copyTo: originals, files: files, bytes: (mebibytes ?? (tor ? 32 : 128)) << 20)
        print("")
        print("generated \(generated.files) files, \(humanBytes(generated.bytes)) (text, JSON, logs, binary, noise, runs)")

        // A dictionary for the small JSON records.
        let samples = generated.smallJSON.prefix(400).compactMap { FileManager.default.contents(atPath: $0).map(Array.init) }
        var options = MaimoClient.StoreOptions()
        options.removeLocal = true
        options.concurrency = jobs
        if samples.count >= 10, let bytes = try? ZstdDictionary.train(samples: samples, maxSize: 16 << 10),
           let dictionary = try? ZstdDictionary(bytes) {
            try home.catalogue.putDictionary(id: dictionary.id, bytes: bytes)
            options.dictionaryID = dictionary.id
            print("trained zstd dictionary \(dictionary.id) (\(bytes.count) bytes) on \(samples.count) small JSON files")
        }

        // Store.
        let storeStart = clock.now
        let results = try client.store([tree], options: options)
        let storeTime = seconds(clock.now - storeStart)
        var plain: UInt64 = 0, compressed: UInt64 = 0, cipher: UInt64 = 0, encoded: UInt64 = 0
        for (path, outcome) in results {
            guard case .stored(let record) = outcome else { throw CLIFile.Failure(description: "\(path): \(outcome)") }
            plain += record.size
            compressed += record.compressedLength
            cipher += record.ciphertextLength
            encoded += record.encodingLength
        }
        let leftLocally = try MaimoClient.expand([tree]).count
        print("")
        print("store:    \(results.count) files in \(format(storeTime)) s = \(format(Double(plain) / storeTime / 1e6)) MB/s of plaintext (\(jobs) in parallel)")
        print("          plaintext \(humanBytes(plain)) → zstd \(humanBytes(compressed)) (\(format(Double(compressed) / Double(max(plain, 1)) * 100))%)"
              + " → padded ciphertext \(humanBytes(cipher)) → Bao encoding at the provider \(humanBytes(encoded))")
        print("          local copies deleted: \(leftLocally == 0 ? "yes" : "NO, \(leftLocally) left")")

        // Prove.
        let samplesPerFile = ProofPlan.samples(confidence: 0.999999, loss: 0.01) ?? 1375
        let verifyStart = clock.now
        let proofs = try client.verify(samples: samplesPerFile)
        let verifyTime = seconds(clock.now - verifyStart)
        let ok = proofs.filter { $0.outcome == .ok }.count
        let slices = proofs.reduce(0) { $0 + $1.samples }
        let worst = proofs.map(\.missProbability).max() ?? 0
        print("verify:   \(ok) of \(proofs.count) proofs ok, \(slices) slices of 4 KiB checked against the 32-byte roots in \(format(verifyTime)) s"
              + " (\(format(verifyTime * 1000 / Double(max(proofs.count, 1)))) ms per file)")
        let whole = proofs.filter { $0.missProbability == 0 }.count
        print("          \(whole) files checked whole (≤ \(samplesPerFile) slices); in the others, a loss of 1% goes unnoticed with probability ≤ \(String(format: "%.1e", worst))")

        // Retrieve everything and compare.
        let retrieveStart = clock.now
        let retrieved = try client.retrieveTree(tree, concurrency: jobs)
        if let failure = retrieved.first(where: { $0.1 != nil }) { throw failure.1! }
        let retrieveTime = seconds(clock.now - retrieveStart)
        let identical = try DemoTree.compare(tree, originals)
        print("retrieve: \(results.count) files in \(format(retrieveTime)) s = \(format(Double(plain) / retrieveTime / 1e6)) MB/s (\(jobs) in parallel), every chunk verified, decrypted, decompressed")
        print("          byte for byte identical to the originals: \(identical ? "yes" : "NO")")

        // A provider that loses a byte is caught.
        let largest = try client.list().max { $0.encodingLength < $1.encodingLength }!
        let rootDigest = try Blake3.Digest(hex: largest.root)
        try store.tamper(client: home.identity.nodeID, root: rootDigest.bytes, flipAt: largest.encodingLength / 3)
        // Every slice, so that the demo is deterministic (a sample finds one bad byte in k of n).
        let caught = try client.verify([largest.path], samples: Int.max)
        print("damage:   one byte flipped at the provider in \(URL(fileURLWithPath: largest.path).lastPathComponent) (\(humanBytes(largest.size)))"
              + " → verify says \(caught.first?.outcome.rawValue ?? "?") (\(caught.first?.failures ?? 0) of \(caught.first?.samples ?? 0) slices bad)")
        do {
            try client.retrieve(largest.path, to: root + "/should-not-exist")
            print("          retrieve of the damaged file: NOT REFUSED")
        } catch {
            let exists = FileManager.default.fileExists(atPath: root + "/should-not-exist")
            print("          retrieve of the damaged file refused, nothing written: \(exists ? "NO" : "yes")")
        }
        print("")
        guard identical, ok == proofs.count, caught.first?.outcome == .failed else {
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
        return summary
    }

    /// Whether every file under `a` equals the file at the same relative path under `b`, and
    /// both hold the same files.
    static func compare(_ a: String, _ b: String) throws -> Bool {
        let left = try MaimoClient.expand([a]).map { String($0.dropFirst(a.count)) }
        let right = try MaimoClient.expand([b]).map { String($0.dropFirst(b.count)) }
        guard left == right else { return false }
        for relative in left {
            guard let x = FileManager.default.contents(atPath: a + relative), let y = FileManager.default.contents(atPath: b + relative), x == y else {
                return false
            }
        }
        return true
    }
}
