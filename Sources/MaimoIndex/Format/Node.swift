/// A leaf's value: in the leaf, in a run of overflow pages, or (in a transaction's own nodes,
/// before commit) too large for the leaf and not yet written.
enum LeafValue: Sendable, Equatable {
    case inline([UInt8])
    case overflow(page: UInt64, length: UInt64)
    case pendingOverflow([UInt8])
}

/// A decoded, committed B+tree page. Immutable: a committed page is never rewritten while a
/// snapshot can reach it, so decoded nodes are shared by every reader through the cache.
final class Node: Sendable {
    let isLeaf: Bool
    let keys: [[UInt8]]
    /// Leaf values, one per key.
    let values: [LeafValue]
    /// Branch children: `keys.count + 1` pages; child `i + 1` holds keys from `keys[i]` on.
    let children: [UInt64]

    init(isLeaf: Bool, keys: [[UInt8]], values: [LeafValue], children: [UInt64]) {
        self.isLeaf = isLeaf
        self.keys = keys
        self.values = values
        self.children = children
    }
}

enum NodeCodec {
    /// The largest cell that keeps four cells in a page.
    static func maximumCell(pageSize: Int) -> Int { (pageSize - PageLayout.headerSize) / 4 - 2 }
    static func maximumKey(pageSize: Int) -> Int { maximumCell(pageSize: pageSize) - 38 }

    static func leafCellSize(key: [UInt8], value: LeafValue) -> Int {
        switch value {
        case .inline(let bytes): return 8 + key.count + bytes.count
        case .overflow, .pendingOverflow: return 20 + key.count
        }
    }

    static func branchCellSize(key: [UInt8]) -> Int { 10 + key.count }

    static func encodedSize(isLeaf: Bool, keys: [[UInt8]], values: [LeafValue]) -> Int {
        var size = PageLayout.headerSize
        if isLeaf {
            for (key, value) in zip(keys, values) { size += 2 + leafCellSize(key: key, value: value) }
        } else {
            for key in keys { size += 2 + branchCellSize(key: key) }
        }
        return size
    }

    /// Writes a leaf or branch into `page` (which must be big enough) and seals it.
    static func encode(isLeaf: Bool, keys: [[UInt8]], values: [LeafValue], children: [UInt64],
                       into page: UnsafeMutableRawBufferPointer, number: UInt64, transaction: UInt64) {
        page.initializeMemory(as: UInt8.self, repeating: 0)
        PageLayout.writeHeader(page, kind: isLeaf ? .leaf : .branch, count: keys.count, transaction: transaction,
                               link: isLeaf ? 0 : children[0])
        var end = page.count
        for (index, key) in keys.enumerated() {
            let size = isLeaf ? leafCellSize(key: key, value: values[index]) : branchCellSize(key: key)
            end -= size
            page.storeBytes(of: UInt16(end).littleEndian, toByteOffset: PageLayout.headerSize + 2 * index, as: UInt16.self)
            page.storeBytes(of: UInt16(key.count).littleEndian, toByteOffset: end, as: UInt16.self)
            var position = end + 4
            if isLeaf {
                switch values[index] {
                case .inline(let bytes):
                    page.storeBytes(of: UInt32(bytes.count).littleEndian, toByteOffset: position, as: UInt32.self)
                    position += 4
                    copy(key, into: page, at: position)
                    copy(bytes, into: page, at: position + key.count)
                case .overflow(let first, let length):
                    page[end + 2] = 1
                    page.storeBytes(of: length.littleEndian, toByteOffset: position, as: UInt64.self)
                    page.storeBytes(of: first.littleEndian, toByteOffset: position + 8, as: UInt64.self)
                    copy(key, into: page, at: position + 16)
                case .pendingOverflow:
                    preconditionFailure("overflow values are written before their leaf")
                }
            } else {
                position = end + 2
                page.storeBytes(of: children[index + 1].littleEndian, toByteOffset: position, as: UInt64.self)
                copy(key, into: page, at: position + 8)
            }
        }
        PageLayout.seal(page, number: number)
    }

    private static func copy(_ bytes: [UInt8], into page: UnsafeMutableRawBufferPointer, at offset: Int) {
        bytes.withUnsafeBytes { source in
            if !source.isEmpty { (page.baseAddress! + offset).copyMemory(from: source.baseAddress!, byteCount: source.count) }
        }
    }

    /// Decodes a verified leaf or branch page; every offset and length is checked.
    static func decode(_ page: UnsafeRawBufferPointer, number: UInt64) throws(IndexError) -> Node {
        let kind = try PageLayout.verify(page, number: number, expecting: [.leaf, .branch])
        let isLeaf = kind == .leaf
        let count = PageLayout.count(page)
        func bad(_ why: String) -> IndexError { .corruptPage(page: number, reason: why) }
        guard PageLayout.headerSize + 2 * count <= page.count else { throw bad("slot array of \(count) cells overflows the page") }
        var keys: [[UInt8]] = [], values: [LeafValue] = [], children: [UInt64] = []
        keys.reserveCapacity(count)
        if !isLeaf { children.append(PageLayout.link(page)) }
        for index in 0..<count {
            let offset = Int(UInt16(littleEndian: page.loadUnaligned(fromByteOffset: PageLayout.headerSize + 2 * index, as: UInt16.self)))
            guard offset >= PageLayout.headerSize + 2 * count, offset + 4 <= page.count else { throw bad("cell \(index) offset \(offset) out of range") }
            let keyLength = Int(UInt16(littleEndian: page.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            if isLeaf {
                let flags = page[offset + 2]
                if flags & 1 == 0 {
                    guard offset + 8 <= page.count else { throw bad("cell \(index) runs past the page") }
                    let length = Int(UInt32(littleEndian: page.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)))
                    guard offset + 8 + keyLength + length <= page.count else { throw bad("cell \(index) runs past the page") }
                    keys.append(Array(page[(offset + 8)..<(offset + 8 + keyLength)]))
                    values.append(.inline(Array(page[(offset + 8 + keyLength)..<(offset + 8 + keyLength + length)])))
                } else {
                    guard offset + 20 + keyLength <= page.count else { throw bad("cell \(index) runs past the page") }
                    let length = UInt64(littleEndian: page.loadUnaligned(fromByteOffset: offset + 4, as: UInt64.self))
                    let first = UInt64(littleEndian: page.loadUnaligned(fromByteOffset: offset + 12, as: UInt64.self))
                    keys.append(Array(page[(offset + 20)..<(offset + 20 + keyLength)]))
                    values.append(.overflow(page: first, length: length))
                }
            } else {
                guard offset + 10 + keyLength <= page.count else { throw bad("cell \(index) runs past the page") }
                children.append(UInt64(littleEndian: page.loadUnaligned(fromByteOffset: offset + 2, as: UInt64.self)))
                keys.append(Array(page[(offset + 10)..<(offset + 10 + keyLength)]))
            }
            if index > 0 && compareBytes(keys[index - 1], keys[index]) >= 0 { throw bad("keys out of order at cell \(index)") }
        }
        if !isLeaf && count == 0 { throw bad("branch without keys") }
        return Node(isLeaf: isLeaf, keys: keys, values: values, children: children)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bytewise order (shorter first on a common prefix).
@inline(__always)
func compareBytes(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            let common = min(pa.count, pb.count)
            if common > 0 {
                let c = memcmp(pa.baseAddress!, pb.baseAddress!, common)
                if c != 0 { return Int(c) }
            }
            return pa.count - pb.count
        }
    }
}
