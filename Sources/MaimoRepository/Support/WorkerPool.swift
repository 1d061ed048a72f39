import Foundation

/// Runs work on an explicit number of threads. Unlike `DispatchQueue.concurrentPerform`, which
/// never runs more iterations at once than there are cores, the width here is what is asked for:
/// network-bound work (uploads, downloads, proofs) needs more workers than cores.
package enum WorkerPool {
    /// Calls `body(worker)` on `width` threads (worker 0 on the calling thread) and returns when
    /// all have returned.
    package static func run(width: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let width = max(1, width)
        guard width > 1 else { body(0); return }
        let done = DispatchSemaphore(value: 0)
        for worker in 1..<width {
            let thread = Thread {
                body(worker)
                done.signal()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        body(0)
        for _ in 1..<width { done.wait() }
    }
}

/// A queue of work items shared by the workers of a pool: each takes the next index until none
/// are left.
package final class WorkCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    package let count: Int

    package init(count: Int) { self.count = count }

    package func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}

/// A value guarded by a lock, for results gathered from several workers.
package final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) { self.value = value }

    package func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    package var current: Value { withLock { $0 } }
}
