/// What a store run found on disk, before any file is read: the directories leading to and
/// under the stored paths, with each file either reused from the parent snapshot (unchanged
/// size, times and inode) or queued for chunking.
final class PlanDirectory {
    let name: [UInt8]
    let path: String
    let info: FileInfo
    var children: [PlanNode] = []
    /// The same directory in the parent snapshot, when it had one.
    let parent: Tree?
    /// A directory on the way to a stored path, not itself stored (only its metadata is kept).
    let isAncestor: Bool

    init(name: [UInt8], path: String, info: FileInfo, parent: Tree?, isAncestor: Bool = false) {
        self.name = name
        self.path = path
        self.info = info
        self.parent = parent
        self.isAncestor = isAncestor
    }

    func child(named name: [UInt8]) -> PlanDirectory? {
        for case let .directory(directory) in children where directory.name == name { return directory }
        return nil
    }
}

enum PlanNode {
    case directory(PlanDirectory)
    /// A file: `work` indexes the chunking queue, or `reuse` holds the parent snapshot's chunks.
    case file(name: [UInt8], info: FileInfo, work: Int?, reuse: [ItemID])
    case symlink(name: [UInt8], info: FileInfo, target: [UInt8])
}

/// A file to chunk.
struct FileWork {
    let path: String
    let info: FileInfo
}

/// Walks the paths given to a store run into a plan.
struct StorePlanner {
    let loadTree: (ItemID) throws(RepositoryError) -> Tree?
    let isIndexed: (ItemID) throws(RepositoryError) -> Bool
    var work: [FileWork] = []
    var skipped: [String] = []
    var reusedFiles = 0
    var reusedBytes: UInt64 = 0

    init(loadTree: @escaping (ItemID) throws(RepositoryError) -> Tree?, isIndexed: @escaping (ItemID) throws(RepositoryError) -> Bool) {
        self.loadTree = loadTree
        self.isIndexed = isIndexed
    }

    /// The plan's root ("/") for absolute, normalized `paths`; `parentRoot` is the root tree of the
    /// snapshot to compare with.
    mutating func plan(_ paths: [String], parentRoot: Tree?) throws(RepositoryError) -> PlanDirectory {
        let root = PlanDirectory(name: [], path: "/", info: try FileSystem.info("/"), parent: parentRoot, isAncestor: true)
        for path in Self.outermost(paths) {
            let components = path.split(separator: "/").map { Array($0.utf8) }
            guard let last = components.last else {
                try walkDirectory(root)
                continue
            }
            var directory = root
            for component in components.dropLast() {
                if let existing = directory.child(named: component) {
                    directory = existing
                    continue
                }
                let childPath = FileSystem.join(directory.path, component)
                let info = try FileSystem.info(childPath)
                guard info.kind == .directory else { throw .usage("\(childPath) is not a directory") }
                let child = PlanDirectory(name: component, path: childPath, info: info, parent: try parentDirectory(directory.parent, component),
                                          isAncestor: true)
                directory.children.append(.directory(child))
                directory = child
            }
            try add(name: last, in: directory)
        }
        return root
    }

    /// Paths with none of their ancestors also given, sorted and without repeats.
    static func outermost(_ paths: [String]) -> [String] {
        var result: [String] = []
        for path in Set(paths).sorted() {
            if let previous = result.last, previous == "/" || path.hasPrefix(previous + "/") { continue }
            result.append(path)
        }
        return result
    }

    private func parentDirectory(_ tree: Tree?, _ name: [UInt8]) throws(RepositoryError) -> Tree? {
        guard let entry = tree?.entry(named: name), case let .directory(id) = entry.content else { return nil }
        return try loadTree(id)
    }

    private mutating func add(name: [UInt8], in directory: PlanDirectory) throws(RepositoryError) {
        let path = FileSystem.join(directory.path, name)
        let info = try FileSystem.info(path)
        switch info.kind {
        case .directory:
            let child = PlanDirectory(name: name, path: path, info: info, parent: try parentDirectory(directory.parent, name))
            directory.children.append(.directory(child))
            try walkDirectory(child)
        case .file:
            if let previous = directory.parent?.entry(named: name), case let .file(size, chunks) = previous.content,
               size == info.size, previous.mtime == info.mtime, previous.ctime == info.ctime, previous.inode == info.inode,
               try allIndexed(chunks) {
                reusedFiles += 1
                reusedBytes += size
                directory.children.append(.file(name: name, info: info, work: nil, reuse: chunks))
            } else {
                work.append(FileWork(path: path, info: info))
                directory.children.append(.file(name: name, info: info, work: work.count - 1, reuse: []))
            }
        case .symlink:
            directory.children.append(.symlink(name: name, info: info, target: try FileSystem.readLink(path)))
        case .other:
            skipped.append(path)
        }
    }

    private func allIndexed(_ chunks: [ItemID]) throws(RepositoryError) -> Bool {
        for id in chunks where try !isIndexed(id) { return false }
        return true
    }

    private mutating func walkDirectory(_ directory: PlanDirectory) throws(RepositoryError) {
        for name in try FileSystem.list(directory.path).sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            try add(name: name, in: directory)
        }
    }
}
