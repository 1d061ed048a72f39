// Platform layer: a value shared between threads behind a lock — a pthread mutex on Linux, the
// standard library's Mutex on Darwin, a spin lock on an atomic flag in Embedded Swift (bare
// WebAssembly and AArch64 have no Mutex; there, contention is the rare case of two threads
// building the same dictionary tables).
//
// Not `Mutex` on Linux: it hands a contended lock over in the kernel (a priority-inheritance
// futex), which ThreadSanitizer cannot see, so it reports every contended access as a race.
#if hasFeature(Embedded)
import Synchronization
#elseif canImport(Glibc)
import Glibc
#else
import Synchronization
#endif

#if hasFeature(Embedded)
final class Locked<Value: Sendable>: Sendable {
    private let busy = Atomic<Bool>(false)
    private nonisolated(unsafe) var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        while !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {}
        defer { busy.store(false, ordering: .releasing) }
        return body(&value)
    }
}
#elseif canImport(Glibc)
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body(&value)
    }
}
#else
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
}
#endif
