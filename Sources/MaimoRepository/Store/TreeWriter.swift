import MaimoZstd

/// Turns a store plan into tree items, bottom up, sealing every tree the repository does not
/// hold into tree packs (kept apart from data packs, so that a restore's tree reads stay small).
struct TreeWriter {
    let repository: Repository
    let options: Repository.StoreOptions
    let uploader: PackUploader
    let claims: Locked<Set<ItemID>>
    let compressor = ZstdCompressor(options: ZstdCompressionOptions(level: 3))
    var pack: BlobBuilder
    var newTrees = 0
    var files = 0, directories = 0, symlinks = 0

    /// `leftovers`: the workers' partly filled packs, joined with the trees so that a small run
    /// makes one pack, not one per worker.
    init(repository: Repository, options: Repository.StoreOptions, uploader: PackUploader, claims: Locked<Set<ItemID>>,
         leftovers: [BlobBuilder]) throws(RepositoryError) {
        self.repository = repository
        self.options = options
        self.uploader = uploader
        self.claims = claims
        pack = BlobBuilder(kind: .pack, pad: options.pad)
        for leftover in leftovers {
            pack.append(contentsOf: leftover)
            if pack.count >= options.packSize { try flush() }
        }
    }

    /// The ID of the directory's tree (written if new).
    mutating func write(_ directory: PlanDirectory, chunks: [ChunkedFile?]) throws(RepositoryError) -> ItemID {
        var entries: [Tree.Entry] = []
        entries.reserveCapacity(directory.children.count)
        for child in directory.children {
            switch child {
            case let .directory(sub):
                if !sub.isAncestor { directories += 1 }
                let id = try write(sub, chunks: chunks)
                entries.append(Self.entry(sub.name, sub.info, .directory(id)))
            case let .file(name, info, work, reuse):
                files += 1
                var content = Tree.Content.file(size: info.size, chunks: reuse)
                if let work {
                    guard let chunked = chunks[work] else { throw .store("a file was not chunked") }
                    content = .file(size: chunked.size, chunks: chunked.chunks)
                }
                entries.append(Self.entry(name, info, content))
            case let .symlink(name, info, target):
                symlinks += 1
                entries.append(Self.entry(name, info, .symlink(target)))
            }
        }
        let bytes = Tree(entries: entries).encode()
        let id = repository.keys.itemID(bytes)
        let known = try repository.index.location(of: id) != nil
        if !known, claims.withLock({ $0.insert(id).inserted }) {
            let sealed = try ItemSealer.seal(bytes, id: id, type: .tree, keys: repository.keys, compressor: compressor)
            pack.append(sealed.bytes, entry: sealed.entry)
            newTrees += 1
            if pack.count >= options.packSize { try flush() }
        }
        try repository.index.cache(tree: bytes, id: id)
        return id
    }

    /// Stores the run's dictionary as an item, unless the repository has it.
    mutating func write(dictionary: RepositoryDictionary) throws(RepositoryError) {
        let id = repository.keys.itemID(dictionary.bytes)
        guard try repository.index.location(of: id) == nil, claims.withLock({ $0.insert(id).inserted }) else { return }
        let sealed = try ItemSealer.seal(dictionary.bytes, id: id, type: .dictionary, keys: repository.keys, compressor: nil)
        pack.append(sealed.bytes, entry: sealed.entry)
    }

    mutating func flush() throws(RepositoryError) {
        guard !pack.isEmpty else { return }
        try uploader.submit(pack)
        pack = BlobBuilder(kind: .pack, pad: options.pad)
    }

    static func entry(_ name: [UInt8], _ info: FileInfo, _ content: Tree.Content) -> Tree.Entry {
        Tree.Entry(name: name, mode: info.mode, uid: info.uid, gid: info.gid, mtime: info.mtime, ctime: info.ctime, inode: info.inode,
                   device: info.device, content: content)
    }
}
