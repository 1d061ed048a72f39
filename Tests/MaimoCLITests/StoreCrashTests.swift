import Foundation
import MaimoTestSupport
import Testing

/// `maimo store` killed with SIGKILL at random moments, and the provider process killed under
/// it, in a loop (`MAIMO_ENGINE_KILLS` kills in all, default 50): after each kill a store run to
/// the end succeeds, every snapshot a store acknowledged retrieves byte for byte, and a prune
/// deletes the orphaned blobs the killed runs left at the provider. (`--keep` above the two
/// snapshots a round can make: no snapshot is forgotten by policy, so any that goes missing is a
/// loss; PruneCrashTests kills forgets.)
@Suite("store and provider killed at random moments")
struct StoreCrashTests {
    @Test func everyAcknowledgedSnapshotSurvivesKilledStoresAndProviders() throws {
        let kills = Int(ProcessInfo.processInfo.environment["MAIMO_ENGINE_KILLS"] ?? "") ?? 50
        // A killed store may have finished its snapshot, and the store after it makes another:
        // with `--keep 1000`, a run of 1,000 kills forgot its oldest snapshots from round 563 on.
        let keep = ["--keep", "\(max(100, 2 * kills + 10))"]
        let directory = try TemporaryDirectory()
        let repository = try CrashLoopRepository(root: directory.url.path)
        defer { repository.stop() }
        let maimo = Tool.maimo, served = repository.served, client = repository.client, data = repository.data
        let snapshotIDs = repository.snapshotIDs, check = repository.expectRestores

        var seed = SeededGenerator.fromEnvironment("everyAcknowledgedSnapshotSurvivesKilledStoresAndProviders")
        var model: [String: Data] = [:]
        func churn() throws {
            for name in model.keys.sorted() where Int.random(in: 0..<4, using: &seed) == 0 {
                model[name] = nil
                try FileManager.default.removeItem(atPath: data + "/" + name)
            }
            for _ in 0..<Int.random(in: 1...4, using: &seed) {
                model["f\(UInt32.random(in: 0...UInt32.max, using: &seed))"] = Data(randomBytes(Int.random(in: 0...60_000, using: &seed), using: &seed))
            }
            for (name, bytes) in model { try bytes.write(to: URL(fileURLWithPath: data + "/" + name)) }
        }

        var acknowledged: [String: [String: Data]] = [:]
        var clientKills = 0, providerKills = 0, killedRunning = 0, round = 0
        var lastStore = 0.4
        while clientKills + providerKills < kills {
            try churn()
            let store = Process()
            store.executableURL = maimo
            store.arguments = ["store", data] + keep + client
            store.standardOutput = FileHandle.nullDevice
            store.standardError = FileHandle.nullDevice
            try store.run()
            // Within the time a whole store took last round (and a little more), so that kills
            // land while it runs in a release build as in a debug one: with a fixed 10-400 ms,
            // a release run of 1,000 kills hit a running store 241 times.
            usleep(UInt32.random(in: 10_000...max(20_000, UInt32(lastStore * 1.2e6)), using: &seed))
            if store.isRunning { killedRunning += 1 }
            if round % 3 == 2 {
                // The provider dies under the store; the client must fail, not hang or lie.
                kill(served.server.processIdentifier, SIGKILL)
                providerKills += 1
                store.waitUntilExit()
                try served.restart()
            } else {
                kill(store.processIdentifier, SIGKILL)
                clientKills += 1
                store.waitUntilExit()
            }
            // A store run to the end afterwards succeeds and is acknowledged.
            let before = Set(try snapshotIDs())
            let started = Date()
            let result = try Tool.run(maimo, ["store", data] + keep + client)
            lastStore = min(2, Date().timeIntervalSince(started))
            #expect(result.status == 0, "round \(round): \(result.err)")
            let added = try snapshotIDs().filter { !before.contains($0) }
            #expect(added.count >= 1, "round \(round): no new snapshot")
            for id in added { acknowledged[id] = model }
            // The newest snapshot every round, an older one at random every fourth (all of them
            // after the prune below).
            if let newest = added.last { try check(newest, model, "round \(round)") }
            if round % 4 == 3, let (id, files) = acknowledged.randomElement(using: &seed) { try check(id, files, "round \(round), older") }
            round += 1
        }
        #expect(killedRunning >= kills / 3, "only \(killedRunning) of \(kills) kills hit a running store")

        // The killed runs left blobs the catalogue does not know: a prune deletes them (age 0),
        // a second finds none, and everything acknowledged still retrieves and verifies.
        let pruned = try Tool.run(maimo, ["prune", "--orphan-age", "0"] + client)
        #expect(pruned.status == 0, "\(pruned.err)")
        let again = try Tool.run(maimo, ["prune", "--orphan-age", "0"] + client)
        #expect(again.out.contains(" 0 orphaned blobs deleted"), "\(again.out)")
        for (id, files) in acknowledged { try check(id, files, "after the prune") }
        let verified = try Tool.run(maimo, ["verify"] + client)
        #expect(verified.status == 0, "\(verified.out)\(verified.err)")
        print("engine crash: \(clientKills) stores and \(providerKills) providers killed, \(killedRunning) while storing, "
              + "\(acknowledged.count) snapshots; \(pruned.out.split(separator: "\n").first ?? "")")
    }
}
