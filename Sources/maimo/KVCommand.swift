import ArgumentParser
import MaimoLeanCommands
import MaimoKeystore
#if canImport(Glibc)
import Glibc
#endif

/// `maimo kv`: the MaimoKeystore log-structured store from the shell.
struct KVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kv",
        abstract: "A crash-safe log-structured key-value store (MaimoKeystore). Keys are UTF-8 strings here.",
        subcommands: [Put.self, Get.self, Delete.self, List.self, Check.self, Stats.self, Compact.self, Dump.self])

    /// `--db` belongs to `kv` (`maimo kv --db DIR put …`); each subcommand reads it from here.
    @OptionGroup var store: Store

    struct Store: ParsableArguments {
        @Option(name: .long, help: "The store's directory (created by `put` when missing).") var db: String

        func open(create: Bool = false) throws -> KeyValueStore {
            var options = KeyValueStore.Options()
            options.createIfMissing = create
            options.automaticCompaction = false
            return try KeyValueStore(directory: db, options: options)
        }
    }

    static func run(_ body: () throws -> Void) throws {
        try CLIFile.run(prefix: "maimo kv", body)
    }

    static func display(_ key: [UInt8]) -> String { String(decoding: key, as: UTF8.self) }

    struct Put: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "put",
            abstract: "Store FILE (or standard input) under KEY; durable when it exits 0.")
        @OptionGroup var store: Store
        @Argument(help: "The key.") var key: String
        @Argument(help: "The file to store, or `-` (the default) for standard input.") var file: String?

        func run() throws {
            try KVCommand.run {
                let kv = try store.open(create: true)
                let source = try CLIFile.open(file)
                defer { source.close() }
                let writer = try kv.makeWriter(for: Array(key.utf8))
                var buffer = [UInt8](repeating: 0, count: 1 << 20)
                while true {
                    let n = buffer.withUnsafeMutableBytes { read(source.descriptor, $0.baseAddress, $0.count) }
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw CLIFile.Failure(description: "\(source.path): \(String(cString: strerror(errno)))")
                    }
                    if n == 0 { break }
                    try buffer.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                }
                try writer.commit()
                try kv.close()
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "get",
            abstract: "Write the value of KEY (or LENGTH bytes at OFFSET) to standard output, verified.")
        @OptionGroup var store: Store
        @Argument(help: "The key.") var key: String
        @Option(help: "Start at this byte of the value.") var offset: UInt64 = 0
        @Option(help: "Read this many bytes (default: to the end).") var length: UInt64?

        func run() throws {
            try KVCommand.run {
                let kv = try store.open()
                guard let reader = try kv.reader(for: Array(key.utf8)) else {
                    throw CLIFile.Failure(description: "no such key: \(key)")
                }
                guard offset <= reader.length else {
                    throw KeystoreError.rangeOutOfBounds(offset: offset, length: length ?? 0, valueLength: reader.length)
                }
                let count = length ?? (reader.length - offset)
                guard count <= reader.length - offset else {
                    throw KeystoreError.rangeOutOfBounds(offset: offset, length: count, valueLength: reader.length)
                }
                var done: UInt64 = 0
                while done < count {
                    let step = Int(min(count - done, 1 << 20))
                    let bytes = try reader.read(offset: offset + done, count: step)
                    try CLIFile.write(bytes, to: 1)
                    done += UInt64(step)
                }
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Remove KEY; durable when it exits 0.")
        @OptionGroup var store: Store
        @Argument(help: "The key.") var key: String

        func run() throws {
            try KVCommand.run {
                let kv = try store.open()
                guard try kv.contains(Array(key.utf8)) else { throw CLIFile.Failure(description: "no such key: \(key)") }
                try kv.delete(Array(key.utf8))
                try kv.close()
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List keys in order, one per line.")
        @OptionGroup var store: Store
        @Option(help: "Only keys starting with this.") var prefix: String = ""
        @Flag(name: .shortAndLong, help: "Print each value's length before its key.") var long = false

        func run() throws {
            try KVCommand.run {
                let kv = try store.open()
                for key in try kv.keys(prefix: Array(prefix.utf8)) {
                    if long, let length = try kv.valueLength(key) {
                        Console.write("\(length)\t\(KVCommand.display(key))\n")
                    } else {
                        Console.write(KVCommand.display(key) + "\n")
                    }
                }
                Console.flush()
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Verify every record and every blob frame; exit 1 on any damage.")
        @OptionGroup var store: Store

        func run() throws {
            try KVCommand.run {
                let kv = try store.open()
                let report = try kv.check()
                for problem in report.problems { Console.error("maimo kv: \(problem)") }
                Console.write("\(report.segments) segments, \(report.records) records, \(report.blobs) blobs, \(report.bytes) bytes verified: ")
                Console.write(report.isHealthy ? "ok\n" : "\(report.problems.count) problems\n")
                Console.flush()
                if !report.isHealthy { throw ExitCode.failure }
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stats", abstract: "Keys, segments, live and dead bytes, blobs.")
        @OptionGroup var store: Store

        func run() throws {
            try KVCommand.run {
                let kv = try store.open()
                let stats = try kv.statistics()
                let tenths = stats.segmentBytes == 0 ? 0 : stats.deadBytes * 1000 / stats.segmentBytes
                Console.write("""
                    keys:           \(stats.keys)
                    segments:       \(stats.segments) (\(stats.segmentBytes) bytes)
                    live bytes:     \(stats.liveBytes)
                    dead bytes:     \(stats.deadBytes) (\(tenths / 10).\(tenths % 10) %)
                    blobs:          \(stats.blobs) (\(stats.blobBytes) bytes)
                    next sequence:  \(stats.nextSequence)

                    """)
                if let tail = kv.recovery.truncatedTail {
                    Console.write("recovery:       cut a torn tail of \(tail.bytes) bytes at \(tail.file):\(tail.offset)\n")
                }
                Console.flush()
            }
        }
    }

    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "compact", abstract: "Rewrite segments that hold dead data.")
        @OptionGroup var store: Store

        func run() throws {
            try KVCommand.run {
                let kv = try store.open()
                let report = try kv.compact()
                try kv.close()
                Console.write("compacted \(report.segmentsCompacted) segments: \(report.bytesBefore) -> \(report.bytesAfter) bytes, \(report.operationsCopied) operations kept, \(report.operationsDropped) dropped\n")
                Console.flush()
            }
        }
    }

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "dump",
            abstract: "Print every operation in the log: segment, offset, sequence, kind, length, live or dead, key.")
        @OptionGroup var store: Store

        func run() throws {
            try KVCommand.run {
                let kv = try store.open()
                for entry in try kv.logEntries() {
                    Console.write("\(entry.segment)\t\(entry.offset)\t\(entry.sequence)\t\(entry.kind.rawValue)\t\(entry.valueLength)\t\(entry.isLive ? "live" : "dead")\t\(KVCommand.display(entry.key))\n")
                }
                Console.flush()
            }
        }
    }
}
