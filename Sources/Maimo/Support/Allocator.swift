#if canImport(Glibc)
import Glibc
#endif

/// The C allocator's thresholds for a process that moves large buffers (packs, frames).
///
/// glibc raises its mmap threshold after the first large block is freed (up to 32 MiB), so
/// buffers of that size then come from the threads' heaps and stay resident there, fragmented.
/// A fixed threshold keeps blocks above it mapped, handed back to the system when freed. Elsewhere
/// (or without glibc) this does nothing.
public enum Allocator {
    /// Fixes the mmap threshold at `mmapThreshold` bytes and, when given, the trim threshold
    /// (a fixed mmap threshold otherwise leaves trimming at 128 KiB). `mallopt` is not in
    /// Swift's Glibc module: it is looked up by name.
    public static func fixThresholds(mmapThreshold: Int, trimThreshold: Int? = nil) {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
        _ = mallopt(-3, Int32(clamping: mmapThreshold))         // M_MMAP_THRESHOLD
        if let trimThreshold { _ = mallopt(-1, Int32(clamping: trimThreshold)) }  // M_TRIM_THRESHOLD
        #endif
    }
}
