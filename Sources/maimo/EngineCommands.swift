import ArgumentParser
import MaimoLeanCommands
import Foundation
import Maimo
import MaimoProvider
import MaimoRepository
import MaimoTor
import MaimoZstd
#if canImport(Glibc)
import Glibc
#endif

/// Options every engine command takes.
struct HomeOptions: ParsableArguments {
    @Option(help: "The Maimo home (secret, identity, catalogue); default $MAIMO_HOME or ~/.maimo.")
    var home: String?

    @Option(name: .customLong("tor-socks"), help: "Tor's SOCKS port for onion peers (default $MAIMO_TOR_SOCKS or 127.0.0.1:9050).")
    var torSocks: String?

    @Flag(name: .customLong("allow-clearnet"), help: "Allow plain TCP to providers off this machine (frames stay encrypted, but an observer sees who talks to whom).")
    var allowClearnet = false

    @Flag(name: .customLong("tor-only"), help: "Reach providers only through Tor: no other socket is opened, loopback included.")
    var torOnly = false

    var path: String { home ?? MaimoHome.defaultPath }

    /// The client of this home.
    func open() throws -> RepositoryClient {
        RepositoryClient(home: try MaimoHome(path: path), tor: try tor(), network: try network())
    }

    func network() throws -> NetworkPolicy {
        if torOnly && allowClearnet { throw CLIFile.Failure(description: "--tor-only and --allow-clearnet contradict each other") }
        return torOnly ? .torOnly : allowClearnet ? .allowClearnet : .loopbackOrTor
    }

    func tor() throws -> TorConfiguration {
        let text = torSocks ?? ProcessInfo.processInfo.environment["MAIMO_TOR_SOCKS"] ?? "127.0.0.1:9050"
        let address = try PeerAddress(text)
        return TorConfiguration(socksHost: address.host, socksPort: address.port)
    }
}

/// `maimo …` engine commands report errors as one line and exit 1.
func engineRun(_ name: String, _ body: () throws -> Void) throws {
    try CLIFile.run(prefix: "maimo \(name)", body)
}

func humanBytes(_ bytes: UInt64) -> String {
    if bytes == .max { return "unlimited" }
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes), unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create a Maimo home: a root secret (shown once as a recovery code), the identity it derives, the catalogue.")
    @OptionGroup var options: HomeOptions

    @Option(name: .customLong("recover"), help: "Recreate a home from its recovery code (`-` reads it from standard input).")
    var recoveryCode: String?

    func run() throws {
        try engineRun("init") {
            var code = recoveryCode
            if code == "-" { code = readLine(strippingNewline: true) ?? "" }
            let home = try MaimoHome.create(at: options.path, recoveryCode: code)
            print("created \(home.path)")
            print("node ID: \(home.nodeID)")
            if code == nil {
                print("recovery code: \(home.keys.recoveryCode)")
                print("write the recovery code down and keep it offline: with it, any provider's copy can be found and")
                print("decrypted again (`maimo init --recover`); anyone who has it can read everything you store")
            } else {
                print("recovered the identity and keys of that recovery code")
            }
        }
    }
}

struct IDCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "id", abstract: "Print this node's ID (for `maimo provider allow` and `maimo peer add`).")
    @OptionGroup var options: HomeOptions

    func run() throws {
        try engineRun("id") { print(try MaimoHome.identity(at: options.path).nodeID) }
    }
}

