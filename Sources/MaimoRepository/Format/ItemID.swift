import MaimoBlake3

/// The 32-byte name of an item: the keyed BLAKE3 of its plaintext under the repository's
/// chunk-ID key (Docs/Repository.md §3). Hashable for the chunk index; compared in constant time.
public struct ItemID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 32 bytes.
    public let bytes: [UInt8]

    /// From exactly 32 bytes.
    public init(_ bytes: [UInt8]) throws(RepositoryError) {
        guard bytes.count == 32 else { throw .malformed(what: "item ID", offset: 0, reason: "\(bytes.count) bytes instead of 32") }
        self.bytes = bytes
    }

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    init(_ digest: Blake3.Digest) { bytes = digest.bytes }

    /// From 64 hexadecimal digits.
    public init(hex: String) throws(RepositoryError) {
        do { self.init(try Blake3.Digest(hex: hex)) } catch { throw .malformed(what: "item ID", offset: 0, reason: "not 64 hex digits") }
    }

    public var description: String { bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined() }

    /// The first 8 bytes, for short names in reports.
    public var short: String { String(description.prefix(16)) }

    public static func == (lhs: ItemID, rhs: ItemID) -> Bool {
        guard lhs.bytes.count == rhs.bytes.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<lhs.bytes.count { difference |= lhs.bytes[i] ^ rhs.bytes[i] }
        return difference == 0
    }

    public func hash(into hasher: inout Swift.Hasher) { hasher.combine(bytes) }

    public static func < (lhs: ItemID, rhs: ItemID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
