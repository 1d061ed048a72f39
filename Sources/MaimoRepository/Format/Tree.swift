/// One directory's listing (Docs/Repository.md §5), sorted by name.
public struct Tree: Sendable, Equatable {
    /// What an entry is.
    public enum Kind: UInt8, Sendable {
        /// A regular file.
        case file = 1
        /// A directory.
        case directory = 2
        /// A symbolic link.
        case symlink = 3
    }

    /// What an entry holds.
    public enum Content: Sendable, Equatable {
        /// A regular file: its size and chunk IDs in order.
        case file(size: UInt64, chunks: [ItemID])
        /// A subdirectory: the ID of its tree item.
        case directory(ItemID)
        /// A symbolic link's target, as readlink gave it.
        case symlink([UInt8])
    }

    /// One entry: a file, directory or symbolic link with its metadata.
    public struct Entry: Sendable, Equatable {
        /// One path component, raw bytes (file names need not be UTF-8).
        public var name: [UInt8]
        /// The `st_mode` bits (type and permissions).
        public var mode: UInt32
        /// The owner's user ID.
        public var uid: UInt32
        /// The owner's group ID.
        public var gid: UInt32
        /// Nanoseconds since 1970.
        public var mtime: Int64
        /// The status change time, nanoseconds since 1970.
        public var ctime: Int64
        /// The inode number (with ``device``, how hard links and unchanged files are recognised).
        public var inode: UInt64
        /// The device number.
        public var device: UInt64
        /// What it holds.
        public var content: Content

        /// An entry with the given fields.
        public init(name: [UInt8], mode: UInt32, uid: UInt32, gid: UInt32, mtime: Int64, ctime: Int64, inode: UInt64, device: UInt64,
                    content: Content) {
            self.name = name
            self.mode = mode
            self.uid = uid
            self.gid = gid
            self.mtime = mtime
            self.ctime = ctime
            self.inode = inode
            self.device = device
            self.content = content
        }

        /// File, directory or symbolic link.
        public var kind: Kind {
            switch content {
            case .file: return .file
            case .directory: return .directory
            case .symlink: return .symlink
            }
        }

        /// The name as text (invalid UTF-8 shown as U+FFFD).
        public var nameText: String { String(decoding: name, as: UTF8.self) }
    }

    /// The entries, sorted by name bytes.
    public var entries: [Entry]

    /// A tree of `entries` (sorted here).
    public init(entries: [Entry]) {
        self.entries = entries.sorted { $0.name.lexicographicallyPrecedes($1.name) }
    }

    /// The entry named `name`, if any.
    public func entry(named name: [UInt8]) -> Entry? {
        // Sorted: binary search.
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].name == name { return entries[mid] }
            if entries[mid].name.lexicographicallyPrecedes(name) { low = mid + 1 } else { high = mid }
        }
        return nil
    }

    static let magic: [UInt8] = Array("MAIMOTR".utf8) + [2]

    /// The tree's plaintext bytes (Docs/Repository.md §5).
    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 12 + entries.count * 96)
        writer.raw(Self.magic)
        writer.u32(UInt32(entries.count))
        for entry in entries {
            writer.u8(entry.kind.rawValue)
            writer.u8(0)
            writer.u16(UInt16(entry.name.count))
            writer.raw(entry.name)
            writer.u32(entry.mode)
            writer.u32(entry.uid)
            writer.u32(entry.gid)
            writer.i64(entry.mtime)
            writer.i64(entry.ctime)
            writer.u64(entry.inode)
            writer.u64(entry.device)
            switch entry.content {
            case let .file(size, chunks):
                writer.u64(size)
                writer.u32(UInt32(chunks.count))
                for chunk in chunks { writer.id(chunk) }
            case let .directory(id):
                writer.id(id)
            case let .symlink(target):
                writer.u32(UInt32(target.count))
                writer.raw(target)
            }
        }
        return writer.bytes
    }

    /// Parses a tree, refusing names that are not one path component (so a restore can never
    /// be sent outside its target) and entries out of order or repeated.
    public static func decode(_ bytes: [UInt8]) throws(RepositoryError) -> Tree {
        var reader = ByteReader(bytes, what: "tree")
        try reader.magic(magic)
        let count = try reader.count(minimum: 50)
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let rawKind = try reader.u8()
            guard let kind = Kind(rawValue: rawKind) else { throw reader.fail("unknown entry kind \(rawKind)") }
            guard try reader.u8() == 0 else { throw reader.fail("reserved byte set") }
            let name = Array(try reader.take(Int(try reader.u16())))
            guard isComponent(name) else { throw reader.fail("an entry name that is not one path component") }
            if let last = entries.last, !last.name.lexicographicallyPrecedes(name) {
                throw reader.fail("entries out of order or repeated")
            }
            let mode = try reader.u32(), uid = try reader.u32(), gid = try reader.u32()
            let mtime = try reader.i64(), ctime = try reader.i64()
            let inode = try reader.u64(), device = try reader.u64()
            let content: Content
            switch kind {
            case .file:
                let size = try reader.u64()
                let chunkCount = try reader.count(minimum: 32)
                var chunks: [ItemID] = []
                chunks.reserveCapacity(chunkCount)
                for _ in 0..<chunkCount { chunks.append(try reader.id()) }
                content = .file(size: size, chunks: chunks)
            case .directory:
                content = .directory(try reader.id())
            case .symlink:
                let length = try reader.count(minimum: 1)
                content = .symlink(Array(try reader.take(length)))
            }
            entries.append(Entry(name: name, mode: mode, uid: uid, gid: gid, mtime: mtime, ctime: ctime, inode: inode, device: device,
                                 content: content))
        }
        try reader.end()
        return Tree(sortedEntries: entries)
    }

    init(sortedEntries: [Entry]) { entries = sortedEntries }

    /// Not empty, not `.` or `..`, no `/` and no NUL.
    public static func isComponent(_ name: [UInt8]) -> Bool {
        guard !name.isEmpty, name != [46], name != [46, 46] else { return false }
        return !name.contains(47) && !name.contains(0)
    }
}
