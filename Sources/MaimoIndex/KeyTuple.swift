import Foundation

/// One element of an order-preserving key: integers, strings and byte strings.
public enum TupleElement: Sendable, Hashable {
    /// A signed integer, ordered numerically.
    case int(Int64)
    /// An unsigned integer, ordered numerically.
    case uint(UInt64)
    /// A string, ordered by its UTF-8 bytes.
    case string(String)
    /// A byte string, ordered bytewise, shorter first.
    case bytes([UInt8])
}

/// An order-preserving encoding of tuples: comparing encodings bytewise orders tuples
/// element by element (integers numerically, strings and bytes bytewise, shorter first), so
/// typed composite keys sort correctly in the B+tree and an encoded prefix of a tuple is a
/// prefix of every longer tuple that starts with it (`Docs/Index.md`, "Key tuples").
///
/// Each element is a type byte then its body: `0x01` bytes and `0x02` strings (UTF-8), with
/// every `0x00` written as `0x00 0xFF` and a `0x00` terminator; `0x10` signed integers, 8 bytes
/// big-endian with the sign bit flipped; `0x11` unsigned integers, 8 bytes big-endian.
/// Elements of different types order by type byte.
public enum KeyTuple {
    /// The order-preserving encoding of `elements`.
    public static func encode(_ elements: [TupleElement]) -> [UInt8] {
        var out: [UInt8] = []
        for element in elements {
            switch element {
            case .bytes(let bytes):
                out.append(0x01)
                escape(bytes, into: &out)
            case .string(let string):
                out.append(0x02)
                escape(Array(string.utf8), into: &out)
            case .int(let value):
                out.append(0x10)
                withUnsafeBytes(of: (UInt64(bitPattern: value) ^ (1 << 63)).bigEndian) { out.append(contentsOf: $0) }
            case .uint(let value):
                out.append(0x11)
                withUnsafeBytes(of: value.bigEndian) { out.append(contentsOf: $0) }
            }
        }
        return out
    }

    private static func escape(_ bytes: [UInt8], into out: inout [UInt8]) {
        for byte in bytes {
            out.append(byte)
            if byte == 0 { out.append(0xFF) }
        }
        out.append(0)
    }

    /// Decodes an encoded tuple; throws on anything malformed, at the offset where it is.
    public static func decode(_ bytes: [UInt8]) throws(TupleError) -> [TupleElement] {
        var elements: [TupleElement] = []
        var i = 0
        while i < bytes.count {
            let type = bytes[i]
            i += 1
            switch type {
            case 0x01, 0x02:
                var body: [UInt8] = []
                while true {
                    guard i < bytes.count else { throw .malformed(offset: i, reason: "unterminated byte string") }
                    let byte = bytes[i]
                    i += 1
                    if byte != 0 { body.append(byte); continue }
                    if i < bytes.count && bytes[i] == 0xFF { body.append(0); i += 1; continue }
                    break
                }
                if type == 0x01 {
                    elements.append(.bytes(body))
                } else {
                    guard let string = String(validating: body, as: UTF8.self) else { throw .malformed(offset: i, reason: "string is not UTF-8") }
                    elements.append(.string(string))
                }
            case 0x10, 0x11:
                guard i + 8 <= bytes.count else { throw .malformed(offset: i, reason: "integer is truncated") }
                var value: UInt64 = 0
                for byte in bytes[i..<(i + 8)] { value = value << 8 | UInt64(byte) }
                i += 8
                elements.append(type == 0x10 ? .int(Int64(bitPattern: value ^ (1 << 63))) : .uint(value))
            default:
                throw .malformed(offset: i - 1, reason: "unknown element type \(type)")
            }
        }
        return elements
    }
}
