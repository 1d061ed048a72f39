import ArgumentParser
import MaimoLeanCommands
import Maimo
#if canImport(Glibc)
import Glibc
#endif

@main
struct MaimoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maimo",
        abstract: "Verifiable remote storage over Tor, and the pure-Swift libraries it is built from.",
        discussion: """
            Each library can be tried from here and checked against the tool people already trust:
            `maimo hash` behaves like b3sum, `maimo bao` like the bao CLI, `maimo zstd` like zstd.
            """,
        version: maimoVersion,
        subcommands: [InitCommand.self, IDCommand.self, ProviderCommand.self, PeerCommand.self, StoreCommand.self, VerifyCommand.self, RetrieveCommand.self, ListCommand.self, RemoveCommand.self, StatusCommand.self, RepairCommand.self, ForgetCommand.self, PruneCommand.self, RecoverCommand.self, ConfigCommand.self, DictCommand.self, HashCommand.self, BaoCommand.self, KeygenCommand.self, EncryptCommand.self, DecryptCommand.self, ZstdCommand.self, KVCommand.self, IndexCommand.self, DemoCommand.self]
    )

    /// Rewrites zstd-style `-19` level flags, then runs as usual.
    static func main() {
        prepareProcess()
        // Packs (16 MiB) mapped and handed back when freed while runs and chunks (≤ 4 MiB) stay
        // on the heap; trimming at 64 MiB (at 128 KiB every restore would fault its buffers in
        // again). Measured: a 1 GiB store peaked at 208 MB with glibc's moving threshold, 166 MB
        // with this; demo store and retrieve no slower. `maimo provider serve` sets its own.
        Allocator.fixThresholds(mmapThreshold: 12 << 20, trimThreshold: 64 << 20)
        let arguments = ZstdCommand.separateInputs(ZstdCommand.rewriteLevelFlags(Array(CommandLine.arguments.dropFirst())))
        main(arguments)
    }
}
