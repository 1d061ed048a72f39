// Command-line options shared by the comparison executables.

/// The integer after `--name` on the command line, or `fallback` (also when it is missing or
/// not a number).
public func option(_ name: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments
    return arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil } ?? fallback
}
