import Foundation
import Testing

/// The engine's workflow through the `maimo` binary: a provider process, a client home, store,
/// verify, retrieve, ls, rm, status; and the demo.
@Suite("maimo engine commands")
struct EngineCommandTests {
    /// Starts `maimo provider serve` and returns it with the port it printed.
    static func serve(home: String, store: String) throws -> (Process, UInt16, Pipe) {
        let process = Process()
        process.executableURL = Tool.maimo
        process.arguments = ["provider", "serve", "--home", home, "--store", store, "--listen", "127.0.0.1:0"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on 127.0.0.1:") }),
               let port = UInt16(line.dropFirst("listening on 127.0.0.1:".count).prefix { $0.isNumber }) {
                return (process, port, output)
            }
        }
        process.terminate()
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the provider printed no port: \(text)"])
    }

    @Test func workflow() throws {
        let directory = try TemporaryDirectory()
        let root = directory.url.path
        let maimo = Tool.maimo
        let client = ["--home", root + "/client"], provider = ["--home", root + "/provider"]
        #expect(try Tool.run(maimo, ["init"] + client).status == 0)
        #expect(try Tool.run(maimo, ["init"] + provider).status == 0)
        let again = try Tool.run(maimo, ["init"] + client)
        #expect(again.status == 1 && again.err.contains("refusing to overwrite"))
        let clientID = try Tool.run(maimo, ["id"] + client).out.trimmingCharacters(in: .whitespacesAndNewlines)
        let providerID = try Tool.run(maimo, ["id"] + provider).out.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(clientID.hasSuffix(".onion") && clientID.count == 62)

        let (server, port, _) = try Self.serve(home: root + "/provider", store: root + "/store")
        defer { if server.isRunning { server.terminate() } }
        // Not allowed yet: a clear refusal.
        #expect(try Tool.run(maimo, ["peer", "add", "p", "127.0.0.1:\(port)", "--id", providerID] + client).status == 0)
        try FileManager.default.createDirectory(atPath: root + "/data/sub", withIntermediateDirectories: true)
        let files = ["data/a.txt": Data(String(repeating: "maimo stores files over tor\n", count: 5000).utf8),
                     "data/sub/b.bin": Data((0..<200_000).map { _ in UInt8.random(in: 0...255) }),
                     "data/sub/empty": Data()]
        for (name, data) in files { try directory.write(name, data) }
        let refused = try Tool.run(maimo, ["store", root + "/data"] + client)
        #expect(refused.status == 1 && refused.err.contains("allow-list"), "\(refused.err)")
        #expect(try Tool.run(maimo, ["provider", "allow", clientID, "--store", root + "/store"]).status == 0)

        let stored = try Tool.run(maimo, ["store", root + "/data", "--rm-local"] + client)
        #expect(stored.status == 0, "\(stored.err)")
        #expect(stored.out.contains("3 stored, 0 unchanged, 0 failed"), "\(stored.out)")
        for name in files.keys { #expect(!FileManager.default.fileExists(atPath: root + "/" + name)) }
        let listing = try Tool.run(maimo, ["ls"] + client).out
        #expect(listing.split(separator: "\n").count == 3 && listing.contains(root + "/data/sub/b.bin"))

        let verified = try Tool.run(maimo, ["verify"] + client)
        #expect(verified.status == 0 && verified.out.split(separator: "\n").filter { $0.hasPrefix("ok") }.count == 3, "\(verified.out)\(verified.err)")
        let sampled = try Tool.run(maimo, ["verify", root + "/data/sub/b.bin", "--samples", "3"] + client)
        #expect(sampled.status == 0 && sampled.out.contains("3 slices") && sampled.out.contains("miss probability"), "\(sampled.out)")
        let unknown = try Tool.run(maimo, ["verify", root + "/nothing"] + client)
        #expect(unknown.status == 1 && unknown.err.contains("not in the catalogue"))

        let retrieved = try Tool.run(maimo, ["retrieve", root + "/data"] + client)
        #expect(retrieved.status == 0, "\(retrieved.err)")
        for (name, data) in files { #expect(FileManager.default.contents(atPath: root + "/" + name) == data, "\(name)") }
        let copy = try Tool.run(maimo, ["retrieve", root + "/data/a.txt", "-o", root + "/copy.txt"] + client)
        #expect(copy.status == 0 && FileManager.default.contents(atPath: root + "/copy.txt") == files["data/a.txt"])

        let status = try Tool.run(maimo, ["status"] + client).out
        #expect(status.contains("3 files") && status.contains("peer p 127.0.0.1:\(port): 3 blobs") && status.contains("3 ok"), "\(status)")
        #expect(try Tool.run(maimo, ["rm", root + "/data/sub/empty"] + client).status == 0)
        #expect(try Tool.run(maimo, ["config", "keep", "2"] + client).out == "keep = 2\n")
        #expect(try Tool.run(maimo, ["config"] + client).out.contains("keep\t2"))
        #expect(try Tool.run(maimo, ["config", "keep", "0"] + client).status == 1)
        #expect(try Tool.run(maimo, ["ls"] + client).out.split(separator: "\n").count == 2)

        // The provider stops cleanly on SIGTERM; then the client says the peer is unreachable.
        server.terminate()
        server.waitUntilExit()
        #expect(server.terminationStatus == 0)
        let unreachable = try Tool.run(maimo, ["verify"] + client)
        #expect(unreachable.status == 2 && unreachable.out.contains("unreachable"), "\(unreachable.out)")
    }

    @Test func demo() throws {
        let run = try Tool.run(Tool.maimo, ["demo", "--files", "60", "--mebibytes", "4"])
        #expect(run.status == 0, "\(run.out)\(run.err)")
        #expect(run.out.contains("byte for byte identical to the originals: yes"))
        #expect(run.out.contains("verify says failed"))
        #expect(run.out.contains("local copies deleted: yes"))
    }
}
