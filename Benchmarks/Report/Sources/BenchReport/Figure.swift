/// One figure of the report: Maimo's measurement of an operation and, measured in the same run
/// right after it, the same operation by the tool a user would otherwise pick.
public struct Figure: Codable, Sendable, Equatable {
    /// The module measured ("MaimoBlake3").
    public var module: String
    /// The operation ("hash in memory").
    public var name: String
    /// Bytes per operation, the x axis of the module's chart (nil for a figure without a size).
    public var size: Int?
    /// The unit of both samples ("MB/s", "ops/s", "s", "bytes").
    public var unit: String
    /// Whether a larger value is better (throughputs) or worse (times, sizes).
    public var higherIsBetter: Bool
    /// Maimo's values.
    public var ours: Sample
    /// The reference's name ("b3sum 1.5.4 --num-threads 1"), nil when there is none.
    public var reference: String?
    /// The reference's values, measured pair by pair with ``ours``.
    public var theirs: Sample?
    /// What the reader should know (a build option, why a reference is missing).
    public var note: String?

    /// A figure with the given fields.
    public init(module: String, name: String, size: Int? = nil, unit: String, higherIsBetter: Bool = true,
                ours: Sample, reference: String? = nil, theirs: Sample? = nil, note: String? = nil) {
        (self.module, self.name, self.size, self.unit, self.higherIsBetter) = (module, name, size, unit, higherIsBetter)
        (self.ours, self.reference, self.theirs, self.note) = (ours, reference, theirs, note)
    }

    /// How Maimo compares with the reference, from the medians: above 1 is better than the
    /// reference whichever way the unit counts (a throughput ours/theirs, a time theirs/ours).
    public var ratio: Double? {
        guard let theirs, theirs.median > 0, ours.median > 0 else { return nil }
        return higherIsBetter ? ours.median / theirs.median : theirs.median / ours.median
    }
}
