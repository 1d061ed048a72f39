import MaimoBlake3

/// A Bao outboard tree pruned to *chunk groups*: only the parent nodes of subtrees longer than
/// one group (16 KiB by default) are kept, so the tree costs 64 bytes per group (0.39%) instead
/// of 64 per 1 KiB chunk (6.25%). The nodes below a group are recomputed from the group's data
/// when they are needed (``BaoGroupedSource``), so slices and encodings read through it are
/// byte-identical to the `bao` crate's.
///
/// Layout: the kept parents in pre-order, 64 bytes each, nothing else (no header: the holder
/// keeps the content length). A subtree longer than a group always starts at a multiple of the
/// group length, so the kept tree's leaves are the groups: whole groups and a shorter last one.
public enum BaoGroupedOutboard {
    /// The default group: 16 chunks.
    public static let defaultGroupLength: UInt64 = 16 * Bao.chunkLength64

    /// The number of groups of `contentLength` bytes (empty content is one group).
    public static func groupCount(contentLength: UInt64, groupLength: UInt64 = defaultGroupLength) -> UInt64 {
        contentLength == 0 ? 1 : (contentLength - 1) / groupLength + 1
    }

    /// The size of the pruned tree of `contentLength` bytes.
    public static func size(contentLength: UInt64, groupLength: UInt64 = defaultGroupLength) -> UInt64 {
        (groupCount(contentLength: contentLength, groupLength: groupLength) - 1) * Bao.parentLength64
    }

    /// Whether `groupLength` is a usable group: a power-of-two number of chunks.
    public static func isValid(groupLength: UInt64) -> Bool {
        groupLength >= Bao.chunkLength64 && groupLength & (groupLength - 1) == 0
    }

    /// The pruned tree and the root hash of `data`, in one pass.
    public static func build(_ data: UnsafeRawBufferPointer, groupLength: UInt64 = defaultGroupLength) -> (tree: [UInt8], hash: Blake3.Digest) {
        var builder = BaoGroupedOutboardBuilder(groupLength: groupLength)
        builder.update(data)
        return builder.finalize()
    }

    /// ``build(_:groupLength:)`` for an array.
    public static func build(_ data: [UInt8], groupLength: UInt64 = defaultGroupLength) -> (tree: [UInt8], hash: Blake3.Digest) {
        data.withUnsafeBytes { build($0, groupLength: groupLength) }
    }
}

/// Builds a ``BaoGroupedOutboard`` from content given in order, in pieces of any size; keeps
/// one group and 32 bytes per group in memory.
public struct BaoGroupedOutboardBuilder {
    /// Content bytes per group: a power-of-two number of 1 KiB chunks.
    public let groupLength: UInt64
    private var pending: [UInt8] = []
    private var groups: [Blake3.Hazmat.ChainingValue] = []
    /// Content bytes given so far.
    public private(set) var length: UInt64 = 0

    /// - Precondition: `groupLength` is a power-of-two number of chunks.
    public init(groupLength: UInt64 = BaoGroupedOutboard.defaultGroupLength) {
        precondition(BaoGroupedOutboard.isValid(groupLength: groupLength), "a group is a power-of-two number of chunks")
        self.groupLength = groupLength
        pending.reserveCapacity(Int(groupLength))
    }

    /// Adds the next content bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            // A full group is hashed only once more content follows: if it were the last, it
            // could be the whole input, whose hash is a root and not a chaining value.
            if pending.count == Int(groupLength) { flush() }
            let take = min(rest.count, Int(groupLength) - pending.count)
            pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: rest[..<take]))
            rest = UnsafeRawBufferPointer(rebasing: rest[take...])
            length += UInt64(take)
        }
    }

    /// Adds the next content bytes (see ``update(_:)-(UnsafeRawBufferPointer)``).
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    private mutating func flush() {
        let offset = UInt64(groups.count) * groupLength
        // A whole group at a multiple of its length is a valid subtree.
        let cv = pending.withUnsafeBytes { try! Blake3.Hazmat.chainingValue(ofSubtree: $0, inputOffset: offset) }
        groups.append(cv)
        pending.removeAll(keepingCapacity: true)
    }

    /// The pruned tree (pre-order parents) and the root hash.
    public mutating func finalize() -> (tree: [UInt8], hash: Blake3.Digest) {
        if groups.isEmpty { return ([], Blake3.hash(pending)) }
        flush()
        var tree = [UInt8](repeating: 0, count: Int(BaoGroupedOutboard.size(contentLength: length, groupLength: groupLength)))
        var cursor = 0
        func node(firstGroup: Int, length: UInt64) -> Blake3.Hazmat.ChainingValue {
            if length <= groupLength { return groups[firstGroup] }
            let slot = cursor
            cursor += Bao.parentLength
            let left = Bao.leftLength(length)
            let l = node(firstGroup: firstGroup, length: left)
            let r = node(firstGroup: firstGroup + Int(left / groupLength), length: length - left)
            tree.withUnsafeMutableBytes { bytes in
                l.write(to: bytes.baseAddress! + slot)
                r.write(to: bytes.baseAddress! + slot + 32)
            }
            return Blake3.Hazmat.mergeSubtreesNonRoot(l, r)
        }
        cursor = Bao.parentLength
        let left = Bao.leftLength(length)
        let l = node(firstGroup: 0, length: left)
        let r = node(firstGroup: Int(left / groupLength), length: length - left)
        tree.withUnsafeMutableBytes { bytes in
            l.write(to: bytes.baseAddress!)
            r.write(to: bytes.baseAddress! + 32)
        }
        return (tree, Blake3.Hazmat.mergeSubtreesRoot(l, r))
    }
}
