#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `lstat` says of a path, in the fields trees keep.
public struct FileInfo: Sendable, Equatable {
    /// The path's type.
    public enum Kind: Sendable {
        /// A regular file.
        case file
        /// A directory.
        case directory
        /// A symbolic link.
        case symlink
        /// A socket, FIFO or device (not stored).
        case other
    }
    /// What the path is.
    public var kind: Kind
    /// The `st_mode` bits.
    public var mode: UInt32
    /// The owner's user ID.
    public var uid: UInt32
    /// The owner's group ID.
    public var gid: UInt32
    /// The size in bytes.
    public var size: UInt64
    /// The modification time, nanoseconds since 1970.
    public var mtime: Int64
    /// The status change time, nanoseconds since 1970.
    public var ctime: Int64
    /// The inode number.
    public var inode: UInt64
    /// The device number.
    public var device: UInt64
}

/// The few system calls the store and the restore make, with errors naming the path.
enum FileSystem {
    static func info(_ path: String) throws(RepositoryError) -> FileInfo {
        var status = stat()
        guard lstat(path, &status) == 0 else { throw .io(path: path, operation: "reading the metadata of", errno: errno) }
        return info(status)
    }

    static func info(_ status: stat) -> FileInfo {
        let kind: FileInfo.Kind
        switch status.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        #if canImport(Darwin)
        let mtime = Int64(status.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(status.st_mtimespec.tv_nsec)
        let ctime = Int64(status.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(status.st_ctimespec.tv_nsec)
        #else
        let mtime = Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)
        let ctime = Int64(status.st_ctim.tv_sec) * 1_000_000_000 + Int64(status.st_ctim.tv_nsec)
        #endif
        return FileInfo(kind: kind, mode: UInt32(status.st_mode) & 0o7777, uid: UInt32(status.st_uid), gid: UInt32(status.st_gid),
                        size: UInt64(status.st_size), mtime: mtime, ctime: ctime, inode: UInt64(status.st_ino), device: UInt64(status.st_dev))
    }

    /// The names in a directory (not `.` and `..`), as raw bytes.
    static func list(_ path: String) throws(RepositoryError) -> [[UInt8]] {
        guard let directory = opendir(path) else { throw .io(path: path, operation: "listing", errno: errno) }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw .io(path: path, operation: "listing", errno: errno) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [46] || name == [46, 46] { continue }
            names.append(name)
        }
        return names
    }

    static func readLink(_ path: String) throws(RepositoryError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = buffer.withUnsafeMutableBufferPointer { raw in
            raw.withMemoryRebound(to: CChar.self) { chars in chars.baseAddress.map { readlink(path, $0, chars.count) } ?? -1 }
        }
        guard n >= 0 else { throw .io(path: path, operation: "reading the link", errno: errno) }
        return Array(buffer[..<n])
    }

    static func join(_ directory: String, _ name: [UInt8]) -> String {
        let component = String(decoding: name, as: UTF8.self)
        return directory == "/" ? "/" + component : directory + "/" + component
    }
}

/// An open file read from the start in pieces (EINTR retried).
final class InputFile {
    let descriptor: Int32
    let path: String

    init(_ path: String) throws(RepositoryError) {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .io(path: path, operation: "opening", errno: errno) }
        self.path = path
    }

    deinit { close(descriptor) }

    /// Fills `buffer[start...]` as far as the file goes; returns the bytes read (fewer only at
    /// the end of the file).
    func fill(_ buffer: inout [UInt8], from start: Int) throws(RepositoryError) -> Int {
        let (total, failure) = buffer.withUnsafeMutableBytes { raw -> (Int, Int32) in
            guard let base = raw.baseAddress else { return (0, 0) }
            var total = start
            while total < raw.count {
                let n = systemRead(descriptor, base + total, raw.count - total)
                if n < 0 {
                    if errno == EINTR { continue }
                    return (total - start, errno)
                }
                if n == 0 { break }
                total += n
            }
            return (total - start, 0)
        }
        if failure != 0 { throw .io(path: path, operation: "reading", errno: failure) }
        return total
    }
}

/// `read(2)`, named apart from the methods called `read`.
func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int { read(descriptor, buffer, count) }
