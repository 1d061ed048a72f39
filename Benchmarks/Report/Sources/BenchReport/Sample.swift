/// Repeated measurements of one quantity (a throughput, a time, a size): the values in the order
/// measured and their minimum, median and maximum.
public struct Sample: Codable, Sendable, Equatable {
    /// The values, in the order they were measured.
    public var values: [Double]

    /// A sample of the given values.
    public init(_ values: [Double]) { self.values = values }

    /// The smallest value (0 for no values).
    public var min: Double { values.min() ?? 0 }

    /// The largest value (0 for no values).
    public var max: Double { values.max() ?? 0 }

    /// The median: the middle value, or the mean of the two middle values (0 for no values).
    public var median: Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    private enum CodingKeys: String, CodingKey { case values, min, median, max }

    /// Reads `values` (the summary fields are recomputed).
    public init(from decoder: any Decoder) throws {
        values = try decoder.container(keyedBy: CodingKeys.self).decode([Double].self, forKey: .values)
    }

    /// Writes the values and, for readers of the JSON, their minimum, median and maximum.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(values, forKey: .values)
        try container.encode(min, forKey: .min)
        try container.encode(median, forKey: .median)
        try container.encode(max, forKey: .max)
    }
}
