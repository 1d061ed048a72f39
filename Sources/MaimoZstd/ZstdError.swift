/// Everything that can go wrong while decoding zstd data. Each case says what was wrong and
/// where: `offset` is the byte position in the compressed input (counted from the first byte
/// given to the decompressor) of the frame, block or field at fault.
public enum ZstdError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The four bytes at `offset` are neither a zstd frame nor a skippable frame.
    case unknownMagic(offset: UInt64, magic: UInt32)
    /// The input ended inside a frame that began at `frameOffset`.
    case truncated(frameOffset: UInt64, offset: UInt64)
    /// A structure is malformed: `reason` names the field and the rule it broke.
    case corrupt(offset: UInt64, reason: String)
    /// The frame needs a window larger than the configured limit (a decompression bomb guard).
    case windowTooLarge(offset: UInt64, windowSize: UInt64, limit: Int)
    /// The frame was made with a dictionary that was not supplied, or a different one.
    case dictionaryMismatch(offset: UInt64, frameDictionaryID: UInt32, suppliedDictionaryID: UInt32?)
    /// The bytes given as a dictionary are not a valid zstd dictionary.
    case invalidDictionary(reason: String)
    /// The content's XXH64 does not match the checksum the frame carries.
    case checksumMismatch(offset: UInt64, expected: UInt32, actual: UInt32)
    /// The frame's header declared a content size that its blocks did not produce.
    case contentSizeMismatch(offset: UInt64, declared: UInt64, actual: UInt64)
    /// The output exceeds the caller's limit: a decompression limit, or the destination buffer
    /// of a frame decoded or compressed in place.
    case outputTooLarge(limit: Int)
    /// Reading the input or writing the output failed (`errno` from the system call).
    case io(operation: String, path: String, errno: Int32)

    public var description: String {
        switch self {
        case let .unknownMagic(offset, magic):
            let hex = String(magic, radix: 16)
            return "not zstd data: unknown magic number 0x\(hex) at offset \(offset)"
        case let .truncated(frameOffset, offset):
            return "truncated input: the frame at offset \(frameOffset) ends early at offset \(offset)"
        case let .corrupt(offset, reason):
            return "corrupt zstd data at offset \(offset): \(reason)"
        case let .windowTooLarge(offset, windowSize, limit):
            return "the frame at offset \(offset) needs a \(windowSize)-byte window, more than the limit of \(limit) bytes"
        case let .dictionaryMismatch(offset, frameID, suppliedID):
            if let suppliedID {
                return "the frame at offset \(offset) needs dictionary \(frameID), but dictionary \(suppliedID) was given"
            }
            return "the frame at offset \(offset) needs dictionary \(frameID); none was given"
        case let .invalidDictionary(reason):
            return "invalid zstd dictionary: \(reason)"
        case let .checksumMismatch(offset, expected, actual):
            return "content checksum mismatch in the frame at offset \(offset): stored \(String(expected, radix: 16)), computed \(String(actual, radix: 16))"
        case let .contentSizeMismatch(offset, declared, actual):
            return "the frame at offset \(offset) declares \(declared) bytes of content but decodes to \(actual)"
        case let .outputTooLarge(limit):
            return "the output exceeds the limit of \(limit) bytes"
        case let .io(operation, path, code):
            return "\(operation) \(path) failed: \(systemMessage(code))"
        }
    }
}

/// The system's message for the `errno` value `code`.
private func systemMessage(_ code: Int32) -> String {
    #if hasFeature(Embedded)
    return "os error \(code)"
    #else
    return String(cString: strerror(code))
    #endif
}

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
#endif
