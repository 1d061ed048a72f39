import ArgumentParser
import MaimoLeanCommands
import Foundation
import Maimo
import MaimoRepository

// Proofs and redundancy (Docs/Repository.md §8, §12): verify, status, repair and peer retire.
// Parsing and printing only; the work is `RepositoryClient`'s.

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Prove that the peers still hold every byte: random Bao slices of every copy and share, verified against the local roots.",
        discussion: "Exit status: 0 every share at every peer proven, 1 a proof failed, 2 only reachability failed.")
    @OptionGroup var options: HomeOptions
    @Argument(help: "Stored paths to report the confidence of (default: every snapshot's paths).") var paths: [String] = []
    @Option(help: "Slices per share (default: enough for --confidence at --loss).") var samples: Int?
    @Option(help: "Confidence of catching a loss of --loss.") var confidence = 0.999999
    @Option(help: "Fraction of a share lost that must be caught.") var loss = 0.01
    @Option(help: "Repeat every INTERVAL (e.g. 30m, 6h, 1d) until interrupted.") var every: String?
    @Option(help: "Shares proven in parallel.") var jobs = 4
    @Flag(help: "Print JSON lines.") var json = false

    func run() throws {
        try engineRun("verify") {
            guard let planned = samples ?? Repository.samples(confidence: confidence, loss: loss), planned > 0 else {
                throw CLIFile.Failure(description: "--confidence must be in (0, 1) and --loss in (0, 1]")
            }
            let interval = try every.map(Self.parseInterval)
            while true {
                // The catalogue is opened per round: other commands can run in between.
                let client = try options.open()
                let status = try round(client, samples: planned)
                client.close()
                client.home.close()
                guard let interval else {
                    if status != 0 { throw ExitCode(status) }
                    return
                }
                fflush(nil)
                Thread.sleep(forTimeInterval: interval)
            }
        }
    }

    func round(_ client: RepositoryClient, samples planned: Int) throws -> Int32 {
        let snapshots = try client.snapshots()
        guard !snapshots.isEmpty else {
            print(json ? try jsonText(["nothingStored": true]) : "nothing stored yet")
            return 0
        }
        let (_, proofs) = try client.verify(samples: planned, loss: loss, workers: max(1, jobs))
        let status = Self.status(of: proofs)
        for proof in proofs {
            let peer = proof.share.provider
            if json {
                print(try jsonText(["blob": proof.blob.root.description, "kind": "\(proof.blob.kind)", "peer": peer,
                                    "share": proof.share.index, "shareRoot": proof.share.root.description, "outcome": proof.outcome.rawValue,
                                    "samples": proof.samples, "failures": proof.failures, "missProbability": proof.missProbability,
                                    "bytes": proof.bytes, "detail": proof.detail ?? ""]))
                continue
            }
            let name = "\(proof.blob.kind) \(proof.blob.root.description.prefix(16))" + (proof.share.nonce == nil ? "" : " share \(proof.share.index)")
            let miss = proof.missProbability == 0 ? "every slice checked" : String(format: "miss probability %.2e at %g%% loss", proof.missProbability, loss * 100)
            switch proof.outcome {
            case .ok: print("ok          \(name) @\(peer) (\(proof.samples) slices, \(miss))")
            case .failed: print("FAILED      \(name) @\(peer): \(proof.detail ?? "")")
            case .unreachable: print("unreachable \(name) @\(peer): \(proof.detail ?? "")")
            }
        }
        var worst = status
        var reported = paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        if reported.isEmpty { reported = Array(Set(snapshots.flatMap(\.snapshot.paths))).sorted() }
        for path in reported {
            guard let c = try client.confidence(of: path, proofs: proofs) else {
                Console.error("maimo verify: \(path): not in any snapshot")
                worst = max(worst, 1)
                continue
            }
            let spare = c.spare > 0 ? "; \(c.spare) more peer(s) may fail" : c.spare == 0 ? "; no peer may fail" : ""
            let verdict = c.failedPacks > 0 ? "FAILED (\(c.failedPacks) of \(c.packs) packs lack proven shares)"
                : c.unprovenPacks > 0 ? "unproven (\(c.unprovenPacks) of \(c.packs) packs)"
                : (c.missProbability == 0 ? "ok, every slice of its \(c.packs) packs checked" : String(format: "ok, %d packs, miss probability ≤ %.2e", c.packs, c.missProbability))
                    + (c.degradedPacks > 0 ? ", \(c.degradedPacks) degraded (`maimo repair`)" : "") + spare
            if json {
                print(try jsonText(["path": path, "packs": c.packs, "failedPacks": c.failedPacks, "unprovenPacks": c.unprovenPacks,
                                    "degradedPacks": c.degradedPacks, "sparePeers": c.spare, "missProbability": c.missProbability]))
            } else {
                print("path        \(path): \(verdict)")
            }
        }
        let bytes = proofs.reduce(0) { $0 + $1.bytes }
        if !json {
            let peers = Set(proofs.map(\.share.provider)).count
            print("\(proofs.count) copies and shares at \(peers) peer(s) proven with \(proofs.reduce(0) { $0 + $1.samples }) slices, \(humanBytes(UInt64(bytes))) received")
        }
        return worst
    }

    /// 1 when any proof failed, else 2 when any share was unreachable, else 0.
    static func status(of proofs: [Repository.BlobProof]) -> Int32 {
        if proofs.contains(where: { $0.outcome == .failed }) { return 1 }
        return proofs.contains(where: { $0.outcome == .unreachable }) ? 2 : 0
    }

    static func parseInterval(_ text: String) throws -> Double {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let unit = text.last, let scale = units[unit], let value = Double(text.dropLast()), value > 0 { return value * scale }
        if let value = Double(text), value > 0 { return value }
        throw CLIFile.Failure(description: "invalid --every \(text) (e.g. 90s, 30m, 6h, 1d)")
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Peers, what each holds, its last proofs and failures; snapshots.")
    @OptionGroup var options: HomeOptions
    @Flag(help: "Print one JSON object.") var json = false
    @Flag(name: .customLong("offline"), help: "Do not ask the peers for their usage.") var offline = false

    func run() throws {
        try engineRun("status") {
            let client = try options.open()
            defer { client.close() }
            let snapshots = try client.snapshots()
            let blobs = try client.index.blobs()
            let held = blobs.reduce(UInt64(0)) { $0 + $1.length }
            let redundancy = try client.configuredRedundancy()
            let summaries = try client.providerSummaries(reach: !offline)
            let iso = ISO8601DateFormatter()
            if json {
                let peers: [[String: Any]] = summaries.map { s in
                    var peer: [String: Any] = ["name": s.peer.name, "address": s.peer.address, "shares": s.shares, "bytes": s.bytes,
                                               "proven": s.ok, "failed": s.failed, "unreachable": s.unreachable, "unproven": s.unproven]
                    if let last = s.lastProof { peer["lastProof"] = iso.string(from: Date(timeIntervalSince1970: last)) }
                    if let usage = s.usage { peer["providerBlobs"] = usage.blobs; peer["providerUsed"] = usage.used; peer["providerQuota"] = usage.quota }
                    if let error = s.error { peer["error"] = error }
                    return peer
                }
                print(try jsonText(["node": client.home.nodeID.description, "snapshots": snapshots.count, "blobs": blobs.count, "bytes": held,
                                    "redundancy": redundancy.description, "peers": peers]))
                return
            }
            print("node \(client.home.nodeID)")
            print("\(snapshots.count) snapshots, \(blobs.count) blobs (\(humanBytes(held))); new blobs placed as \(redundancy)")
            for s in summaries {
                var line = "peer \(s.peer.name) \(s.peer.address): \(s.shares) copies/shares (\(humanBytes(s.bytes)))"
                line += "; last proofs \(s.ok) ok, \(s.failed) failed, \(s.unreachable) unreachable, \(s.unproven) never"
                if let last = s.lastProof { line += " (newest \(iso.string(from: Date(timeIntervalSince1970: last))))" }
                if let usage = s.usage { line += "; it reports \(usage.blobs) blobs, \(humanBytes(usage.used)) of \(humanBytes(usage.quota))" }
                if let error = s.error { line += "; unreachable (\(error))" }
                print(line)
            }
        }
    }
}

