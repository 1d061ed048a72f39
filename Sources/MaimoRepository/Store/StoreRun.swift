import Foundation
import MaimoZstd

extension Repository {
    /// How ``Repository/store(_:options:progress:)`` stores.
    public struct StoreOptions: Sendable {
        /// Packs are closed once they reach this many bytes (16 MiB by default).
        public var packSize = 16 << 20
        /// The first packs of a run are smaller: this size, doubling with each pack up to
        /// ``packSize``, so that uploading starts while the workers fill later packs (a run
        /// that fits one pack otherwise compresses everything before it sends a byte).
        public var firstPackSize = 2 << 20
        /// The zstd level of data chunks.
        public var level = 3
        /// The zstd dictionary for data chunks; its bytes are stored in the repository too.
        public var dictionary: RepositoryDictionary?
        /// Pad blobs with Padmé so that their sizes reveal less.
        public var pad = true
        /// Threads reading, chunking, compressing and sealing files.
        public var workers = ProcessInfo.processInfo.activeProcessorCount
        /// Packs uploaded at once.
        public var uploads = 2
        /// The chunker's sizes.
        public var chunker = Chunker.Parameters.version2
        /// The host name recorded in the snapshot.
        public var host = ProcessInfo.processInfo.hostName
        /// The defaults documented on each property.
        public init() {}
    }

    /// What a store run did.
    public struct StoreReport: Sendable {
        /// The snapshot made.
        public var snapshot: SnapshotRecord
        init(snapshot: SnapshotRecord) { self.snapshot = snapshot }
        /// Files, directories and symbolic links stored.
        public var files = 0, directories = 0, symlinks = 0
        /// Files taken from the parent snapshot without reading them.
        public var unchangedFiles = 0
        /// Sockets, FIFOs and devices (not stored).
        public var skipped: [String] = []
        /// Plaintext bytes read and chunked.
        public var bytesRead: UInt64 = 0
        /// Items sealed and uploaded by this run: data chunks and trees.
        public var newChunks = 0
        /// Trees sealed and uploaded by this run.
        public var newTrees = 0
        /// Chunks found already stored (in the repository or earlier in this run).
        public var duplicateItems = 0
        /// Bytes written to providers: every copy and share of the packs, the index and the
        /// snapshot (N/K of the blob bytes for K-of-N, N× for copies:N; Bao trees not counted).
        public var bytesUploaded: UInt64 = 0
        /// Blobs uploaded.
        public var blobsUploaded = 0
        /// Wall-clock seconds.
        public var seconds = 0.0
    }

    /// How far a store run is, reported as it goes.
    public struct StoreProgress: Sendable {
        /// Files chunked, of the files found.
        public var filesDone = 0, filesTotal = 0
        /// Bytes chunked, of the bytes found.
        public var bytesDone: UInt64 = 0, bytesTotal: UInt64 = 0
        /// Bytes written to providers so far (every copy and share).
        public var bytesSent: UInt64 = 0
    }

