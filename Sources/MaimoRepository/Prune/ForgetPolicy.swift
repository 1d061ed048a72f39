import Foundation

/// Which snapshots to keep, restic-style (`--keep-last`, `--keep-daily`, `--keep-weekly`,
/// `--keep-monthly`): within each group of snapshots of the same paths and host, a snapshot is
/// kept if it is among the `last` newest, or the newest of one of the `daily` most recent days
/// (UTC) that have a snapshot, or likewise of the `weekly` most recent ISO weeks, or the
/// `monthly` most recent months. A policy that keeps nothing is refused.
public struct ForgetPolicy: Sendable, Equatable {
    /// Keep the newest this many snapshots.
    public var last: Int
    /// Keep the newest snapshot of each of this many days.
    public var daily: Int
    /// Keep the newest snapshot of each of this many weeks.
    public var weekly: Int
    /// Keep the newest snapshot of each of this many months.
    public var monthly: Int

    /// A policy; all zero keeps nothing (``keepsSomething`` is then false).
    public init(last: Int = 0, daily: Int = 0, weekly: Int = 0, monthly: Int = 0) {
        self.last = last
        self.daily = daily
        self.weekly = weekly
        self.monthly = monthly
    }

    /// Whether any rule keeps a snapshot.
    public var keepsSomething: Bool { last > 0 || daily > 0 || weekly > 0 || monthly > 0 }

    /// The snapshots to keep and to forget, each newest first.
    public func apply(to snapshots: [SnapshotRecord]) throws(RepositoryError) -> (keep: [SnapshotRecord], forget: [SnapshotRecord]) {
        guard keepsSomething else { throw .usage("a forget policy must keep something (--keep-last, --keep-daily, --keep-weekly or --keep-monthly)") }
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(secondsFromGMT: 0) ?? calendar.timeZone
        var groups: [String: [SnapshotRecord]] = [:]
        for record in snapshots {
            groups[record.snapshot.host + "\u{0}" + record.snapshot.paths.sorted().joined(separator: "\u{0}"), default: []].append(record)
        }
        var keep: [SnapshotRecord] = [], forget: [SnapshotRecord] = []
        for (_, group) in groups {
            let newest = group.sorted {
                $0.snapshot.time != $1.snapshot.time ? $0.snapshot.time > $1.snapshot.time : $0.blob.bytes.lexicographicallyPrecedes($1.blob.bytes)
            }
            // Each rule: how a snapshot's bucket is named, and how many buckets it keeps.
            let rules: [(Int, (Date) -> String)] = [
                (last, { _ in UUID().uuidString }),
                (daily, { date in let c = calendar.dateComponents([.year, .month, .day], from: date); return "\(c.year ?? 0)-\(c.month ?? 0)-\(c.day ?? 0)" }),
                (weekly, { date in let c = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date); return "\(c.yearForWeekOfYear ?? 0)-\(c.weekOfYear ?? 0)" }),
                (monthly, { date in let c = calendar.dateComponents([.year, .month], from: date); return "\(c.year ?? 0)-\(c.month ?? 0)" }),
            ]
            var remaining = rules.map(\.0)
            var lastBucket = [String?](repeating: nil, count: rules.count)
            for record in newest {
                let date = Date(timeIntervalSince1970: Double(record.snapshot.time) / 1000)
                var kept = false
                for (i, rule) in rules.enumerated() where remaining[i] > 0 {
                    let bucket = rule.1(date)
                    if bucket != lastBucket[i] {
                        lastBucket[i] = bucket
                        remaining[i] -= 1
                        kept = true
                    }
                }
                if kept { keep.append(record) } else { forget.append(record) }
            }
        }
        let order = { (a: SnapshotRecord, b: SnapshotRecord) in a.snapshot.time > b.snapshot.time }
        return (keep.sorted(by: order), forget.sorted(by: order))
    }
}
