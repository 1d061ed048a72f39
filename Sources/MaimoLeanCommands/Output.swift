#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered standard output (flushed at 64 KiB and on ``flush()``) and unbuffered standard error,
/// for commands that print many lines or raw bytes.
package enum Console {
    // A pthread mutex: not `Mutex` (ThreadSanitizer cannot see its kernel hand-over on Linux),
    // not `NSLock` (Foundation would load ICU into the lean executables, see Sources/maimo-hash).
    nonisolated(unsafe) private static var buffer: [UInt8] = []
    nonisolated(unsafe) private static let lock: UnsafeMutablePointer<pthread_mutex_t> = {
        let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
        return lock
    }()
    private static func pending<R>(_ body: (inout [UInt8]) -> R) -> R {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return body(&buffer)
    }

    package static func write(_ string: String) {
        pending { $0.append(contentsOf: string.utf8) }
        flushIfLarge()
    }

    package static func write(bytes: UnsafeRawBufferPointer) {
        pending { $0.append(contentsOf: bytes) }
        flushIfLarge()
    }

    /// A line on standard error, after everything already written to standard output.
    package static func error(_ line: String, newline: Bool = true) {
        flush()
        writeAll(descriptor: 2, Array((newline ? line + "\n" : line).utf8))
    }

    package static func flush() {
        let bytes = pending { buffer in
            defer { buffer.removeAll(keepingCapacity: true) }
            return buffer
        }
        writeAll(descriptor: 1, bytes)
    }

    private static func flushIfLarge() {
        if pending({ $0.count >= 64 * 1024 }) { flush() }
    }

    private static func writeAll(descriptor: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }  // A closed pipe: nothing more can be said.
                offset += n
            }
        }
    }
}
