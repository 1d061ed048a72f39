import BenchReport
import Foundation
import Testing

@Suite("benchmark report")
struct ReportTests {
    static func sampleReport() -> Report {
        var figures: [Figure] = []
        for (index, size) in [1024, 65536, 1 << 20].enumerated() {
            figures.append(Figure(module: "MaimoBlake3", name: "hash in memory", size: size, unit: "MB/s",
                                  ours: Sample([1000 + Double(index), 1100, 1200.5]), reference: "b3sum 1.5",
                                  theirs: Sample([900, 950.25, 1000])))
            figures.append(Figure(module: "MaimoBlake3", name: "hash, 2 threads", size: size, unit: "MB/s",
                                  ours: Sample([1500, 1600, 1700 + Double(index)])))
        }
        figures.append(Figure(module: "Maimo", name: "store a tree </script>", unit: "s", higherIsBetter: false,
                              ours: Sample([2, 3, 4]), reference: "restic | 0.16", theirs: Sample([6, 6, 6]), note: "page cache"))
        return Report(command: "maimo-bench --quick", started: "2026-12-06T03:00:00Z",
                      machine: ["cpu": "test", "cores": "2"], mode: "quick", figures: figures)
    }

    @Test func samplesAndRatios() {
        let sample = Sample([5, 1, 3, 2])
        #expect(sample.min == 1 && sample.max == 5 && sample.median == 2.5)
        #expect(Sample([7]).median == 7 && Sample([]).median == 0)
        let faster = Figure(module: "m", name: "n", unit: "MB/s", ours: Sample([200]), theirs: Sample([100]))
        #expect(faster.ratio == 2)
        let quicker = Figure(module: "m", name: "n", unit: "s", higherIsBetter: false, ours: Sample([2]), theirs: Sample([6]))
        #expect(quicker.ratio == 3)
        #expect(Figure(module: "m", name: "n", unit: "s", ours: Sample([2])).ratio == nil)
    }

    @Test func jsonRoundTripsAndMarkdownHasEveryFigure() throws {
        let report = Self.sampleReport()
        #expect(try JSONDecoder().decode(Report.self, from: report.json()) == report)
        let object = try JSONSerialization.jsonObject(with: report.json()) as? [String: Any]
        let first = (object?["figures"] as? [[String: Any]])?.first?["ours"] as? [String: Any]
        #expect(first?["median"] as? Double == 1100, "the JSON carries the medians for machines")
        let markdown = report.markdown()
        #expect(markdown.split(separator: "\n").filter { $0.hasPrefix("| Maimo") }.count == report.figures.count)
        #expect(markdown.contains("1.16×"), "1100 / 950.25")
        #expect(markdown.contains("2.00×"), "a time: 6 s against 3 s")
        #expect(markdown.contains("restic \\| 0.16"), "a pipe in a name is escaped")
    }

    static let browser: String? = ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap { name -> String? in
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }.first

    /// The HTML page in a real headless browser: its script runs, draws a chart per module and
    /// unit and a table row per figure, and every value read back from the rendered page is the
    /// report's. Skipped without Chromium, except under CI, which installs it.
    @Test(.enabled(if: browser != nil || ProcessInfo.processInfo.environment["CI"] != nil, "needs chromium"))
    func thePageRendersTheReportInChromium() throws {
        let browser = try #require(Self.browser, "CI must install chromium (.ci/run)")
        let report = Self.sampleReport()
        let directory = NSTemporaryDirectory() + "maimo-bench-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (_, page) = try report.write(toDirectory: directory)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(directory)/profile",
                             "--dump-dom", "file://\(page)"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(dom.contains("data-rendered=\"\(report.figures.count)\""), "the page's script ran to its end")

        // Table rows: module, name, size and the three values, in the report's order.
        let rows = dom.components(separatedBy: "<tr class=\"figure\"").dropFirst()
        #expect(rows.count == report.figures.count)
        for (row, figure) in zip(rows, report.figures) {
            let row = String(row.prefix { $0 != "\n" }.split(separator: "</tr>").first ?? "")
            #expect(attribute("data-module", in: row) == figure.module)
            #expect(attribute("data-size", in: row) == figure.size.map(String.init) ?? "")
            #expect(close(value(of: "ours", in: row), figure.ours.median), "\(figure.name): \(row)")
            if let theirs = figure.theirs { #expect(close(value(of: "theirs", in: row), theirs.median)) }
            if let ratio = figure.ratio { #expect(close(value(of: "ratio", in: row), ratio)) }
        }
        // Charts: one per module and unit with sizes; a point per sized figure and side.
        #expect(dom.components(separatedBy: "<svg class=\"chart\"").count - 1 == 1)
        let points = dom.components(separatedBy: "<circle ").dropFirst()
        let sized = report.figures.filter { $0.size != nil }
        #expect(points.count == sized.count + sized.filter { $0.theirs != nil }.count)
        for figure in sized {
            let ours = points.first { attribute("data-series", in: $0) == "ours" && attribute("data-name", in: $0) == figure.name
                && attribute("data-size", in: $0) == String(figure.size!) }
            #expect(close(ours.flatMap { attribute("data-value", in: $0) }.flatMap(Double.init), figure.ours.median))
        }
        #expect(!dom.contains("<script>alert"), "a name is text, not markup")
        #expect(dom.contains("store a tree &lt;/script&gt;"))
    }

    func attribute(_ name: String, in text: some StringProtocol) -> String? {
        guard let start = text.range(of: " \(name)=\"") else { return nil }
        return String(text[start.upperBound...].prefix { $0 != "\"" })
    }

    func value(of cell: String, in row: String) -> Double? {
        guard let start = row.range(of: "class=\"\(cell)") else { return nil }
        return attribute("data-value", in: row[start.upperBound...]).flatMap(Double.init)
    }

    func close(_ value: Double?, _ expected: Double) -> Bool {
        guard let value else { return false }
        return abs(value - expected) <= 1e-9 * max(1, abs(expected))
    }
}
