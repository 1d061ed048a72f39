@_spi(Platform) import MaimoBlake3

/// Errors of the segmented format, naming what and where.
public enum SegmentedError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input does not start with `MAIMOSEG`.
    case notSegmentedCiphertext
    /// A version this module does not read.
    case unsupportedVersion(UInt16)
    /// Header flags this module does not know.
    case unknownFlags(UInt16)
    /// A segment size outside ``SegmentedCiphertext/segmentSizeRange``.
    case invalidSegmentSize(UInt64)
    /// The input ended inside the header, after this many bytes.
    case truncatedHeader(Int)
    /// A segment did not verify: wrong key, corruption, reordering, splicing, or truncation.
    case authenticationFailed(segment: UInt64)
    /// The ciphertext ended before the final segment.
    case truncated(segment: UInt64)
    /// The padding after the content was not zeros of the length Padmé gives.
    case malformedPadding
    /// Bytes followed the final segment.
    case trailingData
    /// The content was not as long as announced.
    case lengthMismatch(expected: UInt64, received: UInt64)
    /// The cipher refused its input (a wrong key or nonce length).
    case cipher(CipherError)
    /// The system refused an operation on a file: `path` is the file (nil for a descriptor the
    /// caller gave), `code` the `errno` value.
    case system(Operation, path: String?, code: Int32)
    /// ``KeyFile`` refuses to replace the file at `path`.
    case keyFileExists(path: String)
    /// The key file at `path` may be read or written by its group or others (`mode` is its
    /// permission bits); it is refused, as ssh refuses such private keys.
    case keyFileAccessibleToOthers(path: String, mode: UInt32)
    /// The file at `path` is not a Maimo key file (44 bytes starting with `MAIMOKEY`, version 1).
    case notAKeyFile(path: String)

    /// What a ``SegmentedError/system(_:path:code:)`` failure was doing.
    public enum Operation: String, Sendable {
        /// Opening a file.
        case open
        /// Reading a file's status (its length or its mode).
        case stat
        /// Reading.
        case read
        /// Writing.
        case write
        /// Flushing a file to its disk.
        case sync
    }

    public var description: String {
        switch self {
        case .notSegmentedCiphertext: "not a Maimo segmented ciphertext (bad magic)"
        case .unsupportedVersion(let v): "unsupported segmented ciphertext version \(v)"
        case .unknownFlags(let f): "unknown header flags 0x\(String(f, radix: 16))"
        case .invalidSegmentSize(let s): "invalid segment size \(s) (must be 1024 … 2^30)"
        case .truncatedHeader(let n): "truncated header: \(n) of 40 bytes"
        case .authenticationFailed(let i): "segment \(i) failed authentication: wrong key, or the file was corrupted, truncated or rearranged"
        case .truncated(let i): "the ciphertext ends before its final segment (at segment \(i))"
        case .malformedPadding: "the padding after the content is not all zeros"
        case .trailingData: "data after the final segment"
        case .lengthMismatch(let e, let r): "expected \(e) bytes of content, got \(r)"
        case .cipher(let e): "\(e)"
        case .system(let operation, let path, let code):
            "\(operation.rawValue)\(path.map { " \($0)" } ?? "") failed: \(Platform.errorMessage(code))"
        case .keyFileExists(let path): "\(path) exists; refusing to overwrite a key"
        case .keyFileAccessibleToOthers(let path, let mode):
            "\(path) is accessible to its group or others (mode \(String(mode & 0o777, radix: 8))): run chmod 600 on it"
        case .notAKeyFile(let path):
            "\(path) is not a Maimo key file (expected 44 bytes starting with MAIMOKEY, version 1)"
        }
    }
}
