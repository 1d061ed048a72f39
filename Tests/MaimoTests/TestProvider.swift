#if canImport(Glibc)
import Glibc
#endif
import Crypto
import Foundation
import Maimo
import MaimoProvider
import MaimoCipher
import MaimoWire
import MaimoBao
import MaimoBlake3
import MaimoTestSupport
import Testing

/// A provider on loopback in a temporary directory, and helpers to talk to it.
final class TestProvider: @unchecked Sendable {
    let directory: String
    let identity = NodeIdentity(signingKey: Curve25519.Signing.PrivateKey())
    var store: ProviderStore
    var server: ProviderServer
    var port: UInt16
    let lines = LogLines()

    final class LogLines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }

        /// Whether a line containing `text` is logged within `seconds` (sessions log from their
        /// own queue, after the connection may already be closed).
        func wait(for text: String, seconds: Double = 10) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while !all.contains(where: { $0.contains(text) }) {
                guard Date() < deadline else { return false }
                usleep(20_000)
            }
            return true
        }
    }

    /// Without `options`, the defaults; under a sanitizer (Scripts/sanitize.sh) with ten times
    /// the time for handshakes and frames: an instrumented debug build with sixteen pooled
    /// sessions per peer can take longer than ten seconds for a handshake. Tests that pass
    /// options of their own scale them themselves.
    init(quota: UInt64 = .max, directory: String? = nil, options: ProviderServer.Options? = nil,
         staging: ProviderStore.StagingPolicy = .init()) throws {
        let options = options ?? Self.defaultOptions
        self.directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("maimo-provider-\(UUID().uuidString)").path
        store = try ProviderStore(directory: self.directory, defaultQuota: quota, staging: staging)
        server = ProviderServer(store: store, identity: identity, options: options, log: Self.logger(lines))
        port = try server.start()
    }

    static var defaultOptions: ProviderServer.Options {
        var options = ProviderServer.Options()
        if ProcessInfo.processInfo.environment["MAIMO_SANITIZER"] != nil {
            options.handshakeTimeout *= 10
            options.frameTimeout *= 10
            options.writeTimeout *= 10
        }
        return options
    }

    /// Keeps the provider's log lines; under a sanitizer (Scripts/sanitize.sh) also prints them,
    /// so that a session the provider ended says why in the run's output.
    static func logger(_ lines: LogLines) -> @Sendable (String) -> Void {
        let echo = ProcessInfo.processInfo.environment["MAIMO_SANITIZER"] != nil
        return { line in
            lines.append(line)
            if echo { FileHandle.standardError.write(Data("provider: \(line)\n".utf8)) }
        }
    }

    /// Stops and starts again on the same directory (a provider restart); `meanwhile` runs
    /// while it is down.
    func restart(meanwhile: () throws -> Void = {}) throws {
        server.stop()
        store.close()
        try meanwhile()
        store = try ProviderStore(directory: directory, defaultQuota: store.defaultQuota, staging: store.stagingPolicy)
        server = ProviderServer(store: store, identity: identity, options: Self.defaultOptions, log: Self.logger(lines))
        port = try server.start()
    }

    func allow(_ client: NodeIdentity, quota: UInt64? = nil) throws {
        try ProviderStore.allow(client: client.nodeID, quota: quota, inDirectory: directory)
    }

    var address: PeerAddress { PeerAddress(host: "127.0.0.1", port: port) }

    func connect(_ client: NodeIdentity) throws -> ProviderClient {
        try ProviderClient(address: address, provider: identity.nodeID, identity: client)
    }

    func shutdown() {
        server.stop()
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// A client speaking the wire protocol by hand (to send what ProviderClient never would).
final class RawSession {
    let socket: WireSocket
    var reader = WireFrameReader()
    var keys: SessionKeys?
    var sealer: WireFrameCipher?
    private var buffer = [UInt8](repeating: 0, count: 4096)

    /// Connects and completes the handshake; `receiveBuffer` shrinks the socket's (SO_RCVBUF).
    init(_ provider: TestProvider, as client: NodeIdentity, receiveBuffer: Int32? = nil) throws {
        socket = try WireSocket.connect(host: "127.0.0.1", port: provider.port, timeout: 5)
        if let size = receiveBuffer { socket.setReceiveBufferSize(Int(size)) }
        var handshake = WireHandshake.Client(identity: client.signingKey, expectedProvider: provider.identity.nodeID.bytes)
        try socket.send(handshake.hello().encoded())
        let (auth, keys) = try handshake.respond(to: frame())
        try socket.send(auth.encoded())
        let ciphers = keys.client
        reader.opener = ciphers.receive
        sealer = ciphers.send
        self.keys = keys
        #expect(try frame().kind == .welcome)
    }

    func frame() throws -> WireFrame {
        while true {
            if let frame = try reader.next() { return frame }
            let n = try socket.receive(into: &buffer)
            guard n > 0 else { throw MaimoError.io("closed") }
            reader.append(Array(buffer[..<n]))
        }
    }

    /// Sends a frame sealed with the session key (or with `key`).
    func send(_ frame: WireFrame, key: CipherKey? = nil) throws {
        if let key {
            var other = WireFrameCipher(key: key)
            try socket.send(frame.sealed(with: &other))
        } else {
            try socket.send(frame.sealed(with: &sealer!))
        }
    }
}

/// A blob's content in a temporary file, as the client uploads it (named by its BLAKE3 hash).
struct BlobFile {
    let path: String
    let descriptor: Int32
    let root: Blake3.Digest
    let length: UInt64
    let content: [UInt8]
    /// What the provider keeps: the content and its Bao tree pruned to 16 KiB groups.
    var stored: UInt64 { length + BaoGroupedOutboard.size(contentLength: length) }

    init(content: [UInt8]) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("maimo-blob-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(content))
        descriptor = open(path, O_RDONLY)
        self.root = Blake3.hash(content)
        self.length = UInt64(content.count)
        self.content = content
    }

    func remove() {
        close(descriptor)
        unlink(path)
    }
}
