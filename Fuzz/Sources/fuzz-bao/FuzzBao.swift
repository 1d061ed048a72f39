// libFuzzer target: the Bao decoder and slice verifier, for fixed contents whose roots the
// target knows. Input: byte 0 picks the content (0, 1, 1024, 1025, 5000 or 70000 bytes) and the
// mode; a combined encoding follows, or 8 bytes of start and count and then a slice. What must
// hold: no crash; whatever is accepted is exactly the real content (or exactly the asked range
// of it) — never a byte that differs.
import FuzzSupport
import MaimoBao
import MaimoBlake3

let lengths = [0, 1, 1024, 1025, 5000, 70000]
let contents = lengths.enumerated().map { fixedBytes($1, seed: UInt64($0)) }
let roots = contents.map { Blake3.hash($0) }

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBao(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let which = Int(selector & 0x7F) % contents.count
    let content = contents[which], root = roots[which]
    if selector & 0x80 == 0 {
        if let decoded = try? Bao.decode(Array(input.dropFirst()), hash: root) {
            precondition(decoded == content, "the decoder accepted an encoding of other bytes")
        }
    } else {
        guard input.count >= 9 else { return 0 }
        func word(_ at: Int) -> UInt64 { (0..<4).reduce(0) { $0 | UInt64(input[at + $1]) << (8 * $1) } }
        let start = word(1) % UInt64(content.count + 2000), count = word(5) % 100_000
        if let proven = try? Bao.decodeSlice(Array(input.dropFirst(9)), hash: root, start: start, count: count) {
            let from = Int(min(start, UInt64(content.count)))
            let to = Int(min(start + count, UInt64(content.count)))
            precondition(proven == Array(content[from..<max(from, to)]), "the slice verifier accepted bytes that are not the content's")
        }
    }
    return 0
}
