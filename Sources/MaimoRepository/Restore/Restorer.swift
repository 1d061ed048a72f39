#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

extension Repository {
    /// What ``restore(_:to:workers:sync:)`` did.
    public struct RestoreReport: Sendable {
        /// Files, directories and symbolic links restored.
        public var files = 0, directories = 0, symlinks = 0
        /// Bytes of file content written.
        public var bytes: UInt64 = 0
        /// Items read and opened (a chunk used by several files is read once).
        public var itemsRead = 0
        /// Paths that could not be restored, with why; nothing unverified was written there.
        public var failures: [(path: String, error: RepositoryError)] = []
        /// Wall-clock seconds.
        public var seconds = 0.0
        /// Of ``seconds``, the time the final flush to disk took (0 without `sync`).
        public var syncSeconds = 0.0
    }

    /// Restores `entry` (from ``find(_:)`` or ``entry(_:in:)``) to `target`: files, directories,
    /// symlinks and empty directories as they were stored, with mode and mtime (owner and group
    /// when running as root). Files are written pack by pack (`PackRestore`) to a temporary
    /// name beside the target, checked chunk by chunk (Bao against the pack root, the item's
    /// tag, the chunk ID), then renamed: a target path never holds unverified or half-written
    /// bytes. With `sync`, the
    /// written files are flushed to disk before this returns; without (the default, as restic,
    /// tar and cp do), the kernel writes them back in its own time.
    public func restore(_ entry: Tree.Entry, to target: String, workers: Int = 4, sync: Bool = false) throws(RepositoryError) -> RestoreReport {
        let started = Date()
        var plan = RestorePlan()
        try plan.add(entry, at: URL(fileURLWithPath: target).standardizedFileURL.path, repository: self)
        let restore = try PackRestore(repository: self, files: plan.files)
        let written = restore.run(workers: workers)
        var report = RestoreReport()
        report.files = written.files
        report.bytes = written.bytes
        report.itemsRead = written.items
        report.failures = written.failures
        // Directories last, deepest first, so that writing their contents does not change their times.
        for (path, directory) in plan.directories.reversed() {
            Self.applyMetadata(directory, to: path, followLinks: true)
            report.directories += 1
        }
        report.symlinks = plan.symlinks
        report.failures += plan.failures
        // One sync instead of one per file (per-file fsync made a tree of 8,000 small files 5x
        // slower): when restore returns, everything is durable.
        if sync {
            let flushing = Date()
            Self.syncFileSystem(of: URL(fileURLWithPath: target).standardizedFileURL.path)
            report.syncSeconds = Date().timeIntervalSince(flushing)
        }
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Restores one file through a temporary name; returns its bytes and the items read.
    /// - Throws: why it could not be restored (its target is then untouched).
    func restoreFile(_ entry: Tree.Entry, to path: String) throws(RepositoryError) -> (UInt64, Int) {
        let written = try PackRestore(repository: self, files: [(path, entry)]).run(workers: 4)
        if let failure = written.failures.first { throw failure.error }
        return (written.bytes, written.items)
    }

    /// Flushes the written files to disk (`sync`: the C library's module does not export
    /// Linux's `syncfs`, which would limit it to the target's file system).
    static func syncFileSystem(of path: String) {
        sync()
    }

    /// `DIR/.NAME.maimo-PREFIX-N`: a random prefix per process and a counter (a restore of
    /// 8,000 files drew 48,000 random numbers for these names before), so names never repeat
    /// within a run and are unlikely to meet another's.
    static func temporaryName(for path: String) -> String {
        let number = temporaryCounter.withLock { value -> UInt64 in
            value += 1
            return value
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        return directory + "/." + name + ".maimo-" + temporaryPrefix + "-" + String(number, radix: 36)
    }

    private static let temporaryPrefix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    private static let temporaryCounter = Locked<UInt64>(0)

    static let isRoot = geteuid() == 0

    static func timespecs(_ entry: Tree.Entry) -> [timespec] {
        let time = timespec(tv_sec: Int(entry.mtime / 1_000_000_000), tv_nsec: Int(entry.mtime % 1_000_000_000))
        return [time, time]
    }

    static func applyMetadata(_ entry: Tree.Entry, descriptor: Int32) {
        if isRoot { _ = fchown(descriptor, entry.uid, entry.gid) }
        _ = fchmod(descriptor, mode_t(entry.mode))
        _ = timespecs(entry).withUnsafeBufferPointer { futimens(descriptor, $0.baseAddress) }
    }

    static func applyMetadata(_ entry: Tree.Entry, to path: String, followLinks: Bool) {
        let flags = followLinks ? 0 : AT_SYMLINK_NOFOLLOW
        if isRoot { _ = followLinks ? chown(path, entry.uid, entry.gid) : lchown(path, entry.uid, entry.gid) }
        if followLinks { _ = chmod(path, mode_t(entry.mode)) }
        _ = timespecs(entry).withUnsafeBufferPointer { utimensat(AT_FDCWD, path, $0.baseAddress, flags) }
    }
}

/// What a restore will write: directories are made and symlinks placed while planning; files
/// are queued for the workers.
struct RestorePlan {
    var files: [(String, Tree.Entry)] = []
    var directories: [(String, Tree.Entry)] = []
    var symlinks = 0
    var failures: [(path: String, error: RepositoryError)] = []

    mutating func add(_ entry: Tree.Entry, at path: String, repository: Repository) throws(RepositoryError) {
        switch entry.content {
        case .file:
            files.append((path, entry))
        case let .symlink(target):
            let temporary = Repository.temporaryName(for: path)
            let made = target.withUnsafeBufferPointer { raw in
                raw.withMemoryRebound(to: CChar.self) { chars in
                    var terminated = Array(chars)
                    terminated.append(0)
                    return symlink(terminated, temporary)
                }
            }
            guard made == 0 else {
                failures.append((path, .io(path: temporary, operation: "creating the symlink", errno: errno)))
                return
            }
            guard rename(temporary, path) == 0 else {
                failures.append((path, .io(path: path, operation: "renaming the symlink to", errno: errno)))
                unlink(temporary)
                return
            }
            Repository.applyMetadata(entry, to: path, followLinks: false)
            symlinks += 1
        case let .directory(id):
            var status = stat()
            if lstat(path, &status) == 0 {
                guard status.st_mode & S_IFMT == S_IFDIR else { throw .usage("\(path) exists and is not a directory") }
            } else {
                guard mkdir(path, 0o700) == 0 else { throw .io(path: path, operation: "creating the directory", errno: errno) }
            }
            // Writable while it is filled; its own mode is applied at the end.
            _ = chmod(path, 0o700)
            directories.append((path, entry))
            let tree = try repository.tree(id)
            for child in tree.entries {
                try add(child, at: FileSystem.join(path, child.name), repository: repository)
            }
        }
    }
}
