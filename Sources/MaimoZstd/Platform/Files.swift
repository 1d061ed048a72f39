// Platform layer: zstd between the operating system's files, and multi-threaded compression.
// Not part of the Embedded Swift core.
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
#if canImport(Dispatch)
#endif

extension Zstd {
    /// What a streaming decompression between descriptors read and wrote.
    public struct Transfer: Sendable, Equatable {
        /// Compressed bytes read.
        public var bytesRead: UInt64
        /// Decompressed bytes written.
        public var bytesWritten: UInt64
    }

    /// Decompresses the file at `input` into a new file at `output` (replaced if it exists), in
    /// 1 MiB reads, with memory bounded by the frames' windows.
    /// - Parameters:
    ///   - input: the compressed file.
    ///   - output: where the content goes.
    ///   - dictionary: the dictionary the frames were made with, if any.
    ///   - options: limits on the window and the output.
    /// - Throws: ``ZstdError``; ``ZstdError/io(operation:path:errno:)`` when a file cannot be
    ///   opened, read or written.
    @discardableResult
    public static func decompress(
        fileAtPath input: String, to output: String, dictionary: ZstdDictionary? = nil,
        options: ZstdDecompressionOptions = .init()
    ) throws(ZstdError) -> Transfer {
        let source = try openFile(input, O_RDONLY)
        defer { close(source) }
        let destination = try openFile(output, O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(destination) }
        return try decompress(from: source, to: destination, dictionary: dictionary, options: options,
                              inputName: input, outputName: output)
    }

    /// Compresses the file at `input` into a new file at `output` (replaced if it exists): one
    /// frame with the content size, or with `threadCount` above 1 one frame per
    /// ``parallelChunkSize(level:)`` of input, compressed at once.
    /// - Throws: ``ZstdError/io(operation:path:errno:)`` when a file cannot be opened, read or
    ///   written.
    @discardableResult
    public static func compress(
        fileAtPath input: String, to output: String, level: Int = 3, dictionary: ZstdDictionary? = nil,
        threadCount: Int = 1, checksum: Bool = true
    ) throws(ZstdError) -> Transfer {
        let source = try openFile(input, O_RDONLY)
        defer { close(source) }
        var info = stat()
        guard fstat(source, &info) == 0 else { throw .io(operation: "stat", path: input, errno: errno) }
        let destination = try openFile(output, O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(destination) }
        return try compress(
            from: source, to: destination, dictionary: dictionary,
            options: .init(level: level, checksum: checksum, contentSize: UInt64(info.st_size)), threadCount: threadCount,
            inputName: input, outputName: output)
    }

    static func openFile(_ path: String, _ flags: Int32) throws(ZstdError) -> Int32 {
        let descriptor = open(path, flags | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .io(operation: "open", path: path, errno: errno) }
        return descriptor
    }

    /// Decompresses everything readable from `input` into `output` (descriptors the caller
    /// keeps), in 1 MiB reads, with memory bounded by the frames' windows.
    /// - Parameters:
    ///   - input: the descriptor read from, to its end.
    ///   - output: the descriptor written to.
    ///   - dictionary: the dictionary the frames were made with, if any.
    ///   - options: limits on the window and the output.
    ///   - inputName: how errors name the input.
    ///   - outputName: how errors name the output.
    /// - Throws: ``ZstdError``; ``ZstdError/io(operation:path:errno:)`` when a read or write fails.
    @discardableResult
    package static func decompress(
        from input: Int32, to output: Int32, dictionary: ZstdDictionary? = nil,
        options: ZstdDecompressionOptions = .init(), inputName: String = "input", outputName: String = "output"
    ) throws(ZstdError) -> Transfer {
        let decoder = ZstdDecompressor(dictionary: dictionary, options: options)
        let capacity = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var transfer = Transfer(bytesRead: 0, bytesWritten: 0)
        while true {
            let count = read(input, buffer, capacity)
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "reading", path: inputName, errno: errno)
            }
            if count == 0 { break }
            transfer.bytesRead += UInt64(count)
            try decoder.decompress(UnsafeRawBufferPointer(start: buffer, count: count)) { (bytes) throws(ZstdError) in
                try writeAll(bytes, to: output, name: outputName)
                transfer.bytesWritten += UInt64(bytes.count)
            }
        }
        try decoder.finish()
        return transfer
    }

    static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, name: String) throws(ZstdError) {
        var done = 0
        while done < bytes.count {
            let n = write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "writing", path: name, errno: errno)
            }
            done += n
        }
    }
}

import Dispatch

