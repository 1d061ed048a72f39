import Foundation
import MaimoBlake3
import MaimoZstd
import Testing

/// The committed frames made by the reference `zstd` (see `Fixtures/make-fixtures.py`).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct Entry {
        let name: String
        let dictionary: String?
        let size: Int
        let blake3: String
    }

    static func manifest() throws -> [Entry] {
        let text = try String(contentsOf: directory.appendingPathComponent("manifest.txt"), encoding: .utf8)
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let fields = line.split(separator: " ").map(String.init)
            return Entry(name: fields[0], dictionary: fields[1] == "-" ? nil : fields[1], size: Int(fields[2])!, blake3: fields[3])
        }
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func dictionary(_ name: String?) throws -> ZstdDictionary? {
        guard let name else { return nil }
        return try ZstdDictionary(bytes(name))
    }
}

func blake3Hex(_ bytes: [UInt8]) -> String {
    Blake3.hash(bytes).description
}

/// Decodes `frame` fed to a streaming decompressor in pieces of the given sizes (cycled).
func decompressInPieces(
    _ frame: [UInt8], pieces: [Int], dictionary: ZstdDictionary? = nil, options: ZstdDecompressionOptions = .init()
) throws(ZstdError) -> [UInt8] {
    let decoder = ZstdDecompressor(dictionary: dictionary, options: options)
    var output = [UInt8]()
    var start = 0
    var index = 0
    while start < frame.count {
        let end = min(frame.count, start + max(1, pieces[index % pieces.count]))
        index += 1
        try decoder.decompress(Array(frame[start..<end])) { (bytes) throws(ZstdError) in output.append(contentsOf: bytes) }
        start = end
    }
    try decoder.finish()
    return output
}

/// Runs the reference `zstd` with `arguments`, feeding `input`; returns its standard output.
func referenceZstd(_ arguments: [String], input: [UInt8]) throws -> [UInt8] {
    // A tool that refuses its arguments closes the pipe early: a failed run, not a dead test process.
    signal(SIGPIPE, SIG_IGN)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["zstd"] + arguments
    let stdin = Pipe(), stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = FileHandle.nullDevice
    try process.run()
    let writer = Thread {
        stdin.fileHandleForWriting.write(Data(input))
        try? stdin.fileHandleForWriting.close()
    }
    writer.start()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ReferenceToolFailed(status: process.terminationStatus) }
    return [UInt8](output)
}

struct ReferenceToolFailed: Error { let status: Int32 }

/// True when the reference `zstd` is installed. Under CI (`CI` set) a missing tool is a failure,
/// recorded here for every test that asks, so that no comparison is skipped in silence there.
var referenceZstdAvailable: Bool {
    let found = FileManager.default.isExecutableFile(atPath: "/usr/bin/zstd")
        || FileManager.default.isExecutableFile(atPath: "/usr/local/bin/zstd")
    #expect(found || ProcessInfo.processInfo.environment["CI"] == nil, "CI must install zstd (.ci/run)")
    return found
}
