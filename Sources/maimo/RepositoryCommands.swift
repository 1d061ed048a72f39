import ArgumentParser
import MaimoLeanCommands
import Foundation
import Maimo
import MaimoRepository
#if canImport(Glibc)
import Glibc
#endif

// The repository commands (Docs/Repository.md): store, retrieve, ls, rm, forget, prune, recover
// (verify, status and repair are in ProofCommands.swift). Parsing and printing only; the work is `RepositoryClient`'s.

struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Store files and directory trees as one new snapshot (unchanged files are not read again).")
    @OptionGroup var options: HomeOptions
    @Argument(help: "Files and directories.") var paths: [String]
    @Option(name: .customLong("to"), help: "The peer to hold the repository (the first store fixes it; default: the first peer).") var peer: String?
    @Option(help: "How this run places its blobs: copies:N (whole copies on N peers) or K-of-N (Reed–Solomon shares on N peers, any K enough); default: the `redundancy` setting, one copy.") var redundancy: String?
    @Flag(name: .customLong("rm-local"), help: "Delete each stored file afterwards if it is still as it was stored.") var removeLocal = false
    @Option(help: "zstd level 1–19 (default: the `level` setting, 3).") var level: Int?
    @Option(name: .customLong("dict"), help: "A dictionary ID from `maimo dict train` (default: the catalogue's default).") var dictionary: UInt32?
    @Flag(name: .customLong("no-pad"), help: "Do not pad packs to hide exact sizes.") var noPad = false
    @Option(help: "Packs uploaded at once.") var jobs = 2
    @Option(help: "Snapshots of the same paths to keep (default: the `keep` setting, 5); older ones are forgotten.") var keep: Int?
    @Flag(help: "Print the report as JSON.") var json = false

    func run() throws {
        try engineRun("store") {
            let client = try options.open()
            defer { client.close() }
            let catalogue = client.home.catalogue
            var store = RepositoryClient.StoreOptions()
            store.peer = peer
            store.redundancy = try redundancy.map { try Redundancy(parsing: $0) }
            store.removeLocal = removeLocal
            let level = try self.level ?? catalogue.setting("level").flatMap { Int($0) } ?? 3
            guard (1...19).contains(level) else { throw CLIFile.Failure(description: "--level must be 1 to 19") }
            store.level = level
            store.pad = !noPad
            store.uploads = max(1, jobs)
            store.dictionaryID = try dictionary ?? catalogue.setting("dictionary").flatMap { UInt32($0) }  // "" = none
            store.keep = try keep ?? catalogue.setting("keep").flatMap { Int($0) } ?? 5
            let line = ProgressLine()
            let result = try client.store(paths, options: store) { p in
                let rate = Double(p.bytesSent) / max(line.elapsed, 0.001) / 1e6
                line.update("[\(p.filesDone)/\(p.filesTotal) files] \(humanBytes(p.bytesDone)) of \(humanBytes(p.bytesTotal)) read, \(humanBytes(p.bytesSent)) sent, \(String(format: "%.1f", rate)) MB/s")
            }
            line.finish()
            let r = result.report
            if json {
                let fields: [String: Any] = [
                    "snapshot": r.snapshot.blob.description, "peer": result.peer, "redundancy": result.redundancy.description, "files": r.files, "directories": r.directories,
                    "symlinks": r.symlinks, "unchangedFiles": r.unchangedFiles, "skipped": r.skipped, "bytesRead": r.bytesRead,
                    "newChunks": r.newChunks, "newTrees": r.newTrees, "duplicateChunks": r.duplicateItems, "blobsUploaded": r.blobsUploaded,
                    "bytesUploaded": r.bytesUploaded, "seconds": r.seconds, "forgotten": result.forgotten, "removedLocal": result.removed,
                ]
                print(try jsonText(fields))
                return
            }
            let placed = result.redundancy == .single ? "at \(result.peer)" : "with \(result.redundancy)"
            print("snapshot \(r.snapshot.blob.description.prefix(16)) \(placed): \(r.files) files (\(r.unchangedFiles) unchanged), \(r.directories) directories, \(r.symlinks) symlinks")
            print("\(humanBytes(r.bytesRead)) read, \(r.newChunks) new chunks (\(r.duplicateItems) already stored), \(humanBytes(r.bytesUploaded)) in \(r.blobsUploaded) blobs uploaded in \(String(format: "%.2f", r.seconds)) s")
            for path in r.skipped { Console.error("maimo store: skipped \(path) (not a file, directory or symlink)") }
            if result.forgotten > 0 { print("forgot \(result.forgotten) older snapshot(s) of the same paths (`maimo prune` frees their space)") }
            if removeLocal { print("removed \(result.removed) local file(s)") }
        }
    }
}

