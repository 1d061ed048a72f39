// Timing helpers shared by the comparison executables.

public let benchmarkClock = ContinuousClock()

/// A duration in seconds.
public func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// The fastest of `runs` timings of `body`, in seconds.
public func best(_ runs: Int, _ body: () throws -> Void) rethrows -> Double {
    var fastest = Double.infinity
    for _ in 0..<runs {
        let start = benchmarkClock.now
        try body()
        fastest = min(fastest, seconds(benchmarkClock.now - start))
    }
    return fastest
}

/// Seconds that `body` took, once.
public func timed(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    return seconds(clock.now - start)
}
