import Foundation

/// Typed rows: keys as tuples, values as any `Codable` type (stored as JSON with sorted keys, so
/// that `maimo index get` shows them and other tools can read them).
public enum RecordCoder {
    /// `value` as JSON with sorted keys.
    public static func encode<T: Encodable>(_ value: T) throws(TupleError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        do { return Array(try encoder.encode(value)) } catch { throw .value("cannot encode \(T.self): \(error)") }
    }

    /// A `T` from JSON `bytes`.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(TupleError) -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch { throw .value("cannot decode \(T.self): \(error)") }
    }
}

extension WriteTransaction {
    /// Stores a `Codable` row under a tuple key.
    public func put<T: Encodable>(_ table: String, key: [TupleElement], record: T) throws {
        try put(table, KeyTuple.encode(key), RecordCoder.encode(record))
    }

    /// The `Decodable` row under a tuple key, or nil.
    public func get<T: Decodable>(_ table: String, key: [TupleElement], as type: T.Type) throws -> T? {
        try get(table, KeyTuple.encode(key)).map { (bytes) throws in try RecordCoder.decode(T.self, from: bytes) }
    }
}

extension ReadTransaction {
    /// The `Decodable` row under a tuple key, or nil.
    public func get<T: Decodable>(_ table: String, key: [TupleElement], as type: T.Type) throws -> T? {
        try get(table, KeyTuple.encode(key)).map { (bytes) throws in try RecordCoder.decode(T.self, from: bytes) }
    }
}
