import CompareSupport
import Foundation

/// The machine and the build, for the report's header.
enum Machine {
    /// `build` names the build (`--build LABEL`, for example "release, -target-cpu native"):
    /// Swift cannot tell at run time which CPU the compiler targeted.
    static func describe(build: String) -> [String: String] {
        var machine: [String: String] = ["cores": "\(ProcessInfo.processInfo.activeProcessorCount)", "build": build]
        if let cpu = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = cpu.split(separator: "\n").first(where: { $0.hasPrefix("model name") }) {
            machine["cpu"] = line.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces)
        }
        machine["memory"] = String(format: "%.0f GiB", Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30))
        machine["os"] = ProcessInfo.processInfo.operatingSystemVersionString
        if let swift = which("swift"), let (output, _) = try? capture(swift, ["--version"], mergingErrors: true) {
            machine["swift"] = output.split(separator: "\n").first(where: { $0.contains("Swift version") })
                .map { String($0).replacingOccurrences(of: "Swift version ", with: "") }
        }
        return machine
    }
}