struct ProviderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provider", abstract: "Store other nodes' encrypted blobs.",
        subcommands: [Serve.self, Allow.self, Deny.self])

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve allowed clients from a store directory (over TCP, or as an onion service).")
        @OptionGroup var options: HomeOptions
        @Option(help: "Where blobs are kept.") var store: String
        @Option(help: "Default per-client quota, e.g. 10GB (default unlimited).") var quota: String?
        @Option(help: "HOST:PORT to listen on (default 127.0.0.1:7070; with --tor, a free loopback port).") var listen: String?
        @Flag(help: "Launch tor and publish the provider as an onion service under this node's identity.") var tor = false
        @Option(name: .customLong("tor-control"), help: "Publish through a running tor's control port instead: HOST:PORT on loopback, or the path of its Unix socket.")
        var torControl: String?
        @Option(name: .customLong("tor-cookie"), help: "The control port's cookie file, when it is not under /run/tor, /var/run/tor, /var/lib/tor or ~/.tor.")
        var torCookie: String?
        @Option(name: .customLong("handshake-timeout"), help: "Seconds a connection has to complete the handshake (a slow link, or an instrumented build, may need more).")
        var handshakeTimeout: Double = ProviderServer.Options().handshakeTimeout

        func validate() throws {
            guard handshakeTimeout > 0, handshakeTimeout <= 3600 else {
                throw ValidationError("--handshake-timeout must be more than 0 and at most 3600 seconds")
            }
        }

        func run() throws {
            try engineRun("provider serve") {
                ProviderServer.tuneAllocator()
                let identity = try MaimoHome.identity(at: options.path)
                let quota = try self.quota.map { UInt64(try ZstdCommand.parseSize($0)) } ?? .max
                let store = try ProviderStore(directory: store, defaultQuota: quota)
                var serverOptions = ProviderServer.Options()
                serverOptions.handshakeTimeout = handshakeTimeout
                let server = ProviderServer(store: store, identity: identity, options: serverOptions) { line in
                    Console.error("\(ISO8601DateFormatter().string(from: Date())) \(line)")
                }
                let onion = tor || torControl != nil
                let listen = try PeerAddress(self.listen ?? (onion ? "127.0.0.1:0" : "127.0.0.1:7070"))
                let port = try server.start(host: listen.host, port: listen.port)
                print("provider \(identity.nodeID)")
                print("listening on \(PeerAddress(host: listen.host, port: port)), quota \(humanBytes(quota)) per client")
                var process: TorProcess?
                // Held until the provider stops: tor removes the (not detached) onion service
                // when the control connection that added it closes.
                var publisher: TorControl?
                if onion {
                    let key = OnionServiceKey(signingKey: identity.signingKey)
                    let control: TorControl
                    if let torControl {
                        if torControl.hasPrefix("/") {
                            control = try TorControl(socketPath: torControl)
                        } else {
                            let address = try PeerAddress(torControl)
                            control = try TorControl(host: address.host, port: address.port)
                        }
                        try control.authenticate(cookieFile: torCookie)
                    } else {
                        print("starting tor…")
                        let started = try TorProcess(.init(dataDirectory: store.directory + "/tor"))
                        try started.waitForBootstrap()
                        process = started
                        control = started.control
                    }
                    let address = try control.addOnion(key: key, ports: [(PeerAddress.defaultPort, "127.0.0.1:\(port)")],
                                                       defenses: .provider)
                    publisher = control
                    print("onion service: \(address):\(PeerAddress.defaultPort)")
                }
                print("allow clients with: maimo provider allow CLIENT-ID --store \(store.directory)")
                Console.flush()
                fflush(nil)
                // Serve until SIGINT or SIGTERM.
                let received = StopSignal.wait(for: [SIGINT, SIGTERM])
                print("stopping (signal \(received))")
                withExtendedLifetime(publisher) {}
                server.stop()
                process?.stop()
                store.close()
            }
        }
    }

    struct Allow: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "allow", abstract: "Allow a client (by its node ID) to store here.")
        @Argument(help: "The client's node ID (`maimo id` on the client).") var client: String
        @Option(help: "The store directory of `maimo provider serve`.") var store: String
        @Option(help: "This client's quota, e.g. 50GB (default: the server's --quota).") var quota: String?

        func run() throws {
            try engineRun("provider allow") {
                let id = try NodeID(client)
                try ProviderStore.allow(client: id, quota: try quota.map { UInt64(try ZstdCommand.parseSize($0)) }, inDirectory: store)
                print("allowed \(id.description)" + (quota.map { " with a quota of \($0)" } ?? ""))
            }
        }
    }

    struct Deny: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "deny",
            abstract: "Take a client off the allow-list: its sessions end, what it staged is deleted (its stored blobs stay).")
        @Argument(help: "The client's node ID.") var client: String
        @Option(help: "The store directory of `maimo provider serve`.") var store: String

        func run() throws {
            try engineRun("provider deny") {
                let id = try NodeID(client)
                let was = try ProviderStore.deny(client: id, inDirectory: store)
                print(was ? "denied \(id.description)" : "\(id.description) was not allowed")
            }
        }
    }
}

struct PeerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer", abstract: "The providers this node stores on.", subcommands: [Add.self, List.self, Retire.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a provider by onion address (or host:port with --id).")
        @OptionGroup var options: HomeOptions
        @Argument(help: "A name for the peer.") var name: String
        @Argument(help: "ADDRESS.onion[:PORT], or HOST:PORT on a LAN (then --id is needed).") var address: String
        @Option(help: "The provider's node ID, when ADDRESS is not its onion address.") var id: String?

        func run() throws {
            try engineRun("peer add") {
                let client = try options.open()
                let peerAddress = try PeerAddress(address)
                guard let nodeID = id ?? (peerAddress.isOnion ? peerAddress.host : nil) else {
                    throw CLIFile.Failure(description: "\(address) is not an onion address: give the provider's node ID with --id")
                }
                if options.torOnly && !peerAddress.isOnion {
                    throw CLIFile.Failure(description: "\(address) is not an onion address, and --tor-only reaches providers only through Tor")
                }
                try client.addPeer(name: name, nodeID: try NodeID(nodeID), address: address, allowClearnet: options.allowClearnet)
                print("added \(name) (\(address))" + (options.allowClearnet ? ", plain TCP allowed" : ""))
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List peers.")
        @OptionGroup var options: HomeOptions

        func run() throws {
            try engineRun("peer ls") {
                for peer in try options.open().home.catalogue.peers() { print("\(peer.name)\t\(peer.address)\t\(peer.nodeID)") }
            }
        }
    }
}

