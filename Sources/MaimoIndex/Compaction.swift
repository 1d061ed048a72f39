#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sizes of an index file.
public struct IndexStatistics: Sendable {
    /// Bytes per page.
    public var pageSize: Int
    /// Pages in the file, meta pages included.
    public var pages: UInt64
    /// Pages on the free list, reused before the file grows.
    public var freePages: Int
    /// The number of the last committed transaction.
    public var transaction: UInt64
    /// Every table with its number of keys, in name order.
    public var tables: [(name: String, keys: UInt64)]
}

extension IndexDatabase {
    /// Page counts, free pages, tables and their sizes as of the newest commit.
    public func statistics() throws(IndexError) -> IndexStatistics {
        let transaction = try beginRead()
        defer { transaction.end() }
        var tables: [(String, UInt64)] = []
        for name in try transaction.tables() { tables.append((name, try transaction.count(name))) }
        state.lock.lock()
        let free = state.freePages.count
        state.lock.unlock()
        return IndexStatistics(pageSize: pager.pageSize, pages: transaction.meta.pageCount, freePages: free,
                               transaction: transaction.meta.transaction, tables: tables)
    }

    /// Writes every table of the newest commit into a fresh file at `destination` (which must
    /// not exist), with no free pages, and syncs it. Replace the original with it once this
    /// database is closed: ``compact(path:)`` does all of that.
    public func copyCompacted(to destination: String) throws(IndexError) {
        if access(destination, F_OK) == 0 { throw .badFile(path: destination, reason: "already exists") }
        var options = IndexDatabase.Options()
        options.pageSize = pager.pageSize
        options.syncCommits = false
        let copy = try IndexDatabase(path: destination, options: options)
        defer { copy.close() }
        let source = try beginRead()
        defer { source.end() }
        let target = try copy.beginWrite()
        do throws(IndexError) {
            for name in try source.tables() {
                try target.createTable(name)
                var cursor = try source.cursor(name)
                try cursor.first()
                while let (key, value) = try cursor.current() {
                    try target.put(name, key, value)
                    try cursor.next()
                }
            }
            try target.commit()
            // No growth slack in the copy: exactly its pages.
            let pages = copy.state.meta.pageCount
            if ftruncate(copy.pager.descriptor, off_t(pages) * off_t(copy.pager.pageSize)) != 0 {
                throw .io(operation: "truncate", path: destination, errno: errno)
            }
            try copy.pager.sync()
        } catch {
            target.rollback()
            throw error
        }
    }

    /// Compacts the file at `path` in place: copies it to `path.compact`, syncs, and renames the
    /// copy over the original. Returns the sizes in bytes before and after.
    @discardableResult
    public static func compact(path: String) throws(IndexError) -> (before: UInt64, after: UInt64) {
        let temporary = path + ".compact"
        unlink(temporary)
        let database = try IndexDatabase(path: path, options: { var o = Options(); o.createIfMissing = false; return o }())
        do throws(IndexError) {
            try database.copyCompacted(to: temporary)
        } catch {
            database.close()
            unlink(temporary)
            throw error
        }
        var old = stat(), new = stat()
        stat(path, &old)
        stat(temporary, &new)
        // Still holding the original's lock: no other writer can slip in between.
        if rename(temporary, path) != 0 {
            let code = errno
            database.close()
            unlink(temporary)
            throw .io(operation: "rename", path: temporary, errno: code)
        }
        database.close()
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let descriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY)
        if descriptor >= 0 {
            fsync(descriptor)
            Glibc.close(descriptor)
        }
        return (UInt64(old.st_size), UInt64(new.st_size))
    }
}
