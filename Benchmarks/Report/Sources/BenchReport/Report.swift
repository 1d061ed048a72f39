import Foundation

/// A benchmark run: what ran, where, and every figure measured.
public struct Report: Codable, Sendable, Equatable {
    /// The command line that made the report.
    public var command: String
    /// When the run started (ISO 8601).
    public var started: String
    /// The machine and the build, as the run found them ("cpu", "cores", "memory", "swift",
    /// "build", "os").
    public var machine: [String: String]
    /// `quick` or `full`.
    public var mode: String
    /// The figures, in the order measured.
    public var figures: [Figure]

    /// A report with the given fields.
    public init(command: String, started: String, machine: [String: String], mode: String, figures: [Figure] = []) {
        (self.command, self.started, self.machine, self.mode, self.figures) = (command, started, machine, mode, figures)
    }

    /// The modules in the order of their first figure.
    public var modules: [String] {
        var seen: [String] = []
        for figure in figures where !seen.contains(figure.module) { seen.append(figure.module) }
        return seen
    }

    /// The report as JSON (sorted keys, pretty-printed; `/` escaped, so it can sit in a
    /// `<script>` element).
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Writes `maimo-bench.json` and `maimo-bench.html` into `directory`; returns their paths.
    @discardableResult
    public func write(toDirectory directory: String) throws -> (json: String, html: String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let json = directory + "/maimo-bench.json", html = directory + "/maimo-bench.html"
        try self.json().write(to: URL(fileURLWithPath: json))
        try Data(try self.html().utf8).write(to: URL(fileURLWithPath: html))
        return (json, html)
    }
}

/// Numbers as the report prints them: three significant digits, no exponent for everyday sizes.
public func formatted(_ value: Double) -> String {
    guard value.isFinite else { return "–" }
    let magnitude = abs(value)
    if magnitude >= 100 { return String(format: "%.0f", value) }
    if magnitude >= 10 { return String(format: "%.1f", value) }
    if magnitude >= 1 { return String(format: "%.2f", value) }
    if magnitude == 0 { return "0" }
    return String(format: "%.3g", value)
}

/// A byte count as people read it ("64 KiB", "1 MiB", "1000 B").
public func formattedSize(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB"]
    var value = Double(bytes), unit = 0
    while value >= 1024, unit < units.count - 1, value.truncatingRemainder(dividingBy: 1024) == 0 || value >= 1024 * 1024 {
        value /= 1024
        unit += 1
    }
    return value == value.rounded() ? "\(Int(value)) \(units[unit])" : "\(formatted(value)) \(units[unit])"
}
