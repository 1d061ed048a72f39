import ArgumentParser
import MaimoLeanCommands
import MaimoIndex
#if canImport(Glibc)
import Glibc
#endif

/// `maimo index`: the MaimoIndex B+tree file from the shell. Keys are UTF-8 strings here.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "A copy-on-write B+tree file of named tables (MaimoIndex). Keys and values are UTF-8 strings here.",
        subcommands: [Put.self, Get.self, Delete.self, Scan.self, Tables.self, Check.self, Stats.self, Compact.self])

    /// `--db` belongs to `index` (`maimo index --db FILE put …`).
    @OptionGroup var database: Database

    struct Database: ParsableArguments {
        @Option(name: .long, help: "The index file (created by `put` when missing).") var db: String

        func open(create: Bool = false) throws -> IndexDatabase {
            var options = IndexDatabase.Options()
            options.createIfMissing = create
            return try IndexDatabase(path: db, options: options)
        }

        /// `IndexCommand.run` with the existing file open for `body`, closed afterwards.
        func run(_ body: (IndexDatabase) throws -> Void) throws {
            try IndexCommand.run {
                let database = try open()
                defer { database.close() }
                try body(database)
            }
        }
    }

    static func run(_ body: () throws -> Void) throws {
        try CLIFile.run(prefix: "maimo index", body)
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    struct Put: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "put", abstract: "Store VALUE (or standard input for `-`) under KEY in TABLE; durable when it exits 0.")
        @OptionGroup var database: Database
        @Argument(help: "The table (created when missing).") var table: String
        @Argument(help: "The key.") var key: String
        @Argument(help: "The value, or `-` to read it from standard input.") var value: String

        func run() throws {
            try IndexCommand.run {
                var bytes = Array(value.utf8)
                if value == "-" {
                    bytes = []
                    var buffer = [UInt8](repeating: 0, count: 1 << 16)
                    while true {
                        let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                        if n < 0 && errno == EINTR { continue }
                        if n < 0 { throw CLIFile.Failure(description: "standard input: \(String(cString: strerror(errno)))") }
                        if n == 0 { break }
                        bytes += buffer[0..<n]
                    }
                }
                let db = try database.open(create: true)
                defer { db.close() }
                try db.write { try $0.put(table, Array(key.utf8), bytes) }
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "get", abstract: "Print the value of KEY in TABLE.")
        @OptionGroup var database: Database
        @Argument(help: "The table.") var table: String
        @Argument(help: "The key.") var key: String

        func run() throws {
            try database.run { db in
                guard let value = try db.read({ try $0.get(table, Array(key.utf8)) }) else {
                    throw CLIFile.Failure(description: "no such key in \(table): \(key)")
                }
                try CLIFile.write(value, to: 1)
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "del", abstract: "Remove KEY from TABLE; durable when it exits 0.")
        @OptionGroup var database: Database
        @Argument(help: "The table.") var table: String
        @Argument(help: "The key.") var key: String

        func run() throws {
            try database.run { db in
                let removed = try db.write { try $0.delete(table, Array(key.utf8)) }
                if !removed { throw CLIFile.Failure(description: "no such key in \(table): \(key)") }
            }
        }
    }

    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "scan", abstract: "Print KEY<TAB>VALUE lines of TABLE in key order.")
        @OptionGroup var database: Database
        @Argument(help: "The table.") var table: String
        @Option(help: "Only keys starting with this.") var prefix: String = ""
        @Option(help: "Start at this key (inclusive).") var from: String?
        @Option(help: "Stop before this key.") var to: String?

        func run() throws {
            try database.run { db in
                try db.read { transaction in
                    var cursor = try transaction.cursor(table)
                    try cursor.scan(prefix: Array(prefix.utf8), from: from.map { Array($0.utf8) }, to: to.map { Array($0.utf8) }) { key, value in
                        Console.write("\(IndexCommand.text(key))\t\(IndexCommand.text(value))\n")
                        return true
                    }
                }
                Console.flush()
            }
        }
    }

    struct Tables: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tables", abstract: "List the tables and their key counts.")
        @OptionGroup var database: Database

        func run() throws {
            try database.run { db in
                for (name, keys) in try db.statistics().tables { Console.write("\(name)\t\(keys)\n") }
                Console.flush()
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "Verify checksums, key order, counts and page accounting; exit 1 on damage.")
        @OptionGroup var database: Database

        func run() throws {
            try database.run { db in
                let report = try db.check()
                for problem in report.problems { Console.error("maimo index: \(problem)") }
                if db.openedFromOlderMeta { Console.error("maimo index: one meta page did not verify; opened from the other") }
                Console.write("\(report.pages) pages (\(report.reachablePages) in use, \(report.freePages) free), \(report.tables) tables, \(report.keys) keys: ")
                Console.write(report.isHealthy ? "ok\n" : "\(report.problems.count) problems\n")
                Console.flush()
                if !report.isHealthy { throw ExitCode.failure }
            }
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stats", abstract: "Page size, pages, free pages, tables.")
        @OptionGroup var database: Database

        func run() throws {
            try database.run { db in
                let stats = try db.statistics()
                Console.write("""
                    page size:    \(stats.pageSize)
                    pages:        \(stats.pages) (\(stats.pages * UInt64(stats.pageSize)) bytes)
                    free pages:   \(stats.freePages)
                    transaction:  \(stats.transaction)
                    tables:       \(stats.tables.count)

                    """)
                Console.flush()
            }
        }
    }

    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "compact", abstract: "Rewrite the file with only live pages.")
        @OptionGroup var database: Database

        func run() throws {
            try IndexCommand.run {
                let (before, after) = try IndexDatabase.compact(path: database.db)
                Console.write("compacted: \(before) -> \(after) bytes\n")
                Console.flush()
            }
        }
    }
}
