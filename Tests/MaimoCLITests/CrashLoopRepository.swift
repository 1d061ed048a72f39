import Foundation
import MaimoTestSupport
import Testing

/// What the engine's crash loops share: a client home with a provider process serving it, a
/// folder of data to store, and the checks that a snapshot still restores exactly.
final class CrashLoopRepository {
    let root: String
    /// The folder the loops store.
    let data: String
    let served: EngineCommandTests.ServedClient
    /// `--home` of the client, to append to commands.
    var client: [String] { served.client }

    init(root: String) throws {
        self.root = root
        served = try EngineCommandTests.ServedClient(root: root)
        data = root + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    }

    func stop() { served.stop() }

    /// The snapshot IDs `maimo ls --snapshots --json` lists.
    func snapshotIDs() throws -> [String] {
        try Tool.run(Tool.maimo, ["ls", "--snapshots", "--json"] + client).out.split(separator: "\n").compactMap { line in
            (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["snapshot"] as? String
        }
    }

    /// Snapshot `id` retrieves to exactly `files` (name → bytes); `when` names the moment.
    func expectRestores(_ id: String, _ files: [String: Data], _ when: String) throws {
        let out = root + "/out-\(id.prefix(12))"
        try? FileManager.default.removeItem(atPath: out)
        defer { try? FileManager.default.removeItem(atPath: out) }
        let restored = try Tool.run(Tool.maimo, ["retrieve", data, "--snapshot", id, "-o", out] + client)
        #expect(restored.status == 0, "\(when): snapshot \(id.prefix(12)): \(restored.err)")
        let names = Set((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? [])
        #expect(names == Set(files.keys), "\(when): snapshot \(id.prefix(12)) has other files")
        for (name, bytes) in files where FileManager.default.contents(atPath: out + "/" + name) != bytes {
            Issue.record("\(when): \(name) of snapshot \(id.prefix(12)) differs")
        }
    }
}
