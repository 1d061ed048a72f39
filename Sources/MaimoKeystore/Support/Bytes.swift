/// Little-endian appends into a byte array, for building headers and records.
struct ByteWriter {
    var bytes: [UInt8]

    init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(_ data: [UInt8]) { bytes.append(contentsOf: data) }

    mutating func append(_ data: UnsafeRawBufferPointer) { bytes.append(contentsOf: data) }
}

/// Bounds-checked little-endian reads; `nil` past the end, never a trap.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    var position: Int

    init(_ bytes: UnsafeRawBufferPointer, at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    var remaining: Int { bytes.count - position }

    mutating func read<T: FixedWidthInteger>(_: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { return nil }
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: T.self))
        position += size
        return value
    }

    mutating func readBytes(_ count: Int) -> [UInt8]? {
        guard count >= 0, remaining >= count else { return nil }
        let slice = Array(bytes[position..<position + count])
        position += count
        return slice
    }

    mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, remaining >= count else { return false }
        position += count
        return true
    }
}

/// Lexicographic order of byte strings (shorter first on a common prefix), as `memcmp` does.
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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Names of files inside a store: 16 lowercase hex digits and an extension.
enum FileName {
    static func make(_ id: UInt64, _ suffix: String) -> String {
        let hex = String(id, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + "." + suffix
    }

    static func parse(_ name: String) -> (id: UInt64, suffix: String)? {
        let parts = name.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, parts[0].count == 16, let id = UInt64(parts[0], radix: 16) else { return nil }
        return (id, String(parts[1]))
    }
}

/// `withUnsafeBytes` that keeps the typed error (the standard library's is `rethrows`).
func withBytes<R>(of array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(KeystoreError) -> R) throws(KeystoreError) -> R {
    let result: Result<R, KeystoreError> = array.withUnsafeBytes { raw in
        Result { () throws(KeystoreError) in try body(raw) }
    }
    return try result.get()
}

/// `withUnsafeMutableBytes` that keeps the typed error.
func withMutableBytes<R>(of array: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(KeystoreError) -> R) throws(KeystoreError) -> R {
    let result: Result<R, KeystoreError> = array.withUnsafeMutableBytes { raw in
        Result { () throws(KeystoreError) in try body(raw) }
    }
    return try result.get()
}
