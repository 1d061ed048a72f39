// Platform layer: giving back the page-table entries of a mapped file's parts already hashed,
// while the threads hash the rest. Not part of the Embedded Swift core.
#if !hasFeature(Embedded) && !os(WASI)
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A read-only mapping cut into regions, each released with `MADV_DONTNEED` by the thread that
/// reports its last byte hashed.
///
/// Tearing down 512 MiB of page-table entries took `munmap` 10–14 ms, alone on one core after
/// the hashing (b3sum pays the same): a sixth of a two-thread run. Released region by region
/// as the threads go, that work is shared between them and only the last region's is left for
/// `munmap`. Releasing changes nothing but speed: a released page read again would be
/// faulted in again from the page cache.
final class MappedRegions: @unchecked Sendable {  // the counters are atomics; the rest is constant
    private let base: UnsafeMutableRawPointer
    private let length: Int
    let regionSize: Int
    private let hashed: UnsafeMutablePointer<Atomic<Int>>
    private let regionCount: Int
    private let releases = Atomic<Int>(0)

    init(base: UnsafeMutableRawPointer, length: Int, regionSize: Int) {
        self.base = base
        self.length = length
        self.regionSize = regionSize
        regionCount = (length + regionSize - 1) / regionSize
        hashed = .allocate(capacity: max(1, regionCount))
        for region in 0..<regionCount { (hashed + region).initialize(to: Atomic(0)) }
    }

    deinit {
        hashed.deinitialize(count: regionCount)
        hashed.deallocate()
    }

    /// How many regions were released so far.
    var released: Int { releases.load(ordering: .relaxed) }

    /// Notes `piece` (a part of the mapping) as hashed, releasing every region it completes.
    /// Each byte must be reported at most once.
    func noteHashed(_ piece: UnsafeRawBufferPointer) {
        guard let address = piece.baseAddress else { return }
        var start = address - UnsafeRawPointer(base)
        let end = start + piece.count
        precondition(start >= 0 && end <= length, "a piece outside the mapping")
        while start < end {
            let region = start / regionSize
            let regionStart = region * regionSize
            let regionEnd = min(regionStart + regionSize, length)
            let count = min(end, regionEnd) - start
            if hashed[region].wrappingAdd(count, ordering: .relaxed).newValue == regionEnd - regionStart {
                _ = madvise(base + regionStart, regionEnd - regionStart, MADV_DONTNEED)
                releases.wrappingAdd(1, ordering: .relaxed)
            }
            start += count
        }
    }
}
#endif
