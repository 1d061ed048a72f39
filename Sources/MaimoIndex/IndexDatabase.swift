import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A single-file database of named tables, each an ordered map of byte-string keys to values,
/// stored as copy-on-write B+trees (`Docs/Index.md`).
///
/// One write transaction at a time and any number of read transactions, each reading the
/// snapshot committed when it began, never blocked by the writer. A commit is durable when it
/// returns (unless ``Options/syncCommits`` is off); a crash at any instant leaves the last
/// committed state.
public final class IndexDatabase: Sendable {
    /// The longest key in the default 4 KiB pages (longer pages allow longer keys).
    public static let maximumKeyLength = NodeCodec.maximumKey(pageSize: 4096)

    /// How an index file is opened.
    public struct Options: Sendable {
        /// Page size for a new file (a power of two, 1 KiB to 64 KiB); an existing file keeps its own.
        public var pageSize = 4096
        /// `fdatasync` before and after the meta page of every commit. Off for bulk loads: a
        /// crash then keeps a consistent older state on most file systems, but a power loss may
        /// lose or tear recent commits.
        public var syncCommits = true
        /// Decoded pages kept in memory.
        public var cachePages = 65_536
        /// Read pages through a read-only memory map instead of `pread` (writes always use
        /// `pwrite`). Measured: see the DocC overview; `pread` is the default.
        public var memoryMap = false
        /// Create the file when it does not exist (otherwise opening it fails).
        public var createIfMissing = true
        /// The defaults: 4 KiB pages, synced commits, 64 Ki cached pages, `pread`.
        public init() {}
    }

    /// The file's path.
    public let path: String
    /// True when one of the two meta pages did not verify (a torn meta write, or damage), so
    /// open used the other: if the bad one was the newer, its commit is lost.
    public let openedFromOlderMeta: Bool
    let pager: Pager
    let state: StateBox

    /// Opens or creates the database file at `path`.
    public init(path: String, options: Options = Options()) throws(IndexError) {
        self.path = path
        var flags = O_RDWR | O_CLOEXEC
        if options.createIfMissing { flags |= O_CREAT }
        let descriptor = open(path, flags, 0o644)
        guard descriptor >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            Glibc.close(descriptor)
            if code == EWOULDBLOCK { throw .locked(path: path) }
            throw .io(operation: "flock", path: path, errno: code)
        }
        var info = stat()
        fstat(descriptor, &info)
        let meta: Meta
        let pageSize: Int
        var fellBack = false
        if info.st_size == 0 {
            pageSize = options.pageSize
            guard pageSize >= 1024, pageSize <= 65536, pageSize & (pageSize - 1) == 0 else {
                Glibc.close(descriptor)
                throw .badFile(path: path, reason: "page size \(pageSize) is not a power of two from 1 KiB to 64 KiB")
            }
            meta = Meta(pageSize: pageSize, transaction: 1, catalogRoot: 0, freelist: 0, pageCount: 2)
            pager = try Pager(descriptor: descriptor, path: path, pageSize: pageSize, cacheCapacity: options.cachePages,
                              memoryMap: options.memoryMap)
            var page = [UInt8](repeating: 0, count: pageSize)
            for number in [UInt64(0), 1] {
                var copy = meta
                copy.transaction = number
                page.withUnsafeMutableBytes { copy.write(into: $0, number: number) }
                try pager.write(page, at: number)
            }
            try pager.sync()
        } else {
            (meta, pageSize, fellBack) = try Self.readMeta(descriptor: descriptor, path: path)
            pager = try Pager(descriptor: descriptor, path: path, pageSize: pageSize, cacheCapacity: options.cachePages,
                              memoryMap: options.memoryMap)
        }
        openedFromOlderMeta = fellBack
        state = StateBox(meta: meta, options: options)
        (state.freePages, state.freelistPages) = try Freelist.read(from: meta.freelist, pager: pager)
    }

    static func readMeta(descriptor: Int32, path: String) throws(IndexError) -> (Meta, Int, Bool) {
        var header = [UInt8](repeating: 0, count: 80)
        let n = header.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 80, 0) }
        guard n == 80, Array(header[32..<40]) == Meta.magic else {
            throw .badFile(path: path, reason: "not a MaimoIndex file")
        }
        let pageSize = Int(header.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: 44, as: UInt32.self)) })
        // Checked before a page of that size is read (the meta page's checksum comes after):
        // a damaged field must not become a gigabyte allocation (found by fuzz-index).
        guard pageSize >= 1024, pageSize <= 65536, pageSize & (pageSize - 1) == 0 else {
            throw .badFile(path: path, reason: "page size \(pageSize) in the header is not a power of two from 1 KiB to 64 KiB")
        }
        let probe = try Pager(descriptor: dup(descriptor), path: path, pageSize: pageSize, cacheCapacity: 64)
        var best: Meta?
        var problems: [String] = []
        for number in [UInt64(0), 1] {
            do throws(IndexError) {
                let page = try probe.read(number)
                switch page.withUnsafeBytes({ Meta.read($0, number: number) }) {
                case .success(let meta):
                    if best == nil || meta.transaction > best!.transaction { best = meta }
                case .failure(let error):
                    problems.append(error.description)
                }
            } catch {
                problems.append(error.description)
            }
        }
        guard let best else { throw .badFile(path: path, reason: "no valid meta page: " + problems.joined(separator: "; ")) }
        // Both metas verify in a healthy file; one that does not may have been the newer.
        return (best, best.pageSize, !problems.isEmpty)
    }

    /// Runs `body` in a read transaction on the newest committed snapshot.
    public func read<T>(_ body: (ReadTransaction) throws -> T) throws -> T {
        let transaction = try beginRead()
        defer { transaction.end() }
        return try body(transaction)
    }

    /// Runs `body` in the write transaction and commits it when `body` returns; rolls back when
    /// it throws. Waits while another write transaction is open.
    @discardableResult
    public func write<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        let transaction = try beginWrite()
        do {
            let result = try body(transaction)
            try transaction.commit()
            return result
        } catch {
            transaction.rollback()
            throw error
        }
    }

    /// A read transaction; call ``ReadTransaction/end()`` (or drop it) when done, because pages
    /// it can see are not reused while it is open.
    public func beginRead() throws(IndexError) -> ReadTransaction {
        state.lock.lock()
        defer { state.lock.unlock() }
        if state.isClosed { throw .closed }
        let meta = state.meta
        state.readers[meta.transaction, default: 0] += 1
        return ReadTransaction(database: self, meta: meta)
    }

    /// The write transaction (waits while another one is open).
    public func beginWrite() throws(IndexError) -> WriteTransaction {
        state.lock.lock()
        defer { state.lock.unlock() }
        while state.writerActive { state.lock.wait() }
        if state.isClosed { throw .closed }
        state.writerActive = true
        let oldestReader = state.readers.keys.min() ?? UInt64.max
        // A page freed by transaction T may be reused once no reader is older than T.
        var reusable: [UInt64] = [], kept: [(UInt64, UInt64)] = []
        for (page, freedBy) in state.freePages {
            if freedBy <= oldestReader && freedBy <= state.meta.transaction { reusable.append(page) } else { kept.append((page, freedBy)) }
        }
        return WriteTransaction(database: self, meta: state.meta, reusable: reusable, kept: kept,
                                freelistPages: state.freelistPages)
    }

    func endRead(_ snapshot: UInt64) {
        state.lock.lock()
        if let count = state.readers[snapshot] {
            state.readers[snapshot] = count > 1 ? count - 1 : nil
        }
        state.lock.unlock()
    }

    /// Waits for the writer, then closes and lets another process open the file; open read
    /// transactions may still finish.
    public func close() {
        state.lock.lock()
        while state.writerActive { state.lock.wait() }
        if !state.isClosed {
            state.isClosed = true
            flock(pager.descriptor, LOCK_UN)
        }
        state.lock.unlock()
    }

    /// The names of all tables, in order.
    public func tables() throws(IndexError) -> [String] {
        let transaction = try beginRead()
        defer { transaction.end() }
        return try transaction.tables()
    }
}

