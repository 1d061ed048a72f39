// libFuzzer target: zstd dictionary loading. What must hold for any input:
// - no crash, no memory error; a refusal is a typed ZstdError;
// - a dictionary that loads works both ways: a fixed sample compressed with it (levels 1 and 3)
//   decompresses with it to the sample, whole and one byte at a time.
import FuzzSupport
import MaimoZstd

let sample: [UInt8] = {
    let text = Array("{\"id\":1,\"name\":\"maimo\",\"tags\":[\"backup\",\"tor\"],\"size\":4096}\n".utf8)
    return (0..<40).flatMap { i in text + Array("\(i * 7919)".utf8) } + fixedBytes(300, seed: 7)
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZstdDictionary(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    guard let dictionary = try? ZstdDictionary(input) else { return 0 }
    for level in [1, 3] {
        let frame = Zstd.compress(sample, level: level, dictionary: dictionary)
        let whole: [UInt8]
        do { whole = try Zstd.decompress(frame, dictionary: dictionary) } catch {
            preconditionFailure("a frame made with a loaded dictionary does not decode with it: \(error)")
        }
        precondition(whole == sample, "the round trip through a loaded dictionary changed the sample")
        let decoder = ZstdDecompressor(dictionary: dictionary)
        var streamed: [UInt8] = []
        do {
            for byte in frame { try decoder.decompress([byte]) { (bytes) throws(ZstdError) in streamed += bytes } }
            try decoder.finish()
        } catch {
            preconditionFailure("byte-by-byte decoding with a loaded dictionary failed: \(error)")
        }
        precondition(streamed == sample, "byte-by-byte decoding with a loaded dictionary changed the sample")
    }
    return 0
}
