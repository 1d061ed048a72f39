import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private Tor network on 127.0.0.1 in a temporary directory, for tests and demos (after
/// chutney's "basic" network): one directory authority, three relays, a `service` tor to
/// publish onion services through and a `client` tor with a SOCKS port. `TestingTorNetwork 1`
/// with fast voting; nothing leaves the machine; every tor is owned by this process and stops
/// with it. Needs `tor` and `tor-gencert` on PATH.
///
/// ```swift
/// let network = try PrivateTorNetwork()
/// try network.waitUntilReady()                 // 10–30 s: the first consensus
/// let address = try network.service.control.addOnion(key: key, ports: [(80, "127.0.0.1:8080")])
/// let stream = try TorStream.connect(to: address.description, port: 80, proxyPort: network.client.socksPort!)
/// ```
public final class PrivateTorNetwork: @unchecked Sendable {
    /// The temporary directory holding every tor's data directory (removed by ``stop()``).
    public let directory: String
    /// The directory authority and the relays.
    public private(set) var nodes: [TorProcess] = []
    /// The tor that publishes onion services (ADD_ONION on its control port).
    public private(set) var service: TorProcess!
    /// The tor whose SOCKS port reaches them.
    public private(set) var client: TorProcess!
    /// When the network was started.
    public let startedAt = Date()

    /// Free loopback ports (bound once, then released for tor to take).
    public static func freePorts(_ count: Int) -> [UInt16] {
        var sockets = [Int32](), ports = [UInt16]()
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
            sockets.append(fd)
            ports.append(UInt16(bigEndian: address.sin_port))
        }
        sockets.forEach { close($0) }
        return ports
    }

    /// Whether the tools the network needs are on PATH.
    public static var isAvailable: Bool {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/sbin"
        return ["tor", "tor-gencert"].allSatisfy { tool in
            path.split(separator: ":").contains { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }
        }
    }

    static func run(_ arguments: [String], input: String = "", in directory: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self)
    }

    static let common = [
        "TestingTorNetwork 1",
        "AssumeReachable 1",
        "PathsNeededToBuildCircuits 0.67",
        "TestingDirAuthVoteExit *",
        "TestingDirAuthVoteHSDir *",
        "TestingDirAuthVoteGuard *",
        "TestingMinExitFlagThreshold 0",
        "V3AuthNIntervalsValid 2",
        "ShutdownWaitLength 0",
        "SafeLogging 0",
        "ProtocolWarnings 1",
    ]

    /// Writes the keys and torrcs and starts the six tors (it does not wait for them).
    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-tornet-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do { try start() } catch {
            stop()
            throw error
        }
    }

    private func start() throws {
        let ports = Self.freePorts(8)
        let (authorityOR, authorityDir) = (ports[0], ports[1])
        let authorityDirectory = directory + "/auth"
        let keys = authorityDirectory + "/keys"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        _ = try Self.run(["tor-gencert", "--create-identity-key", "-m", "12", "-a", "127.0.0.1:\(authorityDir)",
                          "-i", "authority_identity_key", "-s", "authority_signing_key", "-c", "authority_certificate",
                          "--passphrase-fd", "0"], input: "\n", in: keys)
        let certificate = try String(contentsOfFile: keys + "/authority_certificate", encoding: .utf8)
        guard let identityLine = certificate.split(separator: "\n").first(where: { $0.hasPrefix("fingerprint ") }) else {
            throw TorError.invalidKey(reason: "tor-gencert made no certificate fingerprint")
        }
        let v3Identity = identityLine.dropFirst("fingerprint ".count).trimmingCharacters(in: .whitespaces)
        let listing = try Self.run(["tor", "--list-fingerprint", "--DataDirectory", authorityDirectory, "--ORPort", "\(authorityOR)",
                                    "--DirAuthority", "x 127.0.0.1:1 ffffffffffffffffffffffffffffffffffffffff", "--quiet"], in: directory)
        guard let fingerprintLine = listing.split(separator: "\n").last(where: { $0.split(separator: " ").count >= 2 }) else {
            throw TorError.invalidKey(reason: "tor --list-fingerprint printed nothing")
        }
        let fingerprint = fingerprintLine.split(separator: " ").dropFirst().joined()
        let authorityLine = "DirAuthority auth0 orport=\(authorityOR) no-v2 v3ident=\(v3Identity) 127.0.0.1:\(authorityDir) \(fingerprint)"

        var authority = TorProcess.Configuration(dataDirectory: authorityDirectory)
        authority.socksPort = false
        authority.extraLines = Self.common + [
            authorityLine, "Nickname auth0", "Address 127.0.0.1", "ORPort \(authorityOR)", "DirPort \(authorityDir)",
            "AuthoritativeDirectory 1", "V3AuthoritativeDirectory 1", "ContactInfo auth0@test.test", "ExitPolicy reject *:*",
            "TestingV3AuthInitialVotingInterval 5", "TestingV3AuthInitialVoteDelay 2", "TestingV3AuthInitialDistDelay 2",
            "V3AuthVotingInterval 10", "V3AuthVoteDelay 2", "V3AuthDistDelay 2",
        ]
        nodes.append(try TorProcess(authority))
        for i in 0..<3 {
            // A port found free may be taken, before tor binds it, as the source port of another
            // tor's connection: then tor exits at start, and the relay tries again on fresh ports.
            var relayPorts = [ports[2 + 2 * i], ports[3 + 2 * i]]
            var attempt = 1
            while true {
                var relay = TorProcess.Configuration(dataDirectory: directory + "/relay\(i)")
                relay.socksPort = false
                relay.extraLines = Self.common + [
                    authorityLine, "Nickname relay\(i)", "Address 127.0.0.1", "ORPort \(relayPorts[0])",
                    "DirPort \(relayPorts[1])", "ExitPolicy accept 127.0.0.1:*", "ExitRelay 1",
                ]
                let started: TorProcess
                do {
                    started = try TorProcess(relay)
                } catch {
                    guard case .io(_, ECHILD) = error, attempt < 3 else { throw error }
                    attempt += 1
                    relayPorts = Self.freePorts(2)
                    continue
                }
                nodes.append(started)
                break
            }
        }
        var serviceConfiguration = TorProcess.Configuration(dataDirectory: directory + "/service")
        serviceConfiguration.extraLines = Self.common + [authorityLine]
        service = try TorProcess(serviceConfiguration)
        var clientConfiguration = TorProcess.Configuration(dataDirectory: directory + "/client")
        clientConfiguration.extraLines = Self.common + [authorityLine]
        client = try TorProcess(clientConfiguration)
    }

    /// Waits until the client's and the service's consensuses list the authority and all three
    /// relays, the relays as HSDirs in both (else the two place a descriptor on different
    /// HSDirs), and the client and the service are bootstrapped.
    public func waitUntilReady(timeout: Double = 120) throws {
        let deadline = Date().addingTimeInterval(timeout)
        func counts(_ tor: TorProcess) -> (routers: Int, hsdirs: Int) {
            let lines = ((try? tor.control.getInfo(["ns/all"])["ns/all"]) ?? "").split(separator: "\n")
            let flags = lines.filter { $0.hasPrefix("s ") }
            return (lines.filter { $0.hasPrefix("r ") }.count, flags.filter { $0.split(separator: " ").contains("HSDir") }.count)
        }
        while true {
            let (client, service) = (counts(client), counts(service))
            if client.routers >= nodes.count, service.routers >= nodes.count,
               client.hsdirs >= nodes.count - 1, service.hsdirs >= nodes.count - 1 { break }
            guard Date() < deadline else {
                throw TorError.io(operation: "waiting for consensuses with \(nodes.count) routers, \(nodes.count - 1) of them HSDirs "
                                  + "(the client's has \(client.routers) and \(client.hsdirs), the service's \(service.routers) and \(service.hsdirs))",
                                  errno: ETIMEDOUT)
            }
            usleep(200_000)
        }
        try client.waitForBootstrap(timeout: max(1, deadline.timeIntervalSinceNow))
        try service.waitForBootstrap(timeout: max(1, deadline.timeIntervalSinceNow))
    }

    /// Stops every tor (also done when the network is released).
    public func stop() {
        service?.stop()
        client?.stop()
        nodes.forEach { $0.stop() }
    }

    deinit {
        stop()
        // MAIMO_KEEP_TORNET=1 keeps the directory (torrcs, logs) for a look after a failure.
        if ProcessInfo.processInfo.environment["MAIMO_KEEP_TORNET"] == nil {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