/// The database's shared mutable state, guarded by `lock`.
final class StateBox: @unchecked Sendable {
    let lock = NSCondition()
    var meta: Meta
    let options: IndexDatabase.Options
    var readers: [UInt64: Int] = [:]
    var writerActive = false
    var isClosed = false
    /// The pages of the committed freelist chain, freed by the next commit that writes a new one.
    var freelistPages: [UInt64] = []
    /// Free pages and the transaction that freed each.
    var freePages: [(UInt64, UInt64)] = []

    init(meta: Meta, options: IndexDatabase.Options) {
        self.meta = meta
        self.options = options
    }
}

/// The freelist chain (`Docs/Index.md`, "The freelist").
enum Freelist {
    /// The free pages the chain lists, and the pages of the chain itself.
    static func read(from first: UInt64, pager: Pager) throws(IndexError) -> (entries: [(UInt64, UInt64)], chain: [UInt64]) {
        var entries: [(UInt64, UInt64)] = []
        var chain: [UInt64] = []
        var number = first
        var seen = Set<UInt64>()
        while number != 0 {
            guard seen.insert(number).inserted else { throw .corruptPage(page: number, reason: "freelist chain loops") }
            chain.append(number)
            let page = try pager.read(number)
            let next = try page.withUnsafeBytes { (raw) -> Result<UInt64, IndexError> in
                do throws(IndexError) {
                    _ = try PageLayout.verify(raw, number: number, expecting: [.freelist])
                    let count = Int(PageLayout.extra(raw))
                    guard PageLayout.headerSize + count * 16 <= raw.count else {
                        throw .corruptPage(page: number, reason: "freelist count \(count) overflows the page")
                    }
                    for i in 0..<count {
                        let offset = PageLayout.headerSize + 16 * i
                        entries.append((UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
                                        UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))))
                    }
                    return .success(PageLayout.link(raw))
                } catch {
                    return .failure(error)
                }
            }.get()
            number = next
        }
        return (entries, chain)
    }
}
