import Foundation
import MaimoTestSupport
import MaimoZstd
import Testing

/// zstd's own golden test files (Fixtures/zstd-golden, copied unchanged with their README), held
/// to what the reference's test scripts require of them.
@Suite("zstd golden files")
struct GoldenTests {
    static let directory = Fixtures.directory.appendingPathComponent("zstd-golden")

    static func files(_ folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(folder).path)) ?? []
        return names.sorted().map { "\(folder)/\($0)" }
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(path)))
    }

    static var dictionary: ZstdDictionary {
        get throws { try ZstdDictionary(bytes("golden-dictionaries/http-dict-missing-symbols")) }
    }

    @Test("the copies are all there")
    func copiesArePresent() {
        #expect(Self.files("golden-decompression").count == 4)
        #expect(Self.files("golden-decompression-errors").count == 3)
        #expect(Self.files("golden-compression").count == 4)
        #expect(Self.files("golden-dictionaries").count == 1)
    }

    @Test("every golden frame decodes, whole and one byte at a time", arguments: files("golden-decompression"))
    func decodes(path: String) throws {
        let frame = try Self.bytes(path)
        let whole = try Zstd.decompress(frame)
        #expect(try decompressInPieces(frame, pieces: [1]) == whole)
        // Debian's zstd 1.5.4 predates some of these files (zeroSeq_2B) and refuses them; where it
        // reads one it must agree.
        if referenceZstdAvailable, let reference = try? referenceZstd(["-q", "-d", "-c"], input: frame) {
            #expect(reference == whole, "\(path): the reference decodes other bytes")
        }
    }

    @Test("every golden error frame is rejected with a typed error", arguments: files("golden-decompression-errors"))
    func rejects(path: String) throws {
        let frame = try Self.bytes(path)
        #expect(throws: ZstdError.self, "\(path) decoded whole") { try Zstd.decompress(frame) }
        #expect(throws: ZstdError.self, "\(path) decoded byte by byte") { try decompressInPieces(frame, pieces: [1]) }
    }

    @Test("every golden input round-trips at levels 1, 3, 9 and 19, and at 19 with matches of 7 bytes or more",
          arguments: files("golden-compression"))
    func roundTrips(path: String) throws {
        let input = try Self.bytes(path)
        var optionsList = [1, 3, 9, 19].map { ZstdCompressionOptions(level: $0) }
        var minMatch7 = ZstdParameters.level(19)
        minMatch7.minMatch = 7
        optionsList.append(ZstdCompressionOptions(level: 19, parameters: minMatch7))
        for options in optionsList {
            let frame = ZstdCompressor(options: options).compressFrame(input)
            #expect(try Zstd.decompress(frame) == input, "\(path) at \(options.level)")
            if referenceZstdAvailable {
                #expect(try referenceZstd(["-q", "-d", "-c"], input: frame) == input, "\(path) at \(options.level): reference")
            }
        }
    }

    @Test("the dictionary whose tables lack symbols loads and compresses the http sample both ways")
    func dictionaryWithMissingSymbols() throws {
        let dictionary = try Self.dictionary
        #expect(dictionary.id != 0)
        let input = try Self.bytes("golden-compression/http")
        for level in [1, 3, 9, 19] {
            let frame = Zstd.compress(input, level: level, dictionary: dictionary)
            #expect(try Zstd.decompress(frame, dictionary: dictionary) == input, "level \(level)")
            #expect(frame.count < input.count / 2, "level \(level): \(frame.count) bytes from \(input.count)")
        }
        guard referenceZstdAvailable else {
            return
        }
        let dictionaryPath = Self.directory.appendingPathComponent("golden-dictionaries/http-dict-missing-symbols").path
        for level in ["-1", "-3", "-19"] {
            let ours = Zstd.compress(input, level: Int(level.dropFirst())!, dictionary: dictionary)
            #expect(try referenceZstd(["-q", "-d", "-c", "-D", dictionaryPath], input: ours) == input, "ours at \(level), read by zstd")
            let theirs = try referenceZstd(["-q", "-c", level, "-D", dictionaryPath], input: input)
            #expect(try Zstd.decompress(theirs, dictionary: dictionary) == input, "zstd's at \(level), read by us")
            #expect(try decompressInPieces(theirs, pieces: [1], dictionary: dictionary) == input)
        }
    }
}
