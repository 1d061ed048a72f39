// `maimo-hash`: `maimo hash` (a drop-in for b3sum) as an executable of its own, which links
// MaimoBlake3 and ArgumentParser and nothing of the engine — no Foundation, SwiftNIO or
// swift-crypto — so that it starts in a few milliseconds as b3sum does, not in the 11 the full
// `maimo` takes to load (Docs/Benchmarks.md, "BLAKE3 as a command").
import MaimoLeanCommands

prepareProcess()
LeanExecutable<HashCommand>.main(quickly: Array(CommandLine.arguments.dropFirst()))
Console.flush()
