#if !hasFeature(Embedded) && canImport(Glibc)
import Glibc
#elseif !hasFeature(Embedded) && canImport(Darwin)
import Darwin
#endif

/// The decoder's history buffer, which grows by doubling with the output. Where the C library is
/// at hand it is `malloc`ed and grown with `realloc`: glibc moves a large block (one of its own
/// mappings) with `mremap`, so growing copies nothing and touches no page again. Allocating anew
/// and copying, each doubling faulted in fresh pages for everything decoded so far: decoding
/// 32 MiB with a 2 MiB window touched 12.6 MB of history where it fills 4.3 (3,400 page faults
/// of the command's 3,900). Elsewhere (Embedded Swift) it is Swift's allocation and a copy.
enum HistoryMemory {
    static func allocate(_ count: Int) -> UnsafeMutablePointer<UInt8> {
        #if !hasFeature(Embedded) && (canImport(Glibc) || canImport(Darwin))
        // Swift's own allocation is `malloc` here too, and fails as it would.
        return malloc(max(1, count))!.assumingMemoryBound(to: UInt8.self)
        #else
        return .allocate(capacity: count)
        #endif
    }

    static func release(_ pointer: UnsafeMutablePointer<UInt8>) {
        #if !hasFeature(Embedded) && (canImport(Glibc) || canImport(Darwin))
        free(pointer)
        #else
        pointer.deallocate()
        #endif
    }

    /// `pointer`'s block grown to `capacity` bytes, its first `keeping` bytes kept.
    static func grow(_ pointer: UnsafeMutablePointer<UInt8>, keeping: Int, to capacity: Int) -> UnsafeMutablePointer<UInt8> {
        #if !hasFeature(Embedded) && (canImport(Glibc) || canImport(Darwin))
        if let raw = realloc(pointer, capacity) { return raw.assumingMemoryBound(to: UInt8.self) }
        #endif
        let grown = allocate(capacity)
        grown.update(from: pointer, count: keeping)
        release(pointer)
        return grown
    }
}
