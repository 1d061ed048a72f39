// `maimo-zstd`: `maimo zstd` (the reference zstd's flags and output) as an executable of its
// own, which links MaimoZstd and ArgumentParser and nothing of the engine, so that it starts in a
// few milliseconds as zstd does (Docs/Benchmarks.md).
import ArgumentParser
import MaimoLeanCommands

struct ZstdMain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maimo-zstd", abstract: ZstdCommand.configuration.abstract,
        discussion: ZstdCommand.configuration.discussion, version: maimoVersion)

    @OptionGroup var command: ZstdCommand

    func validate() throws { try command.validate() }

    func run() throws { try command.run() }
}

prepareProcess()
// The zstd-style flags (`-19`, `--fast=3`, `--long`) are rewritten as for `maimo zstd`.
let rewritten = ZstdCommand.separateInputs(ZstdCommand.rewriteLevelFlags(["zstd"] + CommandLine.arguments.dropFirst()))
ZstdMain.main(Array(rewritten.dropFirst()))
Console.flush()
