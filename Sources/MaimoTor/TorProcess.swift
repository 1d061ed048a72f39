import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `tor` that Maimo launches and owns: a generated torrc in a data directory, control port and
/// SOCKS port on loopback at ports tor picks, cookie authentication, and ownership so that tor
/// exits when this process does (`__OwningControllerProcess` and TAKEOWNERSHIP).
public final class TorProcess: @unchecked Sendable {
    /// How to start a tor.
    public struct Configuration: Sendable {
        /// Where tor keeps its state (created with mode 0700 when missing).
        public var dataDirectory: String
        /// The `tor` executable (looked up on PATH when not absolute).
        public var executable = "tor"
        /// Open a SocksPort (with `ExtendedErrors`, so onion failures are typed).
        public var socksPort = true
        /// `DisableNetwork 1`: the control port works, nothing is contacted.
        public var disableNetwork = false
        /// More torrc lines (a private network's `TestingTorNetwork`, `DirAuthority`, …).
        public var extraLines: [String] = []
        /// How long to wait for the control port.
        public var startTimeout: Double = 30

        /// A configuration with tor's state in `dataDirectory` and the defaults otherwise.
        public init(dataDirectory: String) { self.dataDirectory = dataDirectory }
    }

    /// How this tor was started.
    public let configuration: Configuration
    /// The tor process's ID.
    public let pid: pid_t
    /// The authenticated control connection, which owns the process.
    public let control: TorControl
    /// The control port tor chose.
    public let controlPort: UInt16
    /// The SocksPort tor opened, if one was asked for.
    public let socksPort: UInt16?
    private var stopped = false

    /// The last `[err]` lines of a tor log (why it refused to start), as ": …", or "".
    static func complaints(in log: String) -> String {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return "" }
        let lines = text.split(separator: "\n").filter { $0.contains("[err]") }.suffix(2)
            .map { $0.split(separator: "]", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" }
        return lines.isEmpty ? "" : ": " + lines.joined(separator: "; ")
    }

    /// Starts tor and connects, authenticated, to its control port.
    public init(_ configuration: Configuration) throws(TorError) {
        self.configuration = configuration
        let directory = configuration.dataDirectory
        if !FileManager.default.fileExists(atPath: directory) {
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700]) } catch {
                throw .io(operation: "creating \(directory)", errno: errno)
            }
        }
        let portFile = directory + "/control.port"
        unlink(portFile)
        var lines = [
            "DataDirectory \(directory)",
            "ControlPort auto",
            "ControlPortWriteToFile \(portFile)",
            "CookieAuthentication 1",
            "CookieAuthFile \(directory)/control_auth_cookie",
            "SocksPort \(configuration.socksPort ? "auto ExtendedErrors" : "0")",
            "__OwningControllerProcess \(getpid())",
            "Log notice file \(directory)/tor.log",
            "AvoidDiskWrites 1",
        ]
        if configuration.disableNetwork { lines.append("DisableNetwork 1") }
        lines += configuration.extraLines
        let torrc = directory + "/torrc"
        guard FileManager.default.createFile(atPath: torrc, contents: Data((lines.joined(separator: "\n") + "\n").utf8)) else {
            throw .io(operation: "writing \(torrc)", errno: errno)
        }
        // tor's own output goes to the log file; its stdout would otherwise mix with ours.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let arguments = [configuration.executable, "-f", torrc, "--defaults-torrc", "/dev/null", "--quiet"]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child = pid_t()
        let result = posix_spawnp(&child, configuration.executable, &actions, nil, argv, environ)
        guard result == 0 else { throw .io(operation: "starting \(configuration.executable)", errno: result) }
        pid = child
        // Wait for the control port file ("PORT=127.0.0.1:NNNN").
        let deadline = Date().addingTimeInterval(configuration.startTimeout)
        var port: UInt16?
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
               let colon = text.lastIndex(of: ":"), let value = UInt16(text[text.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)) {
                port = value
                break
            }
            var status: Int32 = 0
            if waitpid(child, &status, WNOHANG) == child {
                throw .io(operation: "tor exited at start\(Self.complaints(in: directory + "/tor.log")) (see \(directory)/tor.log)", errno: ECHILD)
            }
            usleep(20_000)
        }
        guard let port else {
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
            throw .io(operation: "waiting for tor's control port (see \(directory)/tor.log)", errno: ETIMEDOUT)
        }
        controlPort = port
        do {
            control = try TorControl(port: port)
            // The cookie is in the data directory this process gave tor; a torrc of the
            // caller's that turned authentication off is the caller's choice for its own tor.
            var policy = TorControl.AuthenticationPolicy()
            policy.cookieDirectories = [directory]
            policy.allowNull = true
            try control.authenticate(policy: policy)
            try control.takeOwnership()
            if configuration.socksPort {
                let listeners = try control.getInfo(["net/listeners/socks"])["net/listeners/socks"] ?? ""
                let first = listeners.split(separator: " ").first.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) } ?? ""
                socksPort = first.split(separator: ":").last.flatMap { UInt16($0) }
            } else {
                socksPort = nil
            }
        } catch {
            kill(child, SIGKILL)
            var status: Int32 = 0
            waitpid(child, &status, 0)
            throw error
        }
    }

    /// Waits until tor reports 100% bootstrapped (GETINFO status/bootstrap-phase).
    public func waitForBootstrap(timeout: Double = 120) throws(TorError) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let phase = try control.getInfo(["status/bootstrap-phase"])["status/bootstrap-phase"] ?? ""
            if phase.contains("PROGRESS=100") { return }
            usleep(100_000)
        }
        throw .io(operation: "waiting for tor to bootstrap", errno: ETIMEDOUT)
    }

    /// Whether the tor process is still running.
    public var isRunning: Bool {
        guard !stopped else { return false }
        return kill(pid, 0) == 0
    }

    /// Stops tor: closes the owning control connection (tor exits), then SIGTERM, then SIGKILL.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        control.close()
        var status: Int32 = 0
        for (signal, wait) in [(Int32(0), 50), (SIGTERM, 100), (SIGKILL, 100)] {
            if signal != 0 { kill(pid, signal) }
            for _ in 0..<wait {
                if waitpid(pid, &status, WNOHANG) == pid { return }
                usleep(20_000)
            }
        }
    }

    deinit { stop() }
}
