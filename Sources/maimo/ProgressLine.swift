import Foundation
import MaimoLeanCommands
#if canImport(Glibc)
import Glibc
#endif

/// A progress line on standard error, redrawn at most 10 times a second, only on a terminal.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private var last = Date.distantPast
    private let start = Date()
    let enabled = isatty(2) == 1

    func update(_ text: @autoclosure () -> String, force: Bool = false) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard force || now.timeIntervalSince(last) >= 0.1 else { return }
        last = now
        Console.error("\u{1B}[2K\r" + text(), newline: false)
    }

    func finish() {
        guard enabled else { return }
        Console.error("\u{1B}[2K\r", newline: false)
    }

    var elapsed: Double { Date().timeIntervalSince(start) }
}

