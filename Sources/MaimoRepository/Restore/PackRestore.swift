#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import MaimoBlake3

/// Writes files pack by pack, as restic restores: every item the files need is located, items
/// are grouped by pack and read in *runs* of neighbours (one verified range per run, its 1 MiB
/// pieces pipelined), each item is opened once and written at its offsets in every file that
/// uses it, and a file is renamed into place when its last item is written. A tree of small files
/// costs a few large reads instead of one round trip per chunk.
///
/// A file goes to a temporary name beside its target first (`pwrite` at each chunk's offset);
/// a file with any item that cannot be read or verified is removed and reported, and its
/// target is never touched.
final class PackRestore: @unchecked Sendable {
    /// Items closer than this in a pack are read together (the gap is read and dropped).
    static let runGap: UInt64 = 256 << 10
    /// A run stops growing past this many bytes, so that workers share even one big pack.
    static let runLimit: UInt64 = 4 << 20

    /// One file being written.
    final class Target: @unchecked Sendable {
        let path: String
        let entry: Tree.Entry
        let size: UInt64
        let temporary: String
        let lock = NSLock()
        /// Whether the temporary file exists (descriptors are opened per write and closed
        /// after it, so that a tree of many large files never runs out of them).
        var created = false
        let chunkCount: Int
        var remaining: Int
        var written: UInt64 = 0
        var failure: RepositoryError?

        /// A descriptor for writing the temporary file, creating it the first time (call with
        /// `lock` held); -1 with `failure` set when that fails.
        func openFile() -> Int32 {
            let descriptor = open(temporary, created ? O_WRONLY | O_CLOEXEC : O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor < 0 {
                failure = .io(path: temporary, operation: created ? "opening" : "creating", errno: errno)
            } else {
                created = true
            }
            return descriptor
        }

        init(path: String, entry: Tree.Entry, size: UInt64, chunks: Int) {
            self.path = path
            self.entry = entry
            self.size = size
            chunkCount = chunks
            remaining = chunks
            temporary = Repository.temporaryName(for: path)
        }
    }

    /// Where an item's plaintext goes: a file and an offset in it.
    struct Piece { let file: Int; let offset: UInt64 }
    /// An item to read, and every place it is written.
    struct Job { let entry: ItemEntry; var pieces: [Piece] }
    /// Neighbouring items of one pack, read as one range.
    struct Run { let pack: Blake3.Digest; var jobs: [Job]; var start: UInt64; var end: UInt64 }

    let repository: Repository
    let targets: [Target]
    private(set) var runs: [Run] = []
    private let results = Locked((files: 0, bytes: UInt64(0), items: 0, failures: [(path: String, error: RepositoryError)]()))

    init(repository: Repository, files: [(String, Tree.Entry)]) throws(RepositoryError) {
        self.repository = repository
        var targets: [Target] = []
        var byPack: [Blake3.Digest: [ItemID: Job]] = [:]
        // Packs in the order the files first need them (roughly the order they were stored), so
        // that a file spanning two packs is finished soon after it is started.
        var packOrder: [Blake3.Digest] = []
        var unknown: [(Int, ItemID)] = []
        for (path, entry) in files {
            guard case let .file(size, chunks) = entry.content else { continue }
            let index = targets.count
            targets.append(Target(path: path, entry: entry, size: size, chunks: chunks.count))
            var offset: UInt64 = 0
            for id in chunks {
                guard let location = try repository.index.location(of: id) else {
                    unknown.append((index, id))
                    continue
                }
                if byPack[location.pack] == nil { packOrder.append(location.pack) }
                byPack[location.pack, default: [:]][id, default: Job(entry: location.entry, pieces: [])]
                    .pieces.append(Piece(file: index, offset: offset))
                offset += UInt64(location.entry.plaintextLength)
            }
        }
        self.targets = targets
        for pack in packOrder {
            for job in byPack[pack, default: [:]].values.sorted(by: { $0.entry.offset < $1.entry.offset }) {
                let start = job.entry.offset, end = start + UInt64(job.entry.storedLength)
                if var last = runs.last, last.pack == pack, start <= last.end + Self.runGap, end - last.start <= Self.runLimit {
                    last.jobs.append(job)
                    last.end = max(last.end, end)
                    runs[runs.count - 1] = last
                } else {
                    runs.append(Run(pack: pack, jobs: [job], start: start, end: end))
                }
            }
        }
        for (file, id) in unknown { finish(file, failure: .integrity("item \(id.short) is in no known pack")) }
        // Empty files have nothing to wait for.
        for (index, target) in targets.enumerated() where target.chunkCount == 0 { complete(index) }
    }

