extension Report {
    /// The report as a Markdown table, one row per figure, for the terminal and the README:
    /// Maimo's median (min–max), the reference's, and the ratio (above 1: Maimo is better).
    public func markdown() -> String {
        var lines = ["Made by `\(command)` (\(mode)), \(started)."]
        let machineLine = ["cpu", "cores", "memory", "os", "swift", "build"].compactMap { key in machine[key].map { "\(key): \($0)" } }
        if !machineLine.isEmpty { lines.append(machineLine.joined(separator: "; ") + ".") }
        lines.append("")
        lines.append("| module | operation | size | Maimo median (min–max) | reference | reference median (min–max) | ratio |")
        lines.append("|---|---|---:|---:|---|---:|---:|")
        for figure in figures {
            let ours = "\(formatted(figure.ours.median)) \(figure.unit) (\(formatted(figure.ours.min))–\(formatted(figure.ours.max)))"
            let theirs = figure.theirs.map { "\(formatted($0.median)) \(figure.unit) (\(formatted($0.min))–\(formatted($0.max)))" } ?? "–"
            let ratio = figure.ratio.map { String(format: "%.2f×", $0) } ?? "–"
            let name = figure.note.map { "\(figure.name) (\($0))" } ?? figure.name
            lines.append("| \(figure.module) | \(escaped(name)) | \(figure.size.map(formattedSize) ?? "") | \(ours) | \(escaped(figure.reference ?? "–")) | \(theirs) | \(ratio) |")
        }
        lines.append("")
        lines.append("Ratio: Maimo against the reference from the medians, measured pair by pair in the same run; above 1 Maimo is faster (or smaller).")
        return lines.joined(separator: "\n") + "\n"
    }

    private func escaped(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}