extension Zstd {
    /// How much input each thread compresses into its own frame in multi-threaded compression:
    /// four windows of the level, at least 1 MiB.
    public static func parallelChunkSize(level: Int) -> Int {
        max(1 << 20, 4 << ZstdParameters.level(level).windowLog)
    }

    /// Compresses everything readable from `input` into `output` (file descriptors).
    ///
    /// With one thread (or long-distance matching, whose matches reach across any chunk) the
    /// result is one frame (with the content size when `options` give it). With more, the input
    /// is cut into chunks of ``parallelChunkSize(level:)`` that are compressed at once, each into
    /// its own frame (the options' content size is ignored), written in order: standard
    /// concatenated frames that any zstd decoder reads as one stream, a little larger than one
    /// frame because each chunk starts without history.
    @discardableResult
    package static func compress(
        from input: Int32, to output: Int32, dictionary: ZstdDictionary? = nil, options: ZstdCompressionOptions = .init(),
        threadCount: Int = 1, inputName: String = "input", outputName: String = "output"
    ) throws(ZstdError) -> Transfer {
        let level = options.level
        var transfer = Transfer(bytesRead: 0, bytesWritten: 0)
        let sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void = { bytes in
            try writeAll(bytes, to: output, name: outputName)
            transfer.bytesWritten += UInt64(bytes.count)
        }
        if threadCount <= 1 || options.longWindowLog != nil {
            let compressor = ZstdCompressor(dictionary: dictionary, options: options)
            let capacity = 1 << 20
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let count = try readFull(input, buffer, capacity, name: inputName)
                if count == 0 { break }
                transfer.bytesRead += UInt64(count)
                try compressor.compress(UnsafeRawBufferPointer(start: buffer, count: count), to: sink)
            }
            try compressor.finish(to: sink)
            return transfer
        }
        let chunk = parallelChunkSize(level: level)
        let buffers = (0..<threadCount).map { _ in UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16) }
        defer { buffers.forEach { $0.deallocate() } }
        var first = true
        while true {
            var lengths = [Int](repeating: 0, count: threadCount)
            for i in 0..<threadCount {
                lengths[i] = try readFull(input, buffers[i], chunk, name: inputName)
                transfer.bytesRead += UInt64(lengths[i])
                if lengths[i] < chunk { break }
            }
            let used = lengths.filter { $0 > 0 }.count
            if used == 0 {
                if first { try writeEmptyFrame(level: level, dictionary: dictionary, checksum: options.checksum, sink) }
                break
            }
            first = false
            let frames = UnsafeMutableBufferPointer<[UInt8]>.allocate(capacity: used)
            frames.initialize(repeating: [])
            defer { frames.deallocate() }
            let shared = UncheckedSendable(value: (buffers, lengths, frames))
            concurrentPerform(iterations: used) { i in
                let (buffers, lengths, frames) = shared.value
                var chunkOptions = options
                chunkOptions.contentSize = UInt64(lengths[i])
                frames[i] = ZstdCompressor(dictionary: dictionary, options: chunkOptions)
                    .compressFrame(UnsafeRawBufferPointer(start: buffers[i], count: lengths[i]))
            }
            for frame in frames { try withBytes(frame, sink) }
            if lengths[used - 1] < chunk { break }
        }
        return transfer
    }

    static func writeEmptyFrame(level: Int, dictionary: ZstdDictionary?, checksum: Bool, _ sink: (UnsafeRawBufferPointer) throws(ZstdError) -> Void) throws(ZstdError) {
        try withBytes(compress([UInt8](), level: level, dictionary: dictionary, checksum: checksum), sink)
    }

    static func withBytes(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ZstdError) -> Void) throws(ZstdError) {
        let result: Result<Void, ZstdError> = bytes.withUnsafeBytes { raw in Result { () throws(ZstdError) in try body(raw) } }
        try result.get()
    }

    /// Reads until `capacity` bytes or the end of the input.
    static func readFull(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ capacity: Int, name: String) throws(ZstdError) -> Int {
        var total = 0
        while total < capacity {
            let count = read(descriptor, buffer + total, capacity - total)
            if count < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "reading", path: name, errno: errno)
            }
            if count == 0 { break }
            total += count
        }
        return total
    }
}

/// Runs `body(0..<iterations)` on Dispatch's threads, or one after the other where there is no
/// Dispatch (WASI).
private func concurrentPerform(iterations: Int, _ body: @Sendable (Int) -> Void) {
    #if canImport(Dispatch)
    DispatchQueue.concurrentPerform(iterations: iterations, execute: body)
    #else
    for index in 0..<iterations { body(index) }
    #endif
}

/// Hands non-Sendable buffers to `concurrentPerform`, whose iterations touch disjoint parts.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}
#endif
