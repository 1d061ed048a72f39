// libFuzzer target: the zstd compressor. Whatever the input, at every strategy, in each of
// four ways:
// - a one-shot frame decodes back to the input (checksum and content size checked); without a
//   dictionary it is searched in place, in an array of exactly the input's size, so that a read
//   past the input's end is AddressSanitizer's to report;
// - the same input fed to a compressor in pieces, with small blocks or without a checksum,
//   decodes back to it too;
// - with a raw-content dictionary made from the input's first bytes, both ways round trip;
// - no crash, no memory error (built with AddressSanitizer: the match finders' and literal
//   copies' reads past a block stay inside the window's slack).
// The first byte picks the level and the way (one-shot or in pieces, with or without the
// dictionary), the second the piece size and options; the rest is the data. One way per input,
// not all four: the deep levels' searches made an execution 18 ms, and the fuzzer reaches every
// way by mutating the first byte.
import FuzzSupport
import MaimoZstd

let levels = [-5, -1, 1, 2, 3, 4, 5, 6, 8, 9, 12, 16, 19]

func roundTrip(_ frame: [UInt8], _ data: [UInt8], dictionary: ZstdDictionary?, _ what: String) {
    do {
        let back = try Zstd.decompress(frame, dictionary: dictionary)
        precondition(back == data, "\(what): decodes to \(back.count) other bytes than the \(data.count) compressed")
    } catch {
        preconditionFailure("\(what): the frame of \(data.count) bytes does not decode: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZstdCompress(_ bytes: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(bytes, size)
    guard input.count >= 2 else { return 0 }
    let level = levels[Int(input[0]) % levels.count]
    let way = Int(input[0]) / levels.count
    let withDictionary = way & 1 != 0
    let inPieces = way & 2 != 0
    let piece = Int(input[1] & 0x3F) * 97 + 1
    let checksum = input[1] & 0x40 == 0
    let smallBlocks = input[1] & 0x80 != 0
    let data = Array(input[2...])

    let dictionary = withDictionary && data.count > 64 ? ZstdDictionary(rawContent: Array(data.prefix(data.count / 3))) : nil
    let name = "level \(level)\(dictionary == nil ? "" : ", raw dictionary")"
    if !inPieces {
        roundTrip(Zstd.compress(data, level: level, dictionary: dictionary, checksum: checksum), data, dictionary: dictionary, name)
    } else {
        // The size unknown up front at the fast levels; declared at the others, whose tables at
        // full size (up to 80 MiB at level 19) would make each execution a second.
        let compressor = ZstdCompressor(dictionary: dictionary, options: .init(
            level: level, checksum: checksum, contentSize: level <= 3 ? nil : UInt64(data.count),
            maxBlockSize: smallBlocks ? 1024 : nil))
        var frame: [UInt8] = []
        let sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void = { frame.append(contentsOf: $0) }
        do {
            var start = 0
            while start < data.count {
                let end = min(data.count, start + piece)
                try compressor.compress(Array(data[start..<end]), to: sink)
                start = end
            }
            try compressor.finish(to: sink)
        } catch {
            preconditionFailure("\(name): streaming compression failed: \(error)")
        }
        roundTrip(frame, data, dictionary: dictionary, "\(name), in pieces of \(piece)\(smallBlocks ? ", 1 KiB blocks" : "")")
    }
    return 0
}
