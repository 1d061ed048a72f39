#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Zstd {
    /// What a streaming decompression between descriptors read and wrote.
    public struct Transfer: Sendable, Equatable {
        public var bytesRead: UInt64
        public var bytesWritten: UInt64
    }

    /// Decompresses everything readable from `input` into `output` (file descriptors), in
    /// 1 MiB reads, with memory bounded by the frames' windows.
    /// - Parameters:
    ///   - inputName, outputName: how errors name the two ends.
    /// - Throws: ``ZstdError``; ``ZstdError/io(operation:path:errno:)`` when a read or write fails.
    @discardableResult
    public static func decompress(
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
