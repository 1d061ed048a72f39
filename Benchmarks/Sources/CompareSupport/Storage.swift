// Shared set-up of the storage comparisons (maimo-bench's stores suite).
import Foundation

/// A folder for one benchmark run under `--dir PATH` (default: the temporary directory),
/// removed by `remove()`.
public struct ScratchDirectory: Sendable {
    public let base: String
    public let path: String

    public init(name: String, arguments: [String] = CommandLine.arguments) throws {
        base = arguments.firstIndex(of: "--dir").map { arguments[$0 + 1] } ?? NSTemporaryDirectory()
        path = base + "/\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// Xorshift64: fast, reproducible benchmark data and access orders (not for secrets).
public struct XorShift: RandomNumberGenerator, Sendable {
    public var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    public init() {}
    public mutating func next() -> UInt64 {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17
        return state
    }
}

/// "N /s", right-aligned.
public func perSecond(_ count: Int, _ seconds: Double) -> String { String(format: "%10.0f /s", Double(count) / seconds) }

/// How many times faster `ours` is than `theirs` (times in seconds).
public func speedup(_ theirs: Double, _ ours: Double) -> String { String(format: "%6.2f×", theirs / ours) }

/// The bytes of the regular files under `path`.
public func directoryBytes(_ path: String) -> UInt64 {
    var total: UInt64 = 0
    if let walker = FileManager.default.enumerator(atPath: path) {
        while let name = walker.nextObject() as? String {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + name),
               attributes[.type] as? FileAttributeType == .typeRegular, let size = attributes[.size] as? UInt64 { total += size }
        }
    }
    return total
}
