// A software prefetch, as the reference implementations issue one for every lane a few blocks
// ahead. Swift has no prefetch function, but a declaration with LLVM's intrinsic name lowers
// to the intrinsic itself (`prefetcht0` on x86-64, `prfm pldl1keep` on arm64); no C involved.

// Built with `-D MAIMO_NO_PREFETCH` (Scripts/sanitize.sh does), a no-op: under ThreadSanitizer
// Swift 6.3 wraps the call in an `invoke`, which LLVM refuses for an intrinsic (the compiler
// aborts on "Cannot invoke an intrinsic").
#if !MAIMO_NO_PREFETCH
@_silgen_name("llvm.prefetch.p0")
private func llvmPrefetch(_ address: UnsafeRawPointer, _ write: Int32, _ locality: Int32, _ dataCache: Int32)
#endif

/// Asks the CPU to bring the cache line at `address` into L1 for reading. A hint only: it never
/// faults, even past the end of a mapping, and changes no result.
@inline(__always)
func prefetchForReading(_ address: UnsafeRawPointer) {
    #if !MAIMO_NO_PREFETCH
    llvmPrefetch(address, 0, 3, 1)
    #endif
}