struct DictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dict", abstract: "zstd dictionaries for kinds of small files.", subcommands: [Train.self])

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "train", abstract: "Train a dictionary on sample files and keep it in the catalogue.")
        @OptionGroup var options: HomeOptions
        @Argument(help: "Sample files or directories.") var paths: [String]
        @Option(help: "Largest dictionary size in bytes.") var maxSize = 112_640
        @Flag(name: .customLong("default"), help: "Use it for every later `maimo store` without --dict.") var makeDefault = false

        func run() throws {
            try engineRun("dict train") {
                let client = try options.open()
                let files = try RepositoryClient.regularFiles(under: paths)
                var samples: [[UInt8]] = []
                for file in files.prefix(100_000) {
                    if let data = FileManager.default.contents(atPath: file), !data.isEmpty { samples.append(Array(data.prefix(128 << 10))) }
                }
                guard samples.count >= 5 else { throw CLIFile.Failure(description: "need at least 5 non-empty sample files, got \(samples.count)") }
                let bytes = try ZstdDictionary.train(samples: samples, maxSize: maxSize)
                let dictionary = try ZstdDictionary(bytes)
                try client.home.catalogue.putDictionary(id: dictionary.id, bytes: bytes)
                if makeDefault { try client.home.catalogue.setSetting("dictionary", String(dictionary.id)) }
                print("dictionary \(dictionary.id): \(bytes.count) bytes from \(samples.count) samples" + (makeDefault ? " (default)" : ""))
            }
        }
    }
}

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show or change the catalogue's settings.",
        discussion: """
            keep        snapshots of the same paths kept by each store (default 5); older ones are forgotten
            dictionary  the zstd dictionary ID `maimo store` uses without --dict (none by default)
            level       the zstd level `maimo store` uses without --level (default 3)
            redundancy  how stores place blobs: copies:N or K-of-N (default copies:1, one copy on the first peer)
            """)
    @OptionGroup var options: HomeOptions
    @Argument(help: "keep, dictionary, level or redundancy (none: show all).") var name: String?
    @Argument(help: "The new value (none: show it; `none` removes a dictionary).") var value: String?

    static let names = ["keep", "dictionary", "level", "redundancy"]

    func run() throws {
        try engineRun("config") {
            let client = try options.open()
            let catalogue = client.home.catalogue
            guard let name else {
                for name in Self.names { print("\(name)\t\(try catalogue.setting(name) ?? "(default)")") }
                return
            }
            guard Self.names.contains(name) else { throw CLIFile.Failure(description: "unknown setting \(name) (\(Self.names.joined(separator: ", ")))") }
            guard let value else {
                print(try catalogue.setting(name) ?? "(default)")
                return
            }
            switch name {
            case "keep":
                guard let n = Int(value), n >= 1 else { throw CLIFile.Failure(description: "keep must be a number ≥ 1") }
            case "level":
                guard let n = Int(value), (1...19).contains(n) else { throw CLIFile.Failure(description: "level must be 1 to 19") }
            case "redundancy":
                let redundancy = try Redundancy(parsing: value)
                try client.setRedundancy(redundancy)
                print("redundancy = \(redundancy) (for new stores; blobs stored before keep theirs)")
                return
            default:
                if value != "none" {
                    guard let id = UInt32(value), try catalogue.dictionary(id: id) != nil else {
                        throw CLIFile.Failure(description: "no dictionary \(value) in the catalogue (see `maimo dict train`)")
                    }
                }
            }
            try catalogue.setSetting(name, value == "none" ? "" : value)
            print("\(name) = \(value)")
        }
    }
}

/// Waits for one of some signals: a handler writes the signal number to a pipe (the one
/// async-signal-safe way to hand it over) that the caller reads. Unlike ignoring the signal and
/// watching it with a dispatch source, this works whether or not the signal is blocked.
enum StopSignal {
    nonisolated(unsafe) static var writeEnd: Int32 = -1

    static func wait(for signals: [Int32]) -> Int32 {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return 0 }
        writeEnd = ends[1]
        var set = sigset_t()
        sigemptyset(&set)
        for number in signals {
            signal(number) { received in
                var byte = UInt8(truncatingIfNeeded: received)
                _ = write(StopSignal.writeEnd, &byte, 1)
            }
            sigaddset(&set, number)
        }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        var byte: UInt8 = 0
        while read(ends[0], &byte, 1) < 0 && errno == EINTR {}
        return Int32(byte)
    }
}
