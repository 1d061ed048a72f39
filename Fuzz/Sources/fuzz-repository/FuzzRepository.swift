// libFuzzer target: the repository's own blob formats as a provider could hand them back after
// decryption (Docs/Repository.md): pack indexes, trees, snapshots; and the binary rows of the
// catalogue, as a damaged disk could hand them back (Docs/Engine.md, catalogue tables): the
// placement record of a `blobs` row, the item entry of an `items` row, and a redundancy as
// `maimo config redundancy` reads it. Input: byte 0 picks the format. What must hold: no crash;
// a refusal is a typed RepositoryError; what decodes encodes to bytes (or text) that decode to
// the same value.
import FuzzSupport
import MaimoRepository

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRepository(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = fuzzInput(data, size)
    guard let selector = input.first else { return 0 }
    let bytes = Array(input.dropFirst())
    switch selector % 6 {
    case 0:
        if let index = try? PackIndex.decode(bytes) {
            precondition((try? PackIndex.decode(index.encode())) == index, "a pack index does not round-trip")
        }
    case 1:
        if let tree = try? Tree.decode(bytes) {
            precondition((try? Tree.decode(tree.encode())) == tree, "a tree does not round-trip")
        }
    case 3:
        if let placement = try? Placement.decode(bytes) {
            precondition((try? Placement.decode(placement.encode())) == placement, "a placement record does not round-trip")
            precondition(placement.shares.allSatisfy { $0.index < placement.redundancy.shareCount }, "a share index beyond the scheme")
        }
    case 4:
        if let entry = try? ItemEntry(encoded: bytes) {
            precondition(entry.encoded == bytes, "an item entry does not re-encode to its bytes")
        }
    case 5:
        if let text = String(validating: bytes, as: UTF8.self), let redundancy = try? Redundancy(parsing: text) {
            precondition((try? Redundancy(parsing: redundancy.description)) == redundancy, "a redundancy does not round-trip as text")
            precondition(redundancy.needed >= 1 && redundancy.needed <= redundancy.shareCount
                         && redundancy.shareCount <= Redundancy.maximumShares, "a redundancy out of range: \(redundancy)")
        }
    default:
        if let snapshot = try? Snapshot.decode(bytes) {
            precondition((try? Snapshot.decode(snapshot.encode())) == snapshot, "a snapshot does not round-trip")
        }
    }
    return 0
}
