import Foundation
import MaimoTestSupport
import MaimoZstd
import Testing

/// One-shot frames are searched in the caller's buffer, not copied into a window: nothing may be
/// read past its end (the match finders' 8-byte loads and the 16-byte literal copies included),
/// and the frames are the ones the streaming path makes.
@Suite("zstd compression in place")
struct InPlaceTests {
    static let levels = [-5, -1, 1, 2, 3, 4, 5, 6, 9, 12]

    @Test("input that ends where an unreadable page begins compresses at every strategy", arguments: levels)
    func nothingReadPastTheInput(level: Int) throws {
        var generator = SeededGenerator.fromEnvironment("zstd in place \(level)")
        for kind in Corpus.Kind.allCases {
            for size in [0, 1, 5, 8, 9, 16, 17, 40, 100, 1000, 4097, 70_000] {
                let data = Corpus.make(kind, count: size, using: &generator)
                let guarded = try GuardedBuffer(count: size)
                guarded.bytes.copyMemory(from: data.withUnsafeBytes { $0 })
                let compressor = ZstdCompressor(options: .init(level: level))
                let frame = compressor.compressFrame(UnsafeRawBufferPointer(guarded.bytes))
                #expect(try Zstd.decompress(frame) == data, "\(kind), \(size) bytes at level \(level)")
            }
        }
    }

    @Test("frames made in place equal the streaming path's", arguments: [-1, 1, 3, 6])
    func sameFramesAsStreaming(level: Int) throws {
        var generator = SeededGenerator.fromEnvironment("zstd in place same \(level)")
        for kind in Corpus.Kind.allCases {
            for size in [0, 300, 200_000, 1_500_000] {
                let data = Corpus.make(kind, count: size, using: &generator)
                let inPlace = Zstd.compress(data, level: level)
                let streaming = ZstdCompressor(options: .init(level: level, contentSize: UInt64(size)))
                var frame: [UInt8] = []
                let sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void = { frame.append(contentsOf: $0) }
                try streaming.compress(data, to: sink)
                try streaming.finish(to: sink)
                #expect(inPlace == frame, "\(kind), \(size) bytes at level \(level)")
            }
        }
    }

    @Test("a destination too small is refused with the limit; the bound always fits")
    func destinationSize() throws {
        var generator = SeededGenerator.fromEnvironment("zstd in place destination")
        let compressor = ZstdCompressor(options: .init(level: 1, maxBlockSize: 1024))
        // Noise: every block stored, the worst case the bound covers.
        for size in [0, 1, 1023, 1024, 1025, 300_000] {
            let data = Corpus.make(.noise, count: size, using: &generator)
            let bound = ZstdCompressor.compressBound(size)
            var destination = [UInt8](repeating: 0, count: bound)
            let written = try data.withUnsafeBytes { source in
                try destination.withUnsafeMutableBytes { try compressor.compressFrame(source, into: $0) }
            }
            #expect(written <= bound)
            #expect(try Zstd.decompress(Array(destination[..<written])) == data)
            var small = [UInt8](repeating: 0, count: written - 1)
            #expect(throws: ZstdError.outputTooLarge(limit: written - 1)) {
                try data.withUnsafeBytes { source in try small.withUnsafeMutableBytes { try compressor.compressFrame(source, into: $0) } }
            }
        }
    }
}

/// `count` bytes that end where an unreadable page begins: a read one byte past them faults.
final class GuardedBuffer {
    let mapping: UnsafeMutableRawPointer
    let mappingSize: Int
    let bytes: UnsafeMutableRawBufferPointer

    struct MappingFailed: Error {}

    init(count: Int) throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let dataPages = (count + page - 1) / page
        mappingSize = (dataPages + 1) * page
        guard let mapped = mmap(nil, mappingSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              mapped != MAP_FAILED else { throw MappingFailed() }
        mapping = mapped
        guard mprotect(mapping + dataPages * page, page, PROT_NONE) == 0 else { throw MappingFailed() }
        bytes = UnsafeMutableRawBufferPointer(start: mapping + dataPages * page - count, count: count)
    }

    deinit { munmap(mapping, mappingSize) }
}
