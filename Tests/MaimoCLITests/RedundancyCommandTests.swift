import Foundation
import Testing

/// Redundancy through the `maimo` binary with three provider processes: `config redundancy`,
/// `verify`'s exit statuses, `status --json`, `repair --to` (killed at random moments, then
/// rerun), `peer retire` (Docs/Repository.md §12).
@Suite("maimo redundancy commands")
struct RedundancyCommandTests {
    @Test func copiesOnThreeProvidersThroughTheCommands() throws {
        let directory = try TemporaryDirectory()
        let root = directory.url.path
        let maimo = Tool.maimo
        let client = ["--home", root + "/client"]
        #expect(try Tool.run(maimo, ["init"] + client).status == 0)
        let clientID = try Tool.run(maimo, ["id"] + client).out.trimmingCharacters(in: .whitespacesAndNewlines)
        var servers: [String: Process] = [:]
        defer { for server in servers.values where server.isRunning { server.terminate() } }
        for name in ["a", "b", "c"] {
            #expect(try Tool.run(maimo, ["init", "--home", root + "/" + name]).status == 0)
            let id = try Tool.run(maimo, ["id", "--home", root + "/" + name]).out.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try Tool.run(maimo, ["provider", "allow", clientID, "--store", root + "/store-" + name]).status == 0)
            let (server, port) = try EngineCommandTests.serve(home: root + "/" + name, store: root + "/store-" + name)
            servers[name] = server
            #expect(try Tool.run(maimo, ["peer", "add", name, "127.0.0.1:\(port)", "--id", id] + client).status == 0)
        }
        let tooMany = try Tool.run(maimo, ["config", "redundancy", "2-of-5"] + client)
        #expect(tooMany.status == 1 && tooMany.err.contains("needs 5 peers"), "\(tooMany.err)")
        #expect(try Tool.run(maimo, ["config", "redundancy", "copies:2"] + client).out.contains("redundancy = copies:2"))
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        let files = ["data/a.txt": Data(String(repeating: "two copies, each its own bytes\n", count: 4000).utf8),
                     "data/b.bin": Data((0..<300_000).map { _ in UInt8.random(in: 0...255) })]
        for (name, data) in files { try directory.write(name, data) }
        let stored = try Tool.run(maimo, ["store", root + "/data", "--json"] + client)
        #expect(stored.status == 0 && stored.out.contains("\"redundancy\":\"copies:2\""), "\(stored.out)\(stored.err)")

        let verified = try Tool.run(maimo, ["verify"] + client)
        #expect(verified.status == 0 && verified.out.contains("@a") && verified.out.contains("@b") && !verified.out.contains("@c"), "\(verified.out)")
        #expect(verified.out.contains("1 more peer(s) may fail"), "\(verified.out)")
        let status = try Tool.run(maimo, ["status", "--json"] + client)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any], "\(status.out)")
        let peers = try #require(object["peers"] as? [[String: Any]])
        let shares = Dictionary(uniqueKeysWithValues: peers.map { ($0["name"] as? String ?? "", $0["shares"] as? Int ?? -1) })
        #expect(shares["a"] == shares["b"] && (shares["a"] ?? 0) > 0 && shares["c"] == 0, "\(status.out)")
        #expect(object["redundancy"] as? String == "copies:2")

        // b stopped: only reachability failed (2); repair onto c; all proven (0).
        servers["b"]?.terminate()
        servers["b"]?.waitUntilExit()
        let degraded = try Tool.run(maimo, ["verify", "--json"] + client)
        #expect(degraded.status == 2, "\(degraded.out)\(degraded.err)")
        #expect(degraded.out.contains("\"outcome\":\"unreachable\"") && degraded.out.contains("\"sparePeers\":0"), "\(degraded.out)")
        // Repair killed at random moments: after each kill everything still retrieves; the
        // rerun below finishes it.
        var generator = SystemRandomNumberGenerator()
        var hitRunning = 0
        for round in 0..<5 {
            if try Tool.killed(maimo, ["repair", "--to", "c"] + client, after: UInt32.random(in: 20_000...400_000, using: &generator)) {
                hitRunning += 1
            }
            let side = try Tool.run(maimo, ["retrieve", root + "/data/b.bin", "-o", root + "/side-\(round)"] + client)
            #expect(side.status == 0 && FileManager.default.contents(atPath: root + "/side-\(round)") == files["data/b.bin"],
                    "round \(round): \(side.err)")
        }
        print("repair crash: \(hitRunning) of 5 kills hit a running repair")
        let repaired = try Tool.run(maimo, ["repair", "--to", "c", "--json"] + client)
        #expect(repaired.status == 0 && repaired.out.contains("\"failures\":[]"), "\(repaired.out)\(repaired.err)")
        #expect(try Tool.run(maimo, ["verify"] + client).status == 0)

        // a retired while b is down: its copies have nowhere to go (c holds the others): refused,
        // nothing lost.
        let refused = try Tool.run(maimo, ["peer", "retire", "a"] + client)
        #expect(refused.status == 1, "\(refused.out)\(refused.err)")
        #expect(try Tool.run(maimo, ["peer", "ls"] + client).out.contains("a\t"))
        #expect(try Tool.run(maimo, ["verify"] + client).status == 0)
        // b back (on a new port): a's copies move there, proven, and a is forgotten.
        let bID = try Tool.run(maimo, ["id", "--home", root + "/b"]).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let (server, port) = try EngineCommandTests.serve(home: root + "/b", store: root + "/store-b")
        servers["b"] = server
        #expect(try Tool.run(maimo, ["peer", "add", "b", "127.0.0.1:\(port)", "--id", bID] + client).status == 0)
        let retired = try Tool.run(maimo, ["peer", "retire", "a"] + client)
        #expect(retired.status == 0 && retired.out.contains("retired a"), "\(retired.out)\(retired.err)")
        #expect(!(try Tool.run(maimo, ["peer", "ls"] + client).out.contains("a\t")))
        servers["a"]?.terminate()
        let after = try Tool.run(maimo, ["verify"] + client)
        #expect(after.status == 0 && after.out.contains("@b") && after.out.contains("@c") && !after.out.contains("@a"), "\(after.out)")
        for name in files.keys { try FileManager.default.removeItem(atPath: root + "/" + name) }
        let retrieved = try Tool.run(maimo, ["retrieve", root + "/data"] + client)
        #expect(retrieved.status == 0, "\(retrieved.err)")
        for (name, data) in files { #expect(FileManager.default.contents(atPath: root + "/" + name) == data, "\(name)") }
    }
}
