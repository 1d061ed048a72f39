import Foundation
import MaimoTestSupport
import Testing

/// `maimo prune`, `maimo forget` and `maimo rm` killed with SIGKILL at random moments, in a loop,
/// against a real provider process: after every kill each file of every kept snapshot still
/// retrieves byte for byte, only the snapshots a killed command was told to forget may be gone,
/// a rerun of the killed forget or rm finishes it, and a prune run to the end afterwards leaves a
/// repository that verifies.
@Suite("prune killed at random moments")
struct PruneCrashTests {
    @Test func everyKeptSnapshotSurvivesAKilledPrune() throws {
        let directory = try TemporaryDirectory()
        let repository = try CrashLoopRepository(root: directory.url.path)
        defer { repository.stop() }
        let maimo = Tool.maimo, client = repository.client, data = repository.data

        var seed = SeededGenerator.fromEnvironment("everyKeptSnapshotSurvivesAKilledPrune")
        var model: [String: Data] = [:]
        func churn() throws {
            // Rewrite, delete and add files: each run leaves part of the previous packs unused.
            for name in model.keys.sorted() where Int.random(in: 0..<3, using: &seed) == 0 {
                if Bool.random(using: &seed) {
                    model[name] = nil
                    try FileManager.default.removeItem(atPath: data + "/" + name)
                } else {
                    model[name] = Data(randomBytes(Int.random(in: 1...200_000, using: &seed), using: &seed))
                }
            }
            for _ in 0..<Int.random(in: 3...8, using: &seed) {
                model["f\(UInt32.random(in: 0...UInt32.max, using: &seed))"] = Data(randomBytes(Int.random(in: 0...200_000, using: &seed), using: &seed))
            }
            for (name, bytes) in model { try bytes.write(to: URL(fileURLWithPath: data + "/" + name)) }
        }
        let snapshotIDs = repository.snapshotIDs
        /// Every kept snapshot restores to what was stored in it.
        func checkEverySnapshot(_ expected: [String: [String: Data]], _ when: String) throws {
            let kept = try snapshotIDs()
            #expect(!kept.isEmpty, "\(when): no snapshots")
            for id in kept {
                let files = try #require(expected[id], "\(when): an unknown snapshot \(id)")
                try repository.expectRestores(id, files, when)
            }
        }

        var stored: [String: [String: Data]] = [:]
        var killedRunning = 0, kills = 0, forgetKills = 0
        let side = directory.url.path + "/side"
        let rounds = Int(ProcessInfo.processInfo.environment["MAIMO_PRUNE_ROUNDS"] ?? "") ?? 8
        for round in 0..<rounds {
            try churn()
            let before = Set(try snapshotIDs())
            let result = try Tool.run(maimo, ["store", data, "--keep", "3"] + client)
            #expect(result.status == 0, "round \(round): \(result.err)")
            for id in try snapshotIDs() where !before.contains(id) { stored[id] = model }

            // Prune (repacking everything with any unused share) and kill it partway.
            if try Tool.killed(maimo, ["prune", "--max-unused", "0%"] + client, after: UInt32.random(in: 20_000...600_000, using: &seed)) {
                killedRunning += 1
            }
            kills += 1
            try checkEverySnapshot(stored, "round \(round), after the kill")

            // Forget one older snapshot (even rounds) or rm a path stored on the side (odd
            // rounds), killed partway; then the same command run to the end.
            var command: [String], told: Set<String>
            if round % 2 == 0 {
                let older = Array(try snapshotIDs().dropLast())
                guard let victim = older.randomElement(using: &seed) else { continue }
                (command, told) = (["forget", victim], [victim])
            } else {
                try FileManager.default.createDirectory(atPath: side, withIntermediateDirectories: true)
                try Data(randomBytes(Int.random(in: 1...100_000, using: &seed), using: &seed)).write(to: URL(fileURLWithPath: side + "/s"))
                let before = Set(try snapshotIDs())
                let result = try Tool.run(maimo, ["store", side] + client)
                #expect(result.status == 0, "round \(round), side store: \(result.err)")
                let added = Set(try snapshotIDs()).subtracting(before)
                (command, told) = (["rm", side], added)
            }
            let beforeKill = Set(try snapshotIDs())
            if try Tool.killed(maimo, command + client, after: UInt32.random(in: 0...150_000, using: &seed)) {
                killedRunning += 1
                forgetKills += 1
            }
            kills += 1
            let afterKill = Set(try snapshotIDs())
            #expect(beforeKill.subtracting(afterKill).isSubset(of: told), "round \(round): a killed \(command[0]) lost other snapshots")
            // Run to the end when the killed one had not finished.
            if !afterKill.isDisjoint(with: told) {
                let rerun = try Tool.run(maimo, command + client)
                #expect(rerun.status == 0, "round \(round): \(command[0]) rerun: \(rerun.err)")
            }
            let afterRerun = Set(try snapshotIDs())
            #expect(afterRerun.isDisjoint(with: told), "round \(round): \(command[0]) left what it was told to forget")
            #expect(beforeKill.subtracting(told) == afterRerun, "round \(round): \(command[0]) changed other snapshots")
            for id in told { stored[id] = nil }
            try checkEverySnapshot(stored, "round \(round), after \(command[0])")
        }
        // Some kills must have landed while prune was working, or the loop proved nothing.
        #expect(killedRunning >= 3, "only \(killedRunning) of \(kills) kills hit a running command")
        print("prune crash: \(kills) kills, \(killedRunning) while running (\(forgetKills) of them forget or rm)")

        // A prune run to the end finishes what the killed ones started; everything still verifies.
        let finished = try Tool.run(maimo, ["prune", "--max-unused", "0%"] + client)
        #expect(finished.status == 0, "\(finished.err)")
        try checkEverySnapshot(stored, "after a whole prune")
        let verified = try Tool.run(maimo, ["verify"] + client)
        #expect(verified.status == 0, "\(verified.out)\(verified.err)")
    }
}
