// A digest in JSON and other Codable formats: its 64 lowercase hex digits, as b3sum prints it.
// Codable needs existentials, which Embedded Swift lacks: not part of the Embedded core.
#if !hasFeature(Embedded)
extension Blake3.Digest: Codable {
    /// Reads 64 hex digits (either case).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(hex: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    /// Writes 64 lowercase hex digits.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
#endif
