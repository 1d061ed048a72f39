// libFuzzer target: the zstd frame decoder. What must hold for any input:
// - no crash, no memory error (built with AddressSanitizer), bounded output;
// - the same outcome fed whole and fed one byte at a time (streaming may not change results);
// - with a raw-content dictionary made from the input's first bytes, the same parity holds;
// - decoded into a destination of exactly the content's size (in place where a frame allows),
//   the same bytes, and nothing written past it (AddressSanitizer sees the allocation's end);
// - frames that decode have the total size their headers declare, when every one declares it.
import FuzzSupport
import MaimoZstd

let options = ZstdDecompressionOptions(maxWindowSize: 1 << 22)
let limit = 2 << 20   // above the 1.1 MiB a 64 KiB window's history holds, so slides are reached

/// The frames' output, or nil when the decoder refused the input.
func decodeWhole(_ input: [UInt8], dictionary: ZstdDictionary?) -> [UInt8]? {
    try? Zstd.decompress(input, dictionary: dictionary, options: options, maxOutputSize: limit)
}

func decodeByteByByte(_ input: [UInt8], dictionary: ZstdDictionary?) -> [UInt8]? {
    let decoder = ZstdDecompressor(dictionary: dictionary, options: options)
    var output: [UInt8] = []
    // One byte at a time out of the input's own storage: no array per byte (under
    // AddressSanitizer, allocations were most of an execution's time).
    let result: Result<Void, ZstdError> = input.withUnsafeBytes { raw in
        Result { () throws(ZstdError) in
            for i in 0..<raw.count {
                try decoder.decompress(UnsafeRawBufferPointer(rebasing: raw[i..<(i + 1)])) { (bytes) throws(ZstdError) in
                    guard bytes.count <= limit - output.count else { throw .outputTooLarge(limit: limit) }
                    output.append(contentsOf: bytes)
                }
            }
            try decoder.finish()
        }
    }
    return (try? result.get()).map { output }
}

/// `input` decoded into a buffer of exactly `count` bytes, or nil when refused.
func decodeInto(_ input: [UInt8], dictionary: ZstdDictionary?, count: Int) -> [UInt8]? {
    let destination = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
    defer { destination.deallocate() }
    let decoder = ZstdDecompressor(dictionary: dictionary, options: options)
    let written: Int? = input.withUnsafeBytes { try? decoder.decompress($0, into: destination) }
    return written.map { Array(destination.prefix($0)) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZstd(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    for dictionary in [nil, input.count > 16 ? ZstdDictionary(rawContent: Array(input.prefix(16))) : nil] {
        let whole = decodeWhole(input, dictionary: dictionary)
        if let whole {
            // Frames that decode have exactly the content their headers declare, when they do.
            if let declared = input.withUnsafeBytes({ Zstd.declaredContentSize($0) }) {
                precondition(declared == UInt64(whole.count), "the frames declare \(declared) bytes and decode to \(whole.count)")
            }
            let placed = decodeInto(input, dictionary: dictionary, count: whole.count)
            precondition(placed == whole, "decoding into an exact destination disagrees (\(placed?.count ?? -1) vs \(whole.count) bytes)")
        }
        // Byte by byte is slow: only on inputs small enough to keep the fuzzer fast.
        if input.count <= 4096 {
            let streamed = decodeByteByByte(input, dictionary: dictionary)
            precondition(whole == streamed, "whole and byte-by-byte decoding disagree (\(whole?.count ?? -1) vs \(streamed?.count ?? -1) bytes)")
        }
    }
    return 0
}
