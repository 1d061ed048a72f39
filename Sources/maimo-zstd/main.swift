// `maimo-zstd`: `maimo zstd` (the reference zstd's flags and output) as an executable of its
// own, which links MaimoZstd and ArgumentParser and nothing of the engine, so that it starts in a
// few milliseconds as zstd does (Docs/Benchmarks.md).
import MaimoLeanCommands

prepareProcess()
// The zstd-style flags (`-19`, `--fast=3`, `--long`) are rewritten as for `maimo zstd`.
let arguments = ZstdCommand.separateInputs(ZstdCommand.rewriteLevelFlags(["zstd"] + CommandLine.arguments.dropFirst()))
LeanExecutable<ZstdCommand>.main(quickly: Array(arguments.dropFirst()))
Console.flush()