struct RepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Prove every share, then rebuild the failed, unreachable or missing ones from good ones onto other peers.",
        discussion: "Moves K shares' worth per rebuilt share (one copy's for copies), never the whole repository; each new share is proven before the old one is deleted. Rerun after an interruption to finish. Exit status: 0 all repaired, 1 otherwise.")
    @OptionGroup var options: HomeOptions
    @Option(name: .customLong("to"), help: "The peer to put rebuilt shares on (default: the first peer holding none of that blob).") var target: String?
    @Option(help: "Slices per share for the proofs first.") var samples = 64
    @Option(help: "Shares proven in parallel.") var jobs = 4
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        try engineRun("repair") {
            let client = try options.open()
            defer { client.close() }
            let line = ProgressLine()
            let result = try client.repair(to: target, samples: samples, loss: 0.01, workers: max(1, jobs)) { done, total in
                line.update("[\(done)/\(total) blobs] repaired")
            }
            line.finish()
            let r = result.report
            if json {
                print(try jsonText(["blobsDamaged": r.blobsDamaged, "blobsRepaired": r.blobsRepaired, "sharesWritten": r.sharesWritten,
                                    "sharesDeleted": r.sharesDeleted, "sharesLeft": r.sharesLeft, "bytesRead": r.bytesRead,
                                    "bytesWritten": r.bytesWritten, "failures": r.failures.map { ["blob": $0.root.description, "error": "\($0.error)"] }]))
            } else {
                print("\(result.proofs.count) shares proven; \(r.blobsDamaged) blob(s) needed repair, \(r.blobsRepaired) repaired: \(r.sharesWritten) share(s) written (\(humanBytes(r.bytesWritten))) from \(humanBytes(r.bytesRead)) read; \(r.sharesDeleted) bad share(s) deleted" + (r.sharesLeft > 0 ? ", \(r.sharesLeft) left at unreachable peers (`maimo prune` deletes them later)" : ""))
                for (root, error) in r.failures { Console.error("maimo repair: blob \(root.description.prefix(16)): \(error)") }
            }
            if !r.failures.isEmpty { throw ExitCode.failure }
        }
    }
}

extension PeerCommand {
    struct Retire: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retire",
            abstract: "Move everything a peer holds onto the others (each new share proven first), then forget the peer.")
        @OptionGroup var options: HomeOptions
        @Argument(help: "The peer to retire.") var name: String

        func run() throws {
            try engineRun("peer retire") {
                let client = try options.open()
                defer { client.close() }
                let line = ProgressLine()
                let report = try client.retire(peer: name) { done, total in line.update("[\(done)/\(total) blobs] moved") }
                line.finish()
                print("retired \(name): \(report.sharesWritten) share(s) re-placed (\(humanBytes(report.bytesWritten))), \(report.sharesDeleted) deleted there" + (report.sharesLeft > 0 ? ", \(report.sharesLeft) could not be deleted (it was unreachable)" : ""))
            }
        }
    }
}
