import Foundation
import Testing

/// The result of running a command.
struct Run: Equatable {
    var status: Int32
    var stdout: Data
    var stderr: Data

    var out: String { String(decoding: stdout, as: UTF8.self) }
    var err: String { String(decoding: stderr, as: UTF8.self) }
}

enum Tool {
    /// The `maimo` binary built alongside the tests.
    static var maimo: URL {
        let products = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent()
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return products.appendingPathComponent("maimo")
    }

    /// `maimo-hash` and `maimo-zstd`, the lean executables built beside `maimo`.
    static var maimoHash: URL { maimo.deletingLastPathComponent().appendingPathComponent("maimo-hash") }
    static var maimoZstd: URL { maimo.deletingLastPathComponent().appendingPathComponent("maimo-zstd") }

    /// The path of a reference tool, or nil. Under CI a missing tool is a failure, not a skip.
    static func reference(_ name: String) -> URL? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let url = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        if ProcessInfo.processInfo.environment["CI"] != nil {
            Issue.record("\(name) is not installed, and CI is set: .ci/run must install it")
        }
        return nil
    }

    @discardableResult
    /// Starts `executable` with `arguments` (output discarded), SIGKILLs it after `microseconds`
    /// and waits for it; returns whether it was still running when killed.
    static func killed(_ executable: URL, _ arguments: [String], after microseconds: UInt32) throws -> Bool {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(microseconds)
        let running = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return running
    }

    static func run(_ executable: URL, _ arguments: [String], stdin: Data = Data(), in directory: URL? = nil) throws -> Run {
        // A child that exits without reading all its input must not kill the tests with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Feed stdin and drain stderr on their own threads while this one drains stdout, so that
        // no pipe can fill up and block the child (or us). Each thread signals when it is done:
        // the semaphore orders its writes before our reads (polling `Thread.isFinished` did not,
        // a data race ThreadSanitizer reported).
        nonisolated(unsafe) var errorData = Data()
        let done = DispatchSemaphore(value: 0)
        let errorReader = Thread {
            errorData = error.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }
        errorReader.start()
        let writer = input.fileHandleForWriting
        let inputWriter = Thread {
            try? writer.write(contentsOf: stdin)  // the child may exit without reading it all
            try? writer.close()
            done.signal()
        }
        inputWriter.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        done.wait()
        done.wait()
        return Run(status: process.terminationStatus, stdout: outputData, stderr: errorData)
    }
}

/// A fresh temporary directory, removed when the value is dropped.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ data: Data) throws -> URL {
        let file = url.appendingPathComponent(name)
        try data.write(to: file)
        return file
    }
}
