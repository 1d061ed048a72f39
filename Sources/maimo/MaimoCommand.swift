import ArgumentParser
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
        version: "0.2.0-dev (unreleased changes since 0.1.0; see CHANGELOG.md)",
        subcommands: [InitCommand.self, IDCommand.self, ProviderCommand.self, PeerCommand.self, StoreCommand.self, VerifyCommand.self, RetrieveCommand.self, ListCommand.self, RemoveCommand.self, StatusCommand.self, RepairCommand.self, ForgetCommand.self, PruneCommand.self, RecoverCommand.self, ConfigCommand.self, DictCommand.self, HashCommand.self, BaoCommand.self, KeygenCommand.self, EncryptCommand.self, DecryptCommand.self, ZstdCommand.self, KVCommand.self, IndexCommand.self, DemoCommand.self]
    )

    /// Rewrites zstd-style `-19` level flags, then runs as usual.
    static func main() {
        // A parent may have blocked these (test runners do, and children inherit the mask):
        // maimo must stop when asked.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        // Past a file size limit (`ulimit -f`) a write fails with EFBIG, reported with its path
        // like a full disk, instead of the signal killing the process in the middle of a write.
        signal(SIGXFSZ, SIG_IGN)
        // Packs (16 MiB) mapped and handed back when freed while runs and chunks (≤ 4 MiB) stay
        // on the heap; trimming at 64 MiB (at 128 KiB every restore would fault its buffers in
        // again). Measured: a 1 GiB store peaked at 208 MB with glibc's moving threshold, 166 MB
        // with this; demo store and retrieve no slower. `maimo provider serve` sets its own.
        Allocator.fixThresholds(mmapThreshold: 12 << 20, trimThreshold: 64 << 20)
        let arguments = ZstdCommand.separateInputs(ZstdCommand.rewriteLevelFlags(Array(CommandLine.arguments.dropFirst())))
        main(arguments)
    }
}
