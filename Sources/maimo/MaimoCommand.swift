import ArgumentParser
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
        subcommands: [InitCommand.self, IDCommand.self, ProviderCommand.self, PeerCommand.self, StoreCommand.self, VerifyCommand.self, RetrieveCommand.self, ListCommand.self, RemoveCommand.self, StatusCommand.self, ForgetCommand.self, PruneCommand.self, RecoverCommand.self, ConfigCommand.self, DictCommand.self, HashCommand.self, BaoCommand.self, KeygenCommand.self, EncryptCommand.self, DecryptCommand.self, ZstdCommand.self, KVCommand.self, IndexCommand.self, DemoCommand.self]
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
        let arguments = ZstdCommand.rewriteLevelFlags(Array(CommandLine.arguments.dropFirst()))
        main(arguments)
    }
}
