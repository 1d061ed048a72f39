// Platform layer: hashing files through the operating system (memory-mapped where it has
// `mmap`, read in blocks otherwise). Not part of the Embedded Swift core.
#if !hasFeature(Embedded)
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#elseif canImport(WASILibc)
import WASILibc
#endif

extension Blake3 {
    /// An operating-system error while reading input, with the path it concerns.
    ///
    /// `description` reads like the system's own message, e.g.
    /// `No such file or directory (os error 2)`, as `b3sum` prints it.
    public struct FileError: Error, Sendable, CustomStringConvertible {
        /// The file concerned, or `-` for standard input.
        public let path: String
        /// The `errno` value.
        public let code: Int32

        /// An error for `path` with the system's error number `code`.
        public init(path: String, code: Int32) {
            self.path = path
            self.code = code
        }

        public var description: String { Platform.errorMessage(code) }
    }
}

extension Blake3 {
    /// Memory-mapping pays off above this size; smaller files are read.
    static let memoryMapThreshold = 16 * 1024
    /// Mapped files hashed by several threads are released in regions of this size.
    static let releaseRegion = 8 * 1024 * 1024
    /// Files at least this large are mapped with `MADV_SEQUENTIAL`.
    static let sequentialAdviceThreshold = 64 * 1024 * 1024
    /// The read size for files that are not mapped and for streams.
    static let readBufferSize = 64 * 1024

    /// Adds the contents of the file at `path`.
    ///
    /// A regular file of 16 KiB or more is memory-mapped and hashed with ``threadCount`` threads
    /// (which give back the mapping's pages as they finish with them); anything else (small
    /// files, pipes, devices, or `useMemoryMap: false`) is read in 64 KiB blocks on the calling
    /// thread.
    /// - Throws: ``Blake3/FileError`` when the file cannot be opened or read.
    public mutating func update(contentsOfFileAtPath path: String, useMemoryMap: Bool = true) throws(Blake3.FileError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Blake3.FileError(path: path, code: errno) }
        defer { close(descriptor) }
        try update(fileDescriptor: descriptor, path: path, useMemoryMap: useMemoryMap)
    }

    /// Adds everything readable from `descriptor` (a file, pipe or socket) from its current
    /// position; `path` only names it in errors. `package`, not public: a raw descriptor is no
    /// type an importer should have to hold (the CLI uses it for standard input).
    package mutating func update(fileDescriptor descriptor: Int32, path: String = "-", useMemoryMap: Bool = true)
        throws(Blake3.FileError)
    {
        _ = try update(fileDescriptor: descriptor, path: path, useMemoryMap: useMemoryMap, regionSize: Self.releaseRegion)
    }

    /// As `update(fileDescriptor:path:useMemoryMap:)`, a mapped file released in regions of
    /// `regionSize` bytes (tests take small ones); returns how many were released before `munmap`.
    mutating func update(fileDescriptor descriptor: Int32, path: String, useMemoryMap: Bool, regionSize: Int)
        throws(Blake3.FileError) -> Int
    {
        #if !os(WASI)  // WASI has no mmap: files are read.
        var info = stat()
        if useMemoryMap, fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
            info.st_size >= Self.memoryMapThreshold, info.st_size <= Int.max
        {
            let length = Int(info.st_size)
            if let mapping = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), mapping != MAP_FAILED {
                defer { munmap(mapping, length) }
                // Pages are faulted in on demand (the kernel maps 64 KiB around each fault), as
                // b3sum does: `MADV_POPULATE_READ` took longer in the kernel (1 MiB files: 3.0 vs
                // 3.2 GB/s) and won nothing at 64 MiB. Large files ask for aggressive read-ahead.
                if length >= Self.sequentialAdviceThreshold { _ = madvise(mapping, length, MADV_SEQUENTIAL) }
                let input = UnsafeRawBufferPointer(start: mapping, count: length)
                guard threadCount > 1 else {
                    update(input)
                    return 0
                }
                // With several threads, what they hashed is released as they go (MappedRegions).
                let regions = MappedRegions(base: mapping, length: length, regionSize: regionSize)
                update(input, afterPiece: { regions.noteHashed($0) })
                return regions.released
            }
        }
        #endif
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readBufferSize, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = read(descriptor, buffer.baseAddress, buffer.count)
            if n == 0 { return 0 }
            if n < 0 {
                if errno == EINTR { continue }
                throw Blake3.FileError(path: path, code: errno)
            }
            update(UnsafeRawBufferPointer(rebasing: buffer[..<n]))
        }
    }
}
#endif
