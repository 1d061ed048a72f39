/// One store run (Docs/Repository.md §6).
public struct Snapshot: Sendable, Equatable {
    /// Milliseconds since 1970.
    public var time: UInt64
    /// The ID of the root tree.
    public var root: ItemID
    /// The chunker sizes the run used.
    public var chunker: Chunker.Parameters
    /// Regular files stored.
    public var files: UInt64
    /// Directories stored.
    public var directories: UInt64
    /// Symbolic links stored.
    public var symlinks: UInt64
    /// Bytes of file content.
    public var bytes: UInt64
    /// The machine that stored it.
    public var host: String
    /// The absolute paths stored, as given.
    public var paths: [String]

    /// A snapshot with the given fields.
    public init(time: UInt64, root: ItemID, chunker: Chunker.Parameters, files: UInt64, directories: UInt64, symlinks: UInt64,
                bytes: UInt64, host: String, paths: [String]) {
        self.time = time
        self.root = root
        self.chunker = chunker
        self.files = files
        self.directories = directories
        self.symlinks = symlinks
        self.bytes = bytes
        self.host = host
        self.paths = paths
    }

    static let magic: [UInt8] = Array("MAIMOSN".utf8) + [2]

    /// The snapshot's plaintext bytes (Docs/Repository.md §6).
    public func encode() -> [UInt8] {
        var writer = ByteWriter(capacity: 128)
        writer.raw(Self.magic)
        writer.u64(time)
        writer.id(root)
        writer.u32(UInt32(chunker.minimum))
        writer.u32(UInt32(chunker.average))
        writer.u32(UInt32(chunker.maximum))
        writer.u64(files)
        writer.u64(directories)
        writer.u64(symlinks)
        writer.u64(bytes)
        let hostBytes = Array(host.utf8.prefix(1024))
        writer.u16(UInt16(hostBytes.count))
        writer.raw(hostBytes)
        writer.u16(UInt16(min(paths.count, Int(UInt16.max))))
        for path in paths.prefix(Int(UInt16.max)) {
            let bytes = Array(path.utf8.prefix(Int(UInt16.max)))
            writer.u16(UInt16(bytes.count))
            writer.raw(bytes)
        }
        return writer.bytes
    }

    /// A snapshot from its plaintext.
    /// - Throws: ``RepositoryError`` naming what is malformed and where.
    public static func decode(_ bytes: [UInt8]) throws(RepositoryError) -> Snapshot {
        var reader = ByteReader(bytes, what: "snapshot")
        try reader.magic(magic)
        let time = try reader.u64()
        let root = try reader.id()
        let minimum = Int(try reader.u32()), average = Int(try reader.u32()), maximum = Int(try reader.u32())
        guard minimum >= 1, minimum <= average, average <= maximum else { throw reader.fail("chunker parameters out of order") }
        let files = try reader.u64(), directories = try reader.u64(), symlinks = try reader.u64(), total = try reader.u64()
        let host = String(decoding: try reader.take(Int(try reader.u16())), as: UTF8.self)
        let count = Int(try reader.u16())
        var paths: [String] = []
        for _ in 0..<count { paths.append(String(decoding: try reader.take(Int(try reader.u16())), as: UTF8.self)) }
        try reader.end()
        return Snapshot(time: time, root: root, chunker: Chunker.Parameters(minimum: minimum, average: average, maximum: maximum),
                        files: files, directories: directories, symlinks: symlinks, bytes: total, host: host, paths: paths)
    }
}
