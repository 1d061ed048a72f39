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
        // Past a file size limit (`ulimit -f`) a write fails with EFBIG, reported with its path
        // like a full disk, instead of the signal killing the process in the middle of a write.
        signal(SIGXFSZ, SIG_IGN)
        #if canImport(Glibc)
        // glibc raises its mmap threshold after the first large block is freed (up to 32 MiB),
        // so the 16 MiB packs of a store then come from the threads' heaps and stay resident
        // there: a 1 GiB store peaked at 208 MB. Fixed at 12 MiB, packs are mapped and handed
        // back when freed while runs and chunks (≤ 4 MiB) stay on the heap; the trim threshold,
        // which a fixed mmap threshold would leave at 128 KiB (a page fault storm on every
        // restore), goes to 64 MiB. Measured: 166 MB for the same store, demo store and
        // retrieve no slower. (`mallopt` is not in Swift's Glibc module: looked up by name.)
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
            typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
            let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
            _ = mallopt(-3, 12 << 20)   // M_MMAP_THRESHOLD
            _ = mallopt(-1, 64 << 20)   // M_TRIM_THRESHOLD
        }
        #endif
        let arguments = ZstdCommand.rewriteLevelFlags(Array(CommandLine.arguments.dropFirst()))
        main(arguments)
    }
}
