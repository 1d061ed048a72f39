import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and writes whole pages with `pread`/`pwrite`, and caches decoded nodes. Committed
/// pages are immutable while reachable, so the cache needs no invalidation except when a freed
/// page number is written again (``store(_:at:)``).
///
/// The cache and the file length are guarded by an `NSLock` (a pthread mutex), not the standard
/// library's `Mutex`: on Linux that one hands a contended lock over in the kernel (a
/// priority-inheritance futex), which ThreadSanitizer cannot see, so every contended access
/// it guards is reported as a race, and real races would drown among them.
final class Pager: @unchecked Sendable {
    let descriptor: Int32
    let path: String
    let pageSize: Int
    let cacheCapacity: Int
    private let lock = NSLock()
    private var cache: [UInt64: Node] = [:]
    /// Bytes the file has been extended to (grown in large steps).
    private var allocated: UInt64 = 0
    /// A read-only mapping of the file's first `mappedLength` bytes of address space (beyond the
    /// file's end it is never touched), or nil to read with `pread`.
    nonisolated(unsafe) private let map: UnsafeRawPointer?
    private static let mappedLength = 1 << 40

    init(descriptor: Int32, path: String, pageSize: Int, cacheCapacity: Int, memoryMap: Bool = false) throws(IndexError) {
        self.descriptor = descriptor
        self.path = path
        self.pageSize = pageSize
        self.cacheCapacity = max(cacheCapacity, 64)
        var info = stat()
        if fstat(descriptor, &info) != 0 { throw .io(operation: "stat", path: path, errno: errno) }
        allocated = UInt64(info.st_size)
        if memoryMap {
            let address = mmap(nil, Self.mappedLength, PROT_READ, MAP_SHARED | MAP_NORESERVE, descriptor, 0)
            map = address == MAP_FAILED ? nil : UnsafeRawPointer(address)
        } else {
            map = nil
        }
    }

    deinit {
        if let map { munmap(UnsafeMutableRawPointer(mutating: map), Self.mappedLength) }
        close(descriptor)
    }

    func read(_ number: UInt64) throws(IndexError) -> [UInt8] {
        var page = [UInt8](repeating: 0, count: pageSize)
        let offset = off_t(number) * off_t(pageSize)
        if let map {
            // Only pages inside the file: touching the mapping past its end would be SIGBUS.
            guard UInt64(offset) + UInt64(pageSize) <= lock.withLock({ allocated }) else {
                throw .corruptPage(page: number, reason: "beyond the end of the file")
            }
            page.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: map + Int(offset), count: pageSize)) }
            return page
        }
        let n = page.withUnsafeMutableBytes { raw -> Int in
            var done = 0
            while done < raw.count {
                let r = pread(descriptor, raw.baseAddress! + done, raw.count - done, offset + off_t(done))
                if r < 0 && errno == EINTR { continue }
                if r <= 0 { return r < 0 ? -1 : done }
                done += r
            }
            return done
        }
        if n < 0 { throw .io(operation: "read", path: path, errno: errno) }
        if n < pageSize { throw .corruptPage(page: number, reason: "beyond the end of the file") }
        return page
    }

    /// The decoded leaf or branch at `number`, from the cache or the file.
    func node(_ number: UInt64) throws(IndexError) -> Node {
        if let node = lock.withLock({ cache[number] }) { return node }
        let page = try read(number)
        let node = try page.withUnsafeBytes { (raw) -> Result<Node, IndexError> in
            do throws(IndexError) { return .success(try NodeCodec.decode(raw, number: number)) } catch { return .failure(error) }
        }.get()
        remember(node, at: number)
        return node
    }

    func remember(_ node: Node, at number: UInt64) {
        lock.withLock {
            if cache.count >= cacheCapacity {
                // Drop an arbitrary half: cheap, and hot pages come straight back.
                var dropped = 0
                for key in cache.keys where dropped < cacheCapacity / 2 {
                    cache[key] = nil
                    dropped += 1
                }
            }
            cache[number] = node
        }
    }

    func forget(_ number: UInt64) {
        lock.withLock { _ = cache.removeValue(forKey: number) }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at number: UInt64) throws(IndexError) {
        let offset = off_t(number) * off_t(pageSize)
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, offset + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ENOSPC || errno == EDQUOT || errno == EFBIG { throw .diskFull(path: path) }
                throw .io(operation: "write", path: path, errno: errno)
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8], at number: UInt64) throws(IndexError) {
        let result: Result<Void, IndexError> = bytes.withUnsafeBytes { raw in
            do throws(IndexError) { try write(raw, at: number); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    /// Makes the file at least `pages` pages long, growing it by at least 1/4 (and 1 MiB) at a
    /// time so that appends do not change the file size on every commit.
    func ensureCapacity(pages: UInt64) throws(IndexError) {
        let needed = pages * UInt64(pageSize)
        let current = lock.withLock { allocated }
        guard needed > current else { return }
        let target = max(needed, current + max(current / 4, 1 << 20))
        if ftruncate(descriptor, off_t(target)) != 0 {
            if errno == ENOSPC || errno == EFBIG { throw .diskFull(path: path) }
            throw .io(operation: "truncate", path: path, errno: errno)
        }
        lock.withLock { allocated = target }
    }

    func sync() throws(IndexError) {
        #if canImport(Glibc)
        if fdatasync(descriptor) != 0 { throw .io(operation: "fdatasync", path: path, errno: errno) }
        #else
        if fsync(descriptor) != 0 { throw .io(operation: "fsync", path: path, errno: errno) }
        #endif
    }
}