struct RetrieveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieve", abstract: "Bring a stored path back as it was: files, directories, symlinks, modes and times, every byte verified.")
    @OptionGroup var options: HomeOptions
    @Argument(help: "The stored path (a file, a directory or a symlink).") var path: String
    @Option(help: "A snapshot (a prefix of its ID, see `maimo ls --snapshots`; default: the newest holding the path).") var snapshot: String?
    @Option(name: .shortAndLong, help: "Where to write (default: the stored path).") var output: String?
    @Option(help: "Pack ranges read and written in parallel.") var jobs = 4
    @Flag(help: "Flush the restored files to disk before returning (default: the kernel writes them back, as with restic, tar or cp).") var sync = false

    func run() throws {
        try engineRun("retrieve") {
            let client = try options.open()
            defer { client.close() }
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            let report = try client.retrieve(absolute, snapshot: snapshot, to: output, workers: max(1, jobs), sync: sync)
            for failure in report.failures { Console.error("maimo retrieve: \(failure.path): \(failure.error)") }
            print("\(output ?? absolute): \(report.files) files (\(humanBytes(report.bytes))), \(report.directories) directories, \(report.symlinks) symlinks"
                  + (report.failures.isEmpty ? "" : ", \(report.failures.count) failed") + " in \(String(format: "%.2f", report.seconds)) s")
            if !report.failures.isEmpty { throw ExitCode.failure }
        }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List what a snapshot holds under a path, or the snapshots.")
    @OptionGroup var options: HomeOptions
    @Argument(help: "A stored path (default: every snapshot's paths).") var path: String?
    @Flag(help: "List the snapshots instead.") var snapshots = false
    @Flag(help: "Print JSON lines.") var json = false

    func run() throws {
        try engineRun("ls") {
            let client = try options.open()
            defer { client.close() }
            let formatter = ISO8601DateFormatter()
            if snapshots || path == nil {
                for record in try client.snapshots() {
                    let s = record.snapshot
                    let date = formatter.string(from: Date(timeIntervalSince1970: Double(s.time) / 1000))
                    if json {
                        print(try jsonText(["snapshot": record.blob.description, "time": date, "host": s.host, "paths": s.paths,
                                            "files": s.files, "bytes": s.bytes]))
                    } else {
                        print("\(record.blob.description.prefix(16))\t\(date)\t\(s.files) files\t\(humanBytes(s.bytes))\t\(s.paths.joined(separator: " "))")
                    }
                }
                return
            }
            let absolute = URL(fileURLWithPath: path ?? "/").standardizedFileURL.path
            for (name, entry) in try client.list(absolute) {
                let date = formatter.string(from: Date(timeIntervalSince1970: Double(entry.mtime) / 1e9))
                let mode = String(entry.mode, radix: 8)
                var kind = "file", size: UInt64 = 0, target = ""
                switch entry.content {
                case let .file(length, _): size = length
                case .directory: kind = "dir"
                case let .symlink(bytes): kind = "link"; target = String(decoding: bytes, as: UTF8.self)
                }
                if json {
                    print(try jsonText(["path": name, "kind": kind, "size": size, "mode": mode, "mtime": date, "target": target]))
                } else {
                    print("\(kind)\t\(mode)\t\(size)\t\(date)\t\(name)" + (target.isEmpty ? "" : " -> \(target)"))
                }
            }
        }
    }
}

struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Forget the snapshots that stored only this path (or paths under it); `maimo prune` then frees the space.")
    @OptionGroup var options: HomeOptions
    @Argument var path: String

    func run() throws {
        try engineRun("rm") {
            let client = try options.open()
            defer { client.close() }
            let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
            let matching = try client.snapshots().filter { record in
                record.snapshot.paths.allSatisfy { $0 == absolute || $0.hasPrefix(absolute + "/") }
            }
            guard !matching.isEmpty else { throw CLIFile.Failure(description: "\(path): no snapshot stored only this path") }
            let forgotten = try client.forget(policy: ForgetPolicy(last: 1), snapshots: matching.map(\.blob.description))
            print("forgot \(forgotten.count) snapshot(s) of \(absolute); run `maimo prune` to free their space")
        }
    }
}

