import MaimoBao
import MaimoBlake3
import MaimoCipher
import MaimoErasure
import MaimoIndex
import MaimoRepository
import MaimoWire
import MaimoXXHash
import MaimoZstd
import Testing

/// Every public API that takes a raw buffer accepts an empty one whose base address is nil (as
/// `UnsafeRawBufferPointer(start: nil, count: 0)` and some `Data` give): no `baseAddress!`
/// on it anywhere. A crash here stops the test process, so the test fails.
@Suite("empty buffers without a base address")
struct EmptyBufferTests {
    let empty = UnsafeRawBufferPointer(start: nil, count: 0)
    let emptyMutable = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    @Test func hashing() throws {
        let none = Blake3.hash([UInt8]())
        #expect(Blake3.hash(empty) == none)
        #expect(Blake3.hash(empty, threadCount: 2) == none)
        let key = try Blake3.Key([UInt8](repeating: 7, count: 32))
        #expect(Blake3.keyedHash(key: key, empty) == Blake3.keyedHash(key: key, [UInt8]()))
        #expect(Blake3.Hazmat.rootHash(ofSingleChunk: empty) == none)
        #expect(throws: Blake3Error.self) { try Blake3.Key(empty) }
        var hasher = Blake3()
        hasher.update(empty)
        #expect(hasher.finalize() == none)
        var reader = hasher.finalizeXOF()
        reader.read(into: emptyMutable)
        #expect(XXH64.hash(empty) == XXH64.hash([UInt8]()))
        var state = XXH64.State()
        state.update(empty)
        #expect(state.finalize() == XXH64.hash([UInt8]()))
        #expect(CRC32C.checksum(empty) == 0)
    }

    @Test func bao() throws {
        let (encoding, hash) = Bao.encode(empty)
        #expect(hash == Blake3.hash([UInt8]()) && encoding.count == 8)
        #expect(Bao.outboard(empty).hash == hash)
        #expect(BaoGroupedOutboard.build(empty).hash == hash)
        var builder = BaoGroupedOutboardBuilder()
        builder.update(empty)
        var sink = BaoMemorySink(emptyMutable)
        try sink.write(empty, at: 0)
        var buffered = BaoBufferSink()
        try buffered.write(empty, at: 0)
        var encoder = BaoEncoder(contentLength: 0, sink: BaoBufferSink())
        try encoder.update(empty)
        #expect(try BaoBufferSource(encoding).read(at: 0, into: emptyMutable) == 0)
        var decoder = BaoDecoder(combined: BaoBufferSource(encoding), hash: hash)
        #expect(try decoder.read(into: emptyMutable) == 0)
    }

    @Test func ciphersCodecsAndFrames() throws {
        var cipher = ChaCha(key: CipherKey(), nonce: ChaCha.Nonce())
        try cipher.apply(to: emptyMutable)
        let compressor = ZstdCompressor()
        let frame = compressor.compressFrame(empty)
        #expect(try Zstd.decompress(frame) == [])
        var chunks: [[UInt8]] = []
        compressor.reset(contentSize: nil)
        try compressor.compress(empty) { chunks.append(Array($0)) }
        try compressor.finish { chunks.append(Array($0)) }
        #expect(try Zstd.decompress(chunks.flatMap { $0 }) == [])
        let code = try ReedSolomon(dataShards: 2, totalShards: 3)
        try code.encode(data: [empty, empty], parity: [emptyMutable])
        let chunker = Chunker(gear: GearTable(seed: try Blake3.Key([UInt8](repeating: 1, count: 32))))
        #expect(chunker.cut(empty) == 0)
        _ = RepositoryKeys.generate().itemID(empty)
        var parser = WireFrameParser()
        #expect(throws: WireError.self) { try parser.frame(empty) }
    }
}
