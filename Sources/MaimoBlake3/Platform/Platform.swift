// The platform layer: what the compute modules' cores need from the system, behind one small
// type (MaimoBao and MaimoCipher use it through `@_spi(Platform) import MaimoBlake3`).
// Everything outside the modules' `Platform/` folders uses the standard library and
// Synchronization only and builds with Embedded Swift for bare WebAssembly and AArch64
// (`Scripts/embedded.sh`); there, these answer "no environment, no clock, one thread", and the
// results are the same bit for bit.

#if !hasFeature(Embedded)
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#elseif canImport(WASILibc)
import WASILibc
#endif
#if canImport(Dispatch)
import Dispatch
#endif
#endif

@_spi(Platform) public enum Platform {
    /// The value of the environment variable `name`, or nil (always nil without an operating system).
    public static func environment(_ name: String) -> String? {
        #if hasFeature(Embedded)
        return nil
        #else
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
        #endif
    }

    /// How long `body` takes, in nanoseconds, or nil where there is no clock.
    public static func nanoseconds(_ body: () -> Void) -> Int64? {
        #if hasFeature(Embedded)
        return nil
        #else
        let elapsed = ContinuousClock().measure(body)
        return elapsed.components.seconds &* 1_000_000_000 &+ elapsed.components.attoseconds / 1_000_000_000
        #endif
    }

    /// The system's message for the `errno` value `code`, e.g. `No such file or directory (os error 2)`.
    public static func errorMessage(_ code: Int32) -> String {
        #if hasFeature(Embedded)
        return "os error \(code)"
        #else
        return "\(String(cString: strerror(code))) (os error \(code))"
        #endif
    }

    /// Runs `body(0..<iterations)` on up to `iterations` threads and returns when all have
    /// returned; where there are no threads, one after the other on the caller's.
    public static func concurrentPerform(iterations: Int, _ body: @Sendable (Int) -> Void) {
        #if hasFeature(Embedded) || !canImport(Dispatch)
        for index in 0..<iterations { body(index) }
        #else
        DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
        #endif
    }
}
