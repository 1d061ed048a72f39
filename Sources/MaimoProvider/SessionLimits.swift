import Dispatch
import Foundation

/// When a session last did something that counts, and since when a frame it started has been
/// arriving. Only whole frames (in or out) count as activity: a peer that trickles a byte at a
/// time (slow-loris) keeps neither its session nor its slot.
final class SessionClock: @unchecked Sendable {
    private let lock = NSLock()
    private var lastActivity = DispatchTime.now().uptimeNanoseconds
    private var partialSince: UInt64?

    /// A whole frame was received or sent.
    func touch() {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        lastActivity = now
        lock.unlock()
    }

    /// After parsing: `processed` whole frames came in, `buffered` bytes of the next one wait.
    func parsed(processed: Bool, buffered: Int) {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        if processed { lastActivity = now }
        partialSince = buffered == 0 ? nil : processed ? now : (partialSince ?? now)
        lock.unlock()
    }

    /// Why the session should end now, if it should: no whole frame for `idle` seconds, or a
    /// frame begun `frame` seconds ago and still not whole.
    func overdue(idle: Double, frame: Double) -> String? {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        defer { lock.unlock() }
        if let since = partialSince, Double(now &- since) / 1e9 > frame {
            return "a frame took more than \(Int(frame)) s to arrive"
        }
        if Double(now &- lastActivity) / 1e9 > idle { return "idle for \(Int(idle)) s" }
        return nil
    }
}

/// Requests per second per client, as token buckets (a second's worth of burst): a client over
/// its rate is not refused, its session just waits (its bytes are not read meanwhile), so an
/// honest client slows down and a flooding one costs the provider a bounded amount of work.
final class RequestBudget: @unchecked Sendable {
    let rate: Double
    private let lock = NSLock()
    private var buckets: [[UInt8]: (tokens: Double, time: UInt64)] = [:]
    private var pauses = 0

    init(requestsPerSecond: Double) { rate = max(1, requestsPerSecond) }

    /// Takes one request from `client`'s budget: 0 when granted, else the seconds to wait
    /// before asking again.
    func take(for client: [UInt8]) -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        defer { lock.unlock() }
        var bucket = buckets[client] ?? (rate, now)
        bucket.tokens = min(rate, bucket.tokens + Double(now &- bucket.time) / 1e9 * rate)
        bucket.time = now
        defer { buckets[client] = bucket }
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            return 0
        }
        pauses += 1
        return (1 - bucket.tokens) / rate
    }

    /// Forgets buckets full again (clients that stopped asking), so the table stays small.
    func sweep() {
        let now = DispatchTime.now().uptimeNanoseconds
        lock.lock()
        buckets = buckets.filter { _, bucket in bucket.tokens + Double(now &- bucket.time) / 1e9 * rate < rate }
        lock.unlock()
    }

    /// How often a session was made to wait (for logs and tests).
    var pauseCount: Int { lock.lock(); defer { lock.unlock() }; return pauses }
}
