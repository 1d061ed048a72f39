import MaimoBlake3

/// The combined encoding of content held as data plus a ``BaoGroupedOutboard`` tree, read as if
/// it were stored: header, parents and chunks at the offsets of ``Bao/encodedSize(contentLength:)``.
/// Parents above the groups come from the tree, those inside a group are recomputed from the
/// group's data (one group is cached). So ``Bao/slice(from:data:start:count:)`` over this source
/// gives the `bao` crate's slices, and reading it front to back gives its combined encoding.
///
/// Nothing is verified here: a holder that serves this to a reader proves nothing until the
/// reader checks it against the root. Not thread-safe (one source per reader).
public final class BaoGroupedSource<Data: BaoByteSource, Tree: BaoByteSource>: BaoByteSource {
    /// The content.
    public let data: Data
    /// The grouped outboard tree of the content (``BaoGroupedOutboard``).
    public let tree: Tree
    /// The content's length in bytes.
    public let contentLength: UInt64
    /// Content bytes per group of the tree.
    public let groupLength: UInt64
    /// The combined encoding's size.
    public var encodedSize: UInt64 { Bao.encodedSize(contentLength: contentLength) }

    private var cachedGroup: UInt64 = .max
    private var groupBytes: [UInt8] = []
    private var chunkValues: [Blake3.Hazmat.ChainingValue] = []

    /// - Precondition: `groupLength` is a power-of-two number of chunks.
    public init(data: Data, tree: Tree, contentLength: UInt64, groupLength: UInt64 = BaoGroupedOutboard.defaultGroupLength) {
        precondition(BaoGroupedOutboard.isValid(groupLength: groupLength), "a group is a power-of-two number of chunks")
        self.data = data
        self.tree = tree
        self.contentLength = contentLength
        self.groupLength = groupLength
    }

    public func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        var done = 0
        while done < buffer.count {
            let position = offset + UInt64(done)
            guard position < encodedSize else { break }
            let out = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
            done += try copyElement(at: position, into: out)
        }
        return done
    }

    /// What lies at an offset of the combined encoding.
    private enum Element {
        case header
        /// The parent of the subtree `start ..< start + length`; `node` indexes the kept tree
        /// when the subtree is longer than a group.
        case parent(start: UInt64, length: UInt64, node: UInt64)
        case chunk(start: UInt64, length: UInt64)
    }

    /// The element containing `position` and where it starts in the encoding.
    private func locate(_ position: UInt64) -> (Element, UInt64) {
        let header = Bao.headerLength64
        if position < header { return (.header, 0) }
        var start: UInt64 = 0, length = contentLength, encoded = header, node: UInt64 = 0
        while true {
            if length <= Bao.chunkLength64 { return (.chunk(start: start, length: length), encoded) }
            let parent = Bao.parentLength64
            if position < encoded + parent { return (.parent(start: start, length: length, node: node), encoded) }
            let left = Bao.leftLength(length)
            let leftEncoded = Bao.parentBytes(contentLength: left) + left
            if position < encoded + parent + leftEncoded {
                encoded += parent
                length = left
            } else {
                encoded += parent + leftEncoded
                start += left
                node += BaoGroupedOutboard.groupCount(contentLength: left, groupLength: groupLength) - 1
                length -= left
            }
            if length > groupLength { node += 1 }
        }
    }

    private func copyElement(at position: UInt64, into out: UnsafeMutableRawBufferPointer) throws(BaoError) -> Int {
        let (element, elementStart) = locate(position)
        let skip = Int(position - elementStart)
        switch element {
        case .header:
            var header = [UInt8](repeating: 0, count: Bao.headerLength)
            for i in 0..<8 { header[i] = UInt8(truncatingIfNeeded: contentLength >> (8 * UInt64(i))) }
            return copy(header, from: skip, into: out)
        case let .parent(start, length, node):
            if length > groupLength {
                let n = min(out.count, Bao.parentLength - skip)
                try tree.readExactly(at: node * Bao.parentLength64 + UInt64(skip),
                                     into: UnsafeMutableRawBufferPointer(rebasing: out[..<n]))
                return n
            }
            try loadGroup(containing: start)
            let left = Bao.leftLength(length)
            var bytes = [UInt8](repeating: 0, count: Bao.parentLength)
            bytes.withUnsafeMutableBytes { raw in
                subtreeValue(start: start, length: left).write(to: raw.baseAddress!)
                subtreeValue(start: start + left, length: length - left).write(to: raw.baseAddress! + 32)
            }
            return copy(bytes, from: skip, into: out)
        case let .chunk(start, length):
            try loadGroup(containing: start)
            let from = Int(start % groupLength) + skip
            let n = min(out.count, Int(length) - skip)
            groupBytes.withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress! + from, byteCount: n) }
            return n
        }
    }

    private func copy(_ bytes: [UInt8], from skip: Int, into out: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(out.count, bytes.count - skip)
        bytes.withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress! + skip, byteCount: n) }
        return n
    }

    /// Reads the group holding content offset `start` and the chaining values of its chunks.
    private func loadGroup(containing start: UInt64) throws(BaoError) {
        let group = start / groupLength
        guard group != cachedGroup else { return }
        let first = group * groupLength
        let count = Int(min(groupLength, contentLength - first))
        groupBytes = try data.readBytes(at: first, count: count)
        // A group starts at a multiple of 1024: the offset is always aligned.
        chunkValues = groupBytes.withUnsafeBytes { try! Blake3.Hazmat.chunkChainingValues(of: $0, inputOffset: first) }
        cachedGroup = group
    }

    /// The chaining value of a subtree inside the cached group, merged from its chunks.
    private func subtreeValue(start: UInt64, length: UInt64) -> Blake3.Hazmat.ChainingValue {
        if length <= Bao.chunkLength64 { return chunkValues[Int((start % groupLength) / Bao.chunkLength64)] }
        let left = Bao.leftLength(length)
        return Blake3.Hazmat.mergeSubtreesNonRoot(
            subtreeValue(start: start, length: left), subtreeValue(start: start + left, length: length - left))
    }
}