    /// Runs the runs on `workers` threads; returns files and bytes written, items read, failures.
    func run(workers: Int) -> (files: Int, bytes: UInt64, items: Int, failures: [(path: String, error: RepositoryError)]) {
        let counter = WorkCounter(count: runs.count)
        WorkerPool.run(width: min(max(1, workers), max(1, runs.count))) { [self] _ in
            while let i = counter.take() { restore(runs[i]) }
        }
        return results.current
    }

    private func restore(_ run: Run) {
        let bytes: [UInt8]
        do {
            bytes = try repository.reader.read(root: run.pack, offset: run.start, count: Int(run.end - run.start))
        } catch {
            for job in run.jobs { for piece in job.pieces { finish(piece.file, failure: error) } }
            return
        }
        var opened = 0
        for job in run.jobs {
            let from = Int(job.entry.offset - run.start)
            let plaintext: [UInt8]
            do throws(RepositoryError) {
                plaintext = try BlobReader.open(bytes[from..<(from + Int(job.entry.storedLength))], entry: job.entry,
                                                keys: repository.keys, dictionaries: repository.dictionaries)
                opened += 1
            } catch {
                for piece in job.pieces { finish(piece.file, failure: error) }
                continue
            }
            for piece in job.pieces { write(plaintext, piece) }
        }
        results.withLock { $0.items += opened }
    }

    /// Writes one item into one file, then counts the piece done.
    private func write(_ plaintext: [UInt8], _ piece: Piece) {
        let target = targets[piece.file]
        target.lock.lock()
        let descriptor = target.failure == nil ? target.openFile() : -1
        target.lock.unlock()
        guard descriptor >= 0 else { return finish(piece.file, failure: nil) }
        let error = plaintext.withUnsafeBytes { raw -> Int32 in
            var done = 0
            while done < raw.count {
                let n = pwrite(descriptor, raw.baseAddress! + done, raw.count - done, off_t(piece.offset) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return 0
        }
        target.lock.lock()
        target.written += UInt64(plaintext.count)
        target.lock.unlock()
        finish(piece.file, failure: error == 0 ? nil : .io(path: target.temporary, operation: "writing", errno: error), descriptor: descriptor)
    }

    /// Counts one piece of a file done (failed, if `failure`); the last one completes the file,
    /// with the `descriptor` its write used (one open and close less for most files, which are
    /// written in one piece), and any other descriptor is closed.
    private func finish(_ file: Int, failure: RepositoryError?, descriptor: Int32 = -1) {
        let target = targets[file]
        target.lock.lock()
        if let failure, target.failure == nil { target.failure = failure }
        target.remaining -= 1
        let last = target.remaining == 0
        target.lock.unlock()
        if last {
            complete(file, descriptor: descriptor)
        } else if descriptor >= 0 {
            close(descriptor)
        }
    }

    /// Every piece is in: check the size, apply the metadata and rename, or clean up.
    private func complete(_ file: Int, descriptor open: Int32 = -1) {
        let target = targets[file]
        if target.failure == nil && target.written != target.size {
            target.failure = .integrity("\(target.path): \(target.written) bytes restored, the snapshot says \(target.size)")
        }
        if target.failure != nil, open >= 0 { close(open) }
        if target.failure == nil {
            // Creates an empty file (no chunks) here.
            let descriptor = open >= 0 ? open : target.openFile()
            if descriptor >= 0 {
                // Times last, after every write.
                Repository.applyMetadata(target.entry, descriptor: descriptor)
                close(descriptor)
                if rename(target.temporary, target.path) != 0 {
                    target.failure = .io(path: target.path, operation: "renaming the restored file to", errno: errno)
                }
            }
        }
        if let failure = target.failure {
            if target.created { unlink(target.temporary) }
            results.withLock { $0.failures.append((target.path, failure)) }
        } else {
            results.withLock { $0.files += 1; $0.bytes += target.written }
        }
    }
}
