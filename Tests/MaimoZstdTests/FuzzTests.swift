import Foundation
import MaimoTestSupport
import MaimoZstd
import Testing

/// Mutated reference frames must decode or fail with a `ZstdError`: never trap, hang or read out
/// of bounds. `swift test` runs a bounded number of cases; a long run in release mode:
///
///     MAIMO_ZSTD_FUZZ=5000000 swift test -c release --filter MaimoZstdTests.FuzzTests
@Suite("zstd fuzz")
struct FuzzTests {
    static var iterations: Int {
        ProcessInfo.processInfo.environment["MAIMO_ZSTD_FUZZ"].flatMap(Int.init) ?? 4000
    }

    @Test("mutated frames give typed errors or output, never a crash")
    func mutatedFrames() throws {
        var generator = SeededGenerator.fromEnvironment("zstd fuzz")
        let entries = try Fixtures.manifest().filter { $0.size < 70_000 }
        let frames = try entries.map { try Fixtures.bytes($0.name) }
        let dictionaries = try entries.map { try Fixtures.dictionary($0.dictionary) }
        var outcomes = (decoded: 0, failed: 0)
        for _ in 0..<Self.iterations {
            let pick = Int.random(in: 0..<frames.count, using: &generator)
            var frame = frames[pick]
            guard !frame.isEmpty else { continue }
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let at = Int.random(in: 0..<frame.count, using: &generator)
                switch Int.random(in: 0..<6, using: &generator) {
                case 0: frame[at] ^= UInt8(1) << UInt8.random(in: 0...7, using: &generator)
                case 1: frame[at] = UInt8.random(in: 0...255, using: &generator)
                case 2: frame.removeSubrange(at..<min(frame.count, at + Int.random(in: 1...16, using: &generator)))
                case 3: frame.insert(contentsOf: randomBytes(Int.random(in: 1...8, using: &generator), using: &generator), at: at)
                case 4: frame = Array(frame.prefix(at))
                default:
                    let from = Int.random(in: 0..<frame.count, using: &generator)
                    let length = min(32, frame.count - max(from, at))
                    if length > 0 { frame.replaceSubrange(at..<(at + length), with: frame[from..<(from + length)]) }
                }
                if frame.isEmpty { break }
            }
            do {
                let output = try Zstd.decompress(frame, dictionary: dictionaries[pick], maxOutputSize: 1 << 22)
                #expect(output.count <= 1 << 22)
                outcomes.decoded += 1
            } catch {
                outcomes.failed += 1
            }
        }
        print("zstd fuzz: \(outcomes.decoded) decoded, \(outcomes.failed) rejected")
        #expect(outcomes.failed > outcomes.decoded)
    }

    /// Found by `Scripts/fuzz.sh fuzz-zstd` (2026-12-07, after 1.9 million executions): a frame
    /// header may declare a content size up to 2⁶⁴ − 1, and working out how much the next block
    /// may produce converted what was left of it to `Int`, which traps above 2⁶³ − 1. Both inputs
    /// are also in `Fuzz/Corpus/fuzz-zstd/regression-content-size-*`.
    @Test("a declared content size beyond Int.max is refused, not a trap")
    func contentSizeBeyondIntMax() {
        // 8-byte content size 0xA4FD2FB5_28000002, then empty raw blocks, then the input ends.
        let truncated: [UInt8] = [
            0x28, 0xB5, 0x2F, 0xFD, 0xC5, 0x00, 0x00, 0x02, 0x00, 0x00, 0x28, 0xB5, 0x2F, 0xFD, 0xA4,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x25,
        ]
        #expect(throws: ZstdError.truncated(frameOffset: 0, offset: 25)) {
            try Zstd.decompress(truncated)
        }
        // Content size 2⁶⁴ − 512, a last empty raw block: the size does not match.
        var finished: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0xD7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        finished += [0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x03] + [UInt8](repeating: 0, count: 58)
        finished += [0x94, 0x30, 0x01, 0x1A, 0x53, 0x7D, 0x5C, 0xCD, 0xDC, 0x7C, 0xE6, 0x0C, 0xD3, 0x21, 0xFA, 0x66]
        finished += [0x5B, 0x33, 0x27, 0xC1, 0x9A]
        #expect(throws: ZstdError.self) { try Zstd.decompress(finished) }
        for input in [truncated, finished] {
            let decoder = ZstdDecompressor()
            #expect(throws: ZstdError.self) {
                for byte in input { try [byte].withUnsafeBytes { raw in try decoder.decompress(raw) { _ in } } }
                try decoder.finish()
            }
        }
    }

    @Test("random bytes behind a valid frame header give typed errors")
    func randomBlocks() {
        var generator = SeededGenerator.fromEnvironment("zstd fuzz random blocks")
        for _ in 0..<(Self.iterations / 2) {
            // Header: magic, descriptor (no checksum, 1 KiB..8 MiB window), then a compressed block.
            var frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x00, UInt8.random(in: 0...0x68, using: &generator)]
            let body = randomBytes(Int.random(in: 1...300, using: &generator), using: &generator)
            let header = body.count << 3 | 2 << 1 | 1
            frame += [UInt8(header & 0xFF), UInt8((header >> 8) & 0xFF), UInt8(header >> 16)] + body
            _ = try? Zstd.decompress(frame)
        }
    }
}