struct ForgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget", abstract: "Forget snapshots, by ID or by a policy (per host and set of paths); `maimo prune` frees the space.")
    @OptionGroup var options: HomeOptions
    @Argument(help: "Snapshot IDs (prefixes) to forget.") var snapshots: [String] = []
    @Option(name: .customLong("keep-last")) var last = 0
    @Option(name: .customLong("keep-daily")) var daily = 0
    @Option(name: .customLong("keep-weekly")) var weekly = 0
    @Option(name: .customLong("keep-monthly")) var monthly = 0
    @Flag(help: "Also prune afterwards.") var prune = false

    func run() throws {
        try engineRun("forget") {
            let policy = ForgetPolicy(last: last, daily: daily, weekly: weekly, monthly: monthly)
            guard !snapshots.isEmpty || policy.keepsSomething else {
                throw CLIFile.Failure(description: "give snapshot IDs or a policy (--keep-last, --keep-daily, --keep-weekly, --keep-monthly)")
            }
            let client = try options.open()
            defer { client.close() }
            let forgotten = try client.forget(policy: policy, snapshots: snapshots)
            print("forgot \(forgotten.count) snapshot(s)")
            if prune { PruneCommand.print(try client.prune(maximumUnused: 0.1)) }
        }
    }
}

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Delete packs no kept snapshot needs, repack mostly unused ones; safe to interrupt.")
    @OptionGroup var options: HomeOptions
    @Option(name: .customLong("max-unused"), help: "Repack a pack whose unused share passes this (e.g. 10%).") var maxUnused = "10%"
    @Option(name: .customLong("orphan-age"),
            help: "Delete blobs the catalogue does not know (left by a killed run) once sealed this many seconds ago.")
    var orphanAge: Double = 3600

    func run() throws {
        try engineRun("prune") {
            let text = maxUnused.hasSuffix("%") ? String(maxUnused.dropLast()) : maxUnused
            guard let value = Double(text), value >= 0, value <= 100 else { throw CLIFile.Failure(description: "--max-unused must be 0% to 100%") }
            let client = try options.open()
            defer { client.close() }
            guard orphanAge >= 0 else { throw CLIFile.Failure(description: "--orphan-age must be 0 or more seconds") }
            Self.print(try client.prune(maximumUnused: maxUnused.hasSuffix("%") ? value / 100 : value, orphanGrace: orphanAge))
        }
    }

    static func print(_ report: Repository.PruneReport) {
        Swift.print("pruned: \(report.packsDeleted) packs deleted, \(report.packsRepacked) repacked into \(report.packsWritten), \(report.itemsRemoved) items removed, \(report.orphansDeleted) orphaned blobs deleted; \(humanBytes(report.bytesFreed)) freed, \(humanBytes(report.bytesWritten)) written")
        if report.orphansKept > 0 {
            Swift.print("kept: \(report.orphansKept) orphaned blobs sealed less than --orphan-age ago (perhaps a store still running elsewhere)")
        }
        if report.foreignBlobs > 0 {
            Swift.print("left alone: \(report.foreignBlobs) blobs at the provider that are not this repository's (they do not open under its keys)")
        }
    }
}

struct RecoverCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recover",
        abstract: "Rebuild the catalogue from the peers alone (after `maimo init --recover` and `maimo peer add`): every copy and share at every peer is found.")
    @OptionGroup var options: HomeOptions
    @Option(name: .customLong("from"), help: "The peer to hold single copies from now on (default: the repository's peer, or the first); every peer is read.") var peer: String?

    func run() throws {
        try engineRun("recover") {
            let client = try options.open()
            defer { client.close() }
            let report = try client.recover(from: peer)
            print("recovered \(report.snapshots) snapshot(s), \(report.packs) packs (\(report.items) items), \(report.indexes) index blob(s) from \(report.blobs) blobs (\(report.shares) copies and shares) in \(String(format: "%.2f", report.seconds)) s")
            for (peer, error) in report.unlisted { Console.error("maimo recover: peer \(peer) could not be listed: \(error)") }
            for (root, error) in report.unreadable { Console.error("maimo recover: blob \(root.description.prefix(16)) skipped: \(error)") }
            for root in report.missingPacks { Console.error("maimo recover: pack \(root.description.prefix(16)) is named by an index but the provider does not list it") }
            if !report.missingPacks.isEmpty { throw ExitCode.failure }
        }
    }
}

/// One JSON object on a line, keys sorted.
func jsonText(_ object: [String: Any]) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}