    /// Stores files and trees as one new snapshot: unchanged files (against the newest snapshot)
    /// are not read again, chunks the repository holds are not uploaded again. Packs, then the
    /// index blob, then the snapshot blob are uploaded; the snapshot is the commit point.
    public func store(_ paths: [String], options: StoreOptions = StoreOptions(),
                      progress: @escaping @Sendable (StoreProgress) -> Void = { _ in }) throws(RepositoryError) -> StoreReport {
        let started = Date()
        guard !paths.isEmpty else { throw .usage("nothing to store") }
        let absolute = paths.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        let parent = try snapshots().last
        var planner = StorePlanner(
            loadTree: { [self] (id) throws(RepositoryError) -> Tree? in try? tree(id) },
            isIndexed: { [self] (id) throws(RepositoryError) -> Bool in try index.location(of: id) != nil })
        let root = try planner.plan(absolute, parentRoot: try parent.map { (record) throws(RepositoryError) in try tree(record.snapshot.root) })
        let work = planner.work
        let state = Locked(StoreProgress(filesTotal: work.count, bytesTotal: work.reduce(0) { $0 + $1.info.size }))
        progress(state.current)
        let uploader = PackUploader(keys: keys, fleet: fleet, index: index, width: options.uploads, capacity: options.uploads,
                                    sent: { bytes in progress(state.withLock { $0.bytesSent += bytes; return $0 }) })
        let chunking = ChunkingWorkers(repository: self, options: options, work: work, uploader: uploader, progress: state, report: progress)
        chunking.run()
        if let failure = chunking.failure {
            _ = try? uploader.finish()
            throw failure
        }
        // Trees, bottom up, into packs of their own (with the dictionary, the first time it is used).
        var trees: TreeWriter
        let rootID: ItemID
        do {
            trees = try TreeWriter(repository: self, options: options, uploader: uploader, claims: chunking.claims,
                                   leftovers: chunking.leftovers.current)
            if let dictionary = options.dictionary { try trees.write(dictionary: dictionary) }
            rootID = try trees.write(root, chunks: chunking.results.current)
            try trees.flush()
        } catch {
            _ = try? uploader.finish()
            throw error
        }
        let packs = try uploader.finish()
        // The index blob, then the snapshot blob: the commit point.
        let (_, indexPlaced) = try writeSingle(PackIndex(packs: packs).encode(), type: .index, kind: .index, pad: options.pad)
        let snapshot = Snapshot(time: Self.now(), root: rootID, chunker: options.chunker, files: UInt64(trees.files),
                                directories: UInt64(trees.directories), symlinks: UInt64(trees.symlinks),
                                bytes: chunking.bytesRead + planner.reusedBytes, host: options.host, paths: absolute)
        let (snapshotBlob, snapshotPlaced) = try writeSingle(snapshot.encode(), type: .snapshot, kind: .snapshot, pad: options.pad)
        let record = SnapshotRecord(blob: snapshotBlob.root, blobLength: snapshotBlob.length, snapshot: snapshot)
        try index.add(snapshot: record)
        var report = StoreReport(snapshot: record)
        report.files = trees.files
        report.directories = trees.directories
        report.symlinks = trees.symlinks
        report.unchangedFiles = planner.reusedFiles
        report.skipped = planner.skipped
        report.bytesRead = chunking.bytesRead
        report.newTrees = trees.newTrees
        report.newChunks = chunking.claims.current.count - trees.newTrees
        report.duplicateItems = chunking.duplicates.current
        report.blobsUploaded = packs.count + 2
        report.bytesUploaded = uploader.bytesSent + indexPlaced + snapshotPlaced
        report.seconds = Date().timeIntervalSince(started)
        return report
    }

    /// Uploads a blob holding one item (an index or a snapshot).
    func writeSingle(_ plaintext: [UInt8], type: ItemType, kind: BlobKind, pad: Bool) throws(RepositoryError) -> (record: PackRecord, placed: UInt64) {
        let sealed = try ItemSealer.seal(plaintext, id: keys.itemID(plaintext), type: type, keys: keys, compressor: ZstdCompressor())
        var builder = BlobBuilder(kind: kind, pad: pad)
        builder.append(sealed.bytes, entry: sealed.entry)
        return try PackUploader.place(builder, keys: keys, fleet: fleet, index: index)
    }
}


/// A zstd dictionary as a store run uses it: parsed, and its bytes to keep in the repository.
public struct RepositoryDictionary: Sendable {
    /// The dictionary's bytes, stored in the repository.
    public let bytes: [UInt8]
    /// The parsed dictionary.
    public let dictionary: ZstdDictionary

    /// A dictionary from its bytes.
    /// - Throws: ``RepositoryError`` when they are not a zstd dictionary.
    public init(bytes: [UInt8]) throws(RepositoryError) {
        self.bytes = bytes
        do { dictionary = try ZstdDictionary(bytes) } catch { throw .usage("not a zstd dictionary: \(error)") }
    }
}
