/// Builds a payload of little-endian fields.
struct PayloadWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func raw(_ value: [UInt8]) { bytes += value }
}

/// Reads the fields of a payload; a short or overlong payload is a `badFrame`.
struct PayloadReader {
    let bytes: [UInt8]
    var offset = 0
    let what: String

    init(_ bytes: [UInt8], _ what: String) {
        self.bytes = bytes
        self.what = what
    }

    mutating func take(_ count: Int) throws(WireError) -> ArraySlice<UInt8> {
        guard count <= bytes.count - offset else { throw .badFrame("\(what): payload of \(bytes.count) bytes is too short") }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func u8() throws(WireError) -> UInt8 { try take(1).first! }
    mutating func u16() throws(WireError) -> UInt16 { UInt16(try uint(2)) }
    mutating func u32() throws(WireError) -> UInt32 { UInt32(try uint(4)) }
    mutating func u64() throws(WireError) -> UInt64 { try uint(8) }
    mutating func raw(_ count: Int) throws(WireError) -> [UInt8] { Array(try take(count)) }
    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    private mutating func uint(_ count: Int) throws(WireError) -> UInt64 {
        var value: UInt64 = 0
        for (i, byte) in try take(count).enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        return value
    }

    /// Fails when bytes are left over.
    func end() throws(WireError) {
        guard offset == bytes.count else { throw .badFrame("\(what): \(bytes.count - offset) unexpected bytes at the end") }
    }
}

/// What a provider holds under a root, for one client (`STATUS`).
public enum BlobStatus: Equatable, Sendable {
    /// Nothing is stored under the root.
    case absent
    /// An upload that stopped after this many bytes; `PUT` resumes it from there.
    case partial(UInt64)
    /// A stored, verified blob of this encoding length.
    case complete(UInt64)
}

/// The provider's answer to `STAT` and part of `WELCOME`.
public struct ProviderUsage: Equatable, Sendable {
    /// Bytes this client may store (`UInt64.max`: unlimited).
    public var quota: UInt64
    /// Bytes this client stores now.
    public var used: UInt64
    /// Blobs this client stores now.
    public var blobs: UInt64

    /// A usage report.
    public init(quota: UInt64, used: UInt64, blobs: UInt64) {
        self.quota = quota
        self.used = used
        self.blobs = blobs
    }
}
