import MaimoBlake3
@testable import MaimoRepository

/// A store in memory that fails once a budget of operations is spent: a provider that drops the
/// connection partway through a proof (slices only), or an interruption at any point of a prune
/// (every read, write and delete).
final class BudgetStore: BlobStore, @unchecked Sendable {
    let inner: MemoryBlobStore
    let answers = Locked(Int.max)
    let writesSpend: Bool

    init(_ inner: MemoryBlobStore, writesSpend: Bool = true) {
        self.inner = inner
        self.writesSpend = writesSpend
    }

    func spend() throws(RepositoryError) {
        let allowed = answers.withLock { left -> Bool in
            guard left > 0 else { return false }
            left -= 1
            return true
        }
        guard allowed else { throw .store("connection reset") }
    }

    func put(root: Blake3.Digest, content: [UInt8]) throws(RepositoryError) {
        if writesSpend { try spend() }
        try inner.put(root: root, content: content)
    }

    func slice(root: Blake3.Digest, start: UInt64, count: UInt64) throws(RepositoryError) -> [UInt8] {
        try spend()
        return try inner.slice(root: root, start: start, count: count)
    }

    func list() throws(RepositoryError) -> [(root: Blake3.Digest, length: UInt64)] { try inner.list() }

    func delete(root: Blake3.Digest) throws(RepositoryError) {
        if writesSpend { try spend() }
        try inner.delete(root: root)
    }
}
