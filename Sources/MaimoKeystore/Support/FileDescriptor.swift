#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file that closes itself when the last reference goes. Readers hold one while they
/// `pread`, so compaction may unlink a segment under a running read.
final class OpenFile: Sendable {
    let descriptor: Int32
    let path: String

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    static func make(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(KeystoreError) -> OpenFile {
        while true {
            let fd = open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return OpenFile(descriptor: fd, path: path) }
            if errno == EINTR { continue }
            throw .io(operation: "open", path: path, errno: errno)
        }
    }

    var size: UInt64 {
        get throws(KeystoreError) {
            var info = stat()
            if fstat(descriptor, &info) != 0 { throw .io(operation: "stat", path: path, errno: errno) }
            return UInt64(info.st_size)
        }
    }

    /// Reads exactly `buffer.count` bytes at `offset`; returns fewer only at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(KeystoreError) -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "read", path: path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func read(count: Int, at offset: UInt64) throws(KeystoreError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = try withMutableBytes(of: &bytes) { (raw) throws(KeystoreError) -> Int in try read(into: raw, at: offset) }
        if n < count { bytes.removeLast(count - n) }
        return bytes
    }

    /// Writes all of `bytes` at `offset`. A full disk is ``KeystoreError/diskFull(path:)``.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(KeystoreError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == ENOSPC || errno == EDQUOT || errno == EFBIG { throw .diskFull(path: path) }
                throw .io(operation: "write", path: path, errno: errno)
            }
            done += n
        }
    }

    func write(_ bytes: [UInt8], at offset: UInt64) throws(KeystoreError) {
        try withBytes(of: bytes) { (raw) throws(KeystoreError) in try write(raw, at: offset) }
    }

    func truncate(to length: UInt64) throws(KeystoreError) {
        while ftruncate(descriptor, off_t(length)) != 0 {
            if errno == EINTR { continue }
            throw .io(operation: "truncate", path: path, errno: errno)
        }
    }

    func sync() throws(KeystoreError) {
        if fsync(descriptor) != 0 { throw .io(operation: "fsync", path: path, errno: errno) }
    }

    func syncData() throws(KeystoreError) {
        #if canImport(Glibc)
        if fdatasync(descriptor) != 0 { throw .io(operation: "fdatasync", path: path, errno: errno) }
        #else
        try sync()
        #endif
    }
}

enum FileSystem {
    static func syncDirectory(_ path: String) throws(KeystoreError) {
        let directory = try OpenFile.make(path, flags: O_RDONLY | O_DIRECTORY)
        try directory.sync()
    }

    static func move(_ from: String, _ to: String) throws(KeystoreError) {
        if rename(from, to) != 0 { throw .io(operation: "rename", path: from, errno: errno) }
    }

    static func remove(_ path: String) throws(KeystoreError) {
        if unlink(path) != 0 && errno != ENOENT { throw .io(operation: "unlink", path: path, errno: errno) }
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static func createDirectory(_ path: String) throws(KeystoreError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw .io(operation: "mkdir", path: path, errno: errno) }
    }

    static func list(_ path: String) throws(KeystoreError) -> [String] {
        guard let directory = opendir(path) else { throw .io(operation: "opendir", path: path, errno: errno) }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
