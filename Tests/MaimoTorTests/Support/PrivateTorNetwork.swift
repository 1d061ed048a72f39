import Foundation
import MaimoTor
#if canImport(Glibc)
import Glibc
#endif

/// A private Tor network on 127.0.0.1 in a temporary directory (after chutney's "basic"
/// network): one directory authority, three relays, a service tor and a client tor with a
/// SocksPort. `TestingTorNetwork 1` with fast voting; every tor is owned by this process.
final class PrivateTorNetwork: @unchecked Sendable {
    let directory: String
    private(set) var nodes: [TorProcess] = []
    private(set) var service: TorProcess!
    private(set) var client: TorProcess!
    let startedAt = Date()

    /// Free loopback ports (bound once, then released for tor to take).
    static func freePorts(_ count: Int) -> [UInt16] {
        var sockets = [Int32](), ports = [UInt16]()
        for _ in 0..<count {
            let (fd, port) = Loopback.bind(listen: false)
            sockets.append(fd)
            ports.append(port)
        }
        sockets.forEach { close($0) }
        return ports
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

    init() throws {
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
            var relay = TorProcess.Configuration(dataDirectory: directory + "/relay\(i)")
            relay.socksPort = false
            relay.extraLines = Self.common + [
                authorityLine, "Nickname relay\(i)", "Address 127.0.0.1", "ORPort \(ports[2 + 2 * i])",
                "DirPort \(ports[3 + 2 * i])", "ExitPolicy accept 127.0.0.1:*", "ExitRelay 1",
            ]
            nodes.append(try TorProcess(relay))
        }
        var serviceConfiguration = TorProcess.Configuration(dataDirectory: directory + "/service")
        serviceConfiguration.extraLines = Self.common + [authorityLine]
        service = try TorProcess(serviceConfiguration)
        var clientConfiguration = TorProcess.Configuration(dataDirectory: directory + "/client")
        clientConfiguration.extraLines = Self.common + [authorityLine]
        client = try TorProcess(clientConfiguration)
    }

    /// Waits until the client's consensus lists the authority and all three relays, and the
    /// client and the service are bootstrapped.
    func waitUntilReady(timeout: Double = 120) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let consensus = (try? client.control.getInfo(["ns/all"])["ns/all"]) ?? ""
            let routers = consensus.split(separator: "\n").filter { $0.hasPrefix("r ") }.count
            if routers >= nodes.count { break }
            guard Date() < deadline else { throw TorError.io(operation: "waiting for a consensus with \(nodes.count) routers (has \(routers))", errno: ETIMEDOUT) }
            usleep(200_000)
        }
        try client.waitForBootstrap(timeout: max(1, deadline.timeIntervalSinceNow))
        try service.waitForBootstrap(timeout: max(1, deadline.timeIntervalSinceNow))
    }

    func stop() {
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
