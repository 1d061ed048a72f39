// libFuzzer target: opening segmented ciphertext (Docs/SegmentedCiphertext.md) under a fixed
// key. Every seed was sealed under that key from one fixed plaintext, so what must hold: no
// crash, and whatever opens — whole, or fed in two pieces split where the input's length says —
// is exactly that plaintext: a modified ciphertext never yields content.
import FuzzSupport
import MaimoCipher

let key = try! CipherKey(bytes: fixedBytes(32, seed: 1))
let plaintext = fixedBytes(3000, seed: 2)

func open(_ pieces: [ArraySlice<UInt8>]) -> [UInt8]? {
    var decryptor = SegmentedDecryptor(key: key)
    var output: [UInt8] = []
    do {
        for piece in pieces { output += try decryptor.update(Array(piece)) }
        output += try decryptor.finalize()
        return output
    } catch {
        return nil
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSegmented(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    let whole = open([input[...]])
    if let whole { precondition(whole == plaintext, "a modified ciphertext opened to other content") }
    let split = input.isEmpty ? 0 : (input.count * 7919) % input.count
    let pieces = open([input[..<split], input[split...]])
    precondition(pieces == whole, "opening in two pieces disagrees with opening whole")
    return 0
}
