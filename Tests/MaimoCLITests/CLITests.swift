import Foundation
import Testing

/// What every user of the `maimo` command meets first.
@Suite("maimo command")
struct CLITests {
    @Test func versionAndHelp() throws {
        let version = try Tool.run(Tool.maimo, ["--version"])
        #expect(version.status == 0 && version.out.hasPrefix("0."), "\(version.out)\(version.err)")
        let help = try Tool.run(Tool.maimo, ["--help"])
        #expect(help.status == 0 && help.out.contains("zstd") && help.out.contains("store"), "\(help.out)")
        let unknown = try Tool.run(Tool.maimo, ["no-such-command"])
        #expect(unknown.status == 64 && unknown.err.contains("no-such-command"), "\(unknown.err)")
    }
}
