import Foundation
import MaimoZstd

/// The workers of a store run: each takes the next file, cuts it into chunks, and seals every
/// chunk the repository does not hold yet into its own pack, handing full packs to the uploader.
final class ChunkingWorkers: @unchecked Sendable {
    let repository: Repository
    let options: Repository.StoreOptions
    let work: [FileWork]
    let uploader: PackUploader
    let progress: Locked<Repository.StoreProgress>
    let report: @Sendable (Repository.StoreProgress) -> Void
    /// Chunk IDs and the bytes read of each file of `work`, in order.
    let results: Locked<[ChunkedFile?]>
    /// Items sealed in this run (the first worker to claim an ID seals it).
    let claims = Locked(Set<ItemID>())
    let duplicates = Locked(0)
    /// Each worker's last, partly filled pack: joined into one by the caller, not uploaded apart.
    let leftovers = Locked([BlobBuilder]())
    /// Packs handed to the uploader so far (the next one's target size doubles with each).
    private let submitted = Locked(0)
    private let read = Locked<UInt64>(0)
    private let failed = Locked<RepositoryError?>(nil)

    init(repository: Repository, options: Repository.StoreOptions, work: [FileWork], uploader: PackUploader,
         progress: Locked<Repository.StoreProgress>, report: @escaping @Sendable (Repository.StoreProgress) -> Void) {
        self.repository = repository
        self.options = options
        self.work = work
        self.uploader = uploader
        self.progress = progress
        self.report = report
        results = Locked(Array(repeating: nil, count: work.count))
    }

    var failure: RepositoryError? { failed.current }
    var bytesRead: UInt64 { read.current }

    func run() {
        let queue = WorkCounter(count: work.count)
        WorkerPool.run(width: min(max(1, options.workers), max(1, work.count))) { [self] _ in
            let chunker = Chunker(gear: repository.keys.gear, parameters: options.chunker)
            let compressor = ZstdCompressor(dictionary: options.dictionary?.dictionary, options: ZstdCompressionOptions(level: options.level))
            var pack = BlobBuilder(kind: .pack, pad: options.pad, capacity: options.packSize + options.chunker.maximum)
            var buffer = [UInt8](repeating: 0, count: options.chunker.maximum)
            do throws(RepositoryError) {
                while failed.current == nil, let i = queue.take() {
                    let chunks = try chunk(work[i], chunker: chunker, compressor: compressor, pack: &pack, buffer: &buffer)
                    results.withLock { $0[i] = chunks }
                    report(progress.withLock { $0.filesDone += 1; return $0 })
                }
                if !pack.isEmpty { leftovers.withLock { $0.append(pack) } }
            } catch {
                failed.withLock { if $0 == nil { $0 = error } }
            }
        }
    }

    private func chunk(_ file: FileWork, chunker: Chunker, compressor: ZstdCompressor, pack: inout BlobBuilder,
                       buffer: inout [UInt8]) throws(RepositoryError) -> ChunkedFile {
        let input = try InputFile(file.path)
        var ids: [ItemID] = []
        var size: UInt64 = 0
        var filled = 0
        var atEnd = false
        while true {
            // The chunker decides on a full buffer (or the file's end), as the spec's model does.
            if !atEnd && filled < buffer.count {
                let n = try input.fill(&buffer, from: filled)
                filled += n
                if filled < buffer.count { atEnd = true }
                read.withLock { $0 += UInt64(n) }
                report(progress.withLock { $0.bytesDone += UInt64(n); return $0 })
            }
            if filled == 0 { break }
            let length = buffer.withUnsafeBytes { chunker.cut(UnsafeRawBufferPointer(rebasing: $0[..<filled])) }
            let id = buffer.withUnsafeBytes { repository.keys.itemID(UnsafeRawBufferPointer(rebasing: $0[..<length])) }
            ids.append(id)
            size += UInt64(length)
            if try claim(id) {
                let sealed = try ItemSealer.seal(Array(buffer[..<length]), id: id, type: .data, keys: repository.keys,
                                                 compressor: compressor, dictionaryID: options.dictionary?.dictionary.id ?? 0)
                pack.append(sealed.bytes, entry: sealed.entry)
                if pack.count >= target {
                    submitted.withLock { $0 += 1 }
                    try uploader.submit(pack)
                    pack = BlobBuilder(kind: .pack, pad: options.pad, capacity: options.packSize + options.chunker.maximum)
                }
            }
            buffer.withUnsafeMutableBytes { raw in
                if length < filled { raw.baseAddress!.copyMemory(from: raw.baseAddress! + length, byteCount: filled - length) }
            }
            filled -= length
            if atEnd && filled == 0 { break }
        }
        return ChunkedFile(chunks: ids, size: size)
    }

    /// The size at which a pack is handed over: ``Repository/StoreOptions/firstPackSize``,
    /// doubled for each pack submitted, at most the pack size.
    var target: Int {
        let doublings = min(submitted.current, 30)
        return min(options.packSize, max(1, options.firstPackSize) << doublings)
    }

    /// True when this worker is the first to see `id` and it is not stored yet.
    func claim(_ id: ItemID) throws(RepositoryError) -> Bool {
        if try repository.index.location(of: id) != nil {
            duplicates.withLock { $0 += 1 }
            return false
        }
        let inserted = claims.withLock { $0.insert(id).inserted }
        if !inserted { duplicates.withLock { $0 += 1 } }
        return inserted
    }
}

/// A file as a store run read it (its size may differ from what `lstat` said if it changed).
struct ChunkedFile: Sendable {
    var chunks: [ItemID]
    var size: UInt64
}
