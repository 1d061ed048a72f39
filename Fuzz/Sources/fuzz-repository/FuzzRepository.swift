// libFuzzer target: the repository's own blob formats as a provider could hand them back after
// decryption (Docs/Repository.md): pack indexes, trees, snapshots. Input: byte 0 picks the
// format. What must hold: no crash; a refusal is a typed RepositoryError; what decodes encodes
// to bytes that decode to the same value.
import FuzzSupport
import MaimoRepository

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRepository(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let bytes = Array(input.dropFirst())
    switch selector % 3 {
    case 0:
        if let index = try? PackIndex.decode(bytes) {
            precondition((try? PackIndex.decode(index.encode())) == index, "a pack index does not round-trip")
        }
    case 1:
        if let tree = try? Tree.decode(bytes) {
            precondition((try? Tree.decode(tree.encode())) == tree, "a tree does not round-trip")
        }
    default:
        if let snapshot = try? Snapshot.decode(bytes) {
            precondition((try? Snapshot.decode(snapshot.encode())) == snapshot, "a snapshot does not round-trip")
        }
    }
    return 0
}
