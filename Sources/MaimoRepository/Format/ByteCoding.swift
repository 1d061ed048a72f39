/// Little-endian fields into a byte array (the layouts of Docs/Repository.md).
struct ByteWriter {
    var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
    mutating func raw<Bytes: Sequence>(_ value: Bytes) where Bytes.Element == UInt8 { bytes += value }
    mutating func id(_ value: ItemID) { bytes += value.bytes }
}

/// Reads the fields of a structure; running past its end is ``RepositoryError/malformed(what:offset:reason:)``
/// naming the structure and the offset.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let what: String

    init(_ bytes: [UInt8], what: String, offset: Int = 0) {
        self.bytes = bytes
        self.what = what
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    func fail(_ reason: String) -> RepositoryError { .malformed(what: what, offset: offset, reason: reason) }

    mutating func take(_ count: Int) throws(RepositoryError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw fail("needs \(count) more bytes, \(remaining) left") }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func u8() throws(RepositoryError) -> UInt8 { try take(1)[offset - 1] }
    mutating func u16() throws(RepositoryError) -> UInt16 { UInt16(try uint(2)) }
    mutating func u32() throws(RepositoryError) -> UInt32 { UInt32(try uint(4)) }
    mutating func u64() throws(RepositoryError) -> UInt64 { try uint(8) }
    mutating func i64() throws(RepositoryError) -> Int64 { Int64(bitPattern: try uint(8)) }
    mutating func id() throws(RepositoryError) -> ItemID { ItemID(unchecked: Array(try take(32))) }

    /// A count of following records that each take at least `minimum` bytes: refused when the
    /// bytes left cannot hold them (so a forged count cannot make us reserve gigabytes).
    mutating func count(minimum: Int) throws(RepositoryError) -> Int {
        let value = Int(try u32())
        guard value <= remaining / max(1, minimum) else { throw fail("a count of \(value) does not fit the \(remaining) bytes left") }
        return value
    }

    mutating func magic(_ expected: [UInt8]) throws(RepositoryError) {
        let found = Array(try take(expected.count))
        guard found == expected else { throw .malformed(what: what, offset: offset - expected.count, reason: "not a \(what) (bad magic or version)") }
    }

    func end() throws(RepositoryError) {
        guard remaining == 0 else { throw fail("\(remaining) trailing bytes") }
    }

    private mutating func uint(_ count: Int) throws(RepositoryError) -> UInt64 {
        var value: UInt64 = 0
        for (i, byte) in try take(count).enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        return value
    }
}
