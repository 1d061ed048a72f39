// Platform layer: a value shared between threads behind a lock — the standard library's Mutex
// where the platform has one, a spin lock on an atomic flag in Embedded Swift (bare WebAssembly
// and AArch64 have no Mutex; there, contention is the rare case of two threads building the same
// dictionary tables).
import Synchronization

final class Locked<Value: Sendable>: Sendable {
    #if hasFeature(Embedded)
    private let busy = Atomic<Bool>(false)
    private nonisolated(unsafe) var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        while !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {}
        defer { busy.store(false, ordering: .releasing) }
        return body(&value)
    }
    #else
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        mutex.withLock { body(&$0) }
    }
    #endif
}
