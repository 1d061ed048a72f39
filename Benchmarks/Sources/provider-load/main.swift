// An honest client against a provider under attack, same run: store, verify and retrieve of a
// generated tree, first alone, then while 200 hostile connections work on the same provider.
//
//   swift run -c release --package-path Benchmarks provider-load [--size MiB] [--hostile N] [--rounds R]
//
// The provider runs in a child process (this executable with `--serve`), so its memory is its
// own (VmHWM and VmRSS from /proc). The hostile connections come in four kinds, a quarter each,
// each reconnecting as soon as it is dropped: strangers that connect and say nothing, strangers
// that trickle a handshake a byte a second (slow-loris), strangers that send garbage, and an
// allowed client whose sessions ask for a large blob and never read the reply (stalled readers).
// Everything stays on loopback and stops by itself at the end of the run.
//
// The attackers run in a process of their own (this executable with `--attack`) at the lowest
// CPU priority (SCHED_IDLE): on a machine of two cores the honest client, the provider and 200
// attacking threads otherwise share the same cores, and what the honest client lost was the
// CPU the attackers' own loops took, not what the provider spent on them. Attackers are other
// machines; here they get only the CPU the honest pair leaves idle, and the counts of hostile
// connections made during the attacked rounds are printed, so the attack's intensity shows.
// `--attackers-priority normal` runs them as before, at the same priority as everything else.
#if canImport(Glibc)
import Glibc
#endif
import CompareSupport
import Crypto
import Foundation
import Maimo
import MaimoProvider
import MaimoBlake3
import MaimoRepository
import MaimoWire

let arguments = CommandLine.arguments

// MARK: The provider, in a child process

if let at = arguments.firstIndex(of: "--serve") {
    let directory = arguments[at + 1]
    // As `maimo provider serve` does.
    ProviderServer.tuneAllocator()
    let identity = try NodeIdentity(signingKey: .init(rawRepresentation: Data(contentsOf: URL(fileURLWithPath: directory + "/identity"))))
    let store = try ProviderStore(directory: directory + "/store")
    let server = ProviderServer(store: store, identity: identity)
    let port = try server.start(host: "127.0.0.1", port: 0)
    FileHandle.standardOutput.write(Data("\(port)\n".utf8))
    // Until the parent closes our standard input.
    while readLine() != nil {}
    server.stop()
    store.close()
    exit(0)
}

// MARK: The attackers, in a child process

if let at = arguments.firstIndex(of: "--attack") {
    let directory = arguments[at + 1]
    let port = UInt16(arguments[at + 2])!, count = Int(arguments[at + 3])!
    let attackKinds = arguments[at + 4].split(separator: ",").map(String.init)
    if arguments.contains("--idle-priority") {
        var parameters = sched_param(sched_priority: 0)
        _ = sched_setscheduler(0, 5 /* SCHED_IDLE */, &parameters)
    }
    func key(_ name: String) throws -> Curve25519.Signing.PrivateKey {
        try .init(rawRepresentation: Data(contentsOf: URL(fileURLWithPath: directory + "/" + name)))
    }
    let providerNodeID = Array(try key("provider/identity").publicKey.rawRepresentation)
    let blob = try Blake3.Digest(bytes: Array(Data(contentsOf: URL(fileURLWithPath: directory + "/big-root"))))
    let attack = Attack(providerNodeID: providerNodeID, kinds: attackKinds)
    attack.start(count: count, port: port, stalledClient: NodeIdentity(signingKey: try key("stalled-identity")), bigBlob: blob)
    FileHandle.standardOutput.write(Data("started\n".utf8))
    // "count": print the counters so far; end of input: stop.
    while let line = readLine() {
        if line == "count" {
            let counts = attack.counters.all
            FileHandle.standardOutput.write(Data((counts.keys.sorted().map { "\($0)=\(counts[$0]!)" }.joined(separator: ";") + "\n").utf8))
        }
    }
    attack.stop()
    exit(0)
}

let totalMiB = option("--size", 256)
let hostileCount = option("--hostile", 200)
let rounds = option("--rounds", 3)
/// Which kinds of hostile connection (`--kinds idle,trickle,garbage,stall`; all by default).
let kinds = arguments.firstIndex(of: "--kinds").map { arguments[$0 + 1].split(separator: ",").map(String.init) }
    ?? ["idle", "trickle", "garbage", "stall"]
/// `idle` (SCHED_IDLE, the default) or `normal`.
let attackersPriority = arguments.firstIndex(of: "--attackers-priority").map { arguments[$0 + 1] } ?? "idle"
let scratch = try ScratchDirectory(name: "maimo-provider-load")
defer { scratch.remove() }
let root = scratch.path

let providerIdentity = NodeIdentity()
try FileManager.default.createDirectory(atPath: root + "/provider/store", withIntermediateDirectories: true)
try Data(providerIdentity.signingKey.rawRepresentation).write(to: URL(fileURLWithPath: root + "/provider/identity"))

final class ProviderProcess {
    let process = Process()
    let input = Pipe(), output = Pipe()
    let port: UInt16

    init(directory: String) throws {
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["--serve", directory]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = [UInt8]()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            guard let first = byte.first else { throw MaimoError.io("the provider process ended") }
            if first == UInt8(ascii: "\n") { break }
            line.append(first)
        }
        guard let port = UInt16(String(decoding: line, as: UTF8.self)) else { throw MaimoError.io("the provider said \(line)") }
        self.port = port
    }

    /// VmHWM and VmRSS in MB, and how much of the resident set is anonymous memory (the rest
    /// is the store's files in the page cache, mapped).
    func memory() -> (peak: Double, resident: Double, anonymous: Double) {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Double {
            let line = status.split(separator: "\n").first { $0.hasPrefix(name) } ?? ""
            return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 / 1000 } ?? 0
        }
        return (field("VmHWM:"), field("VmRSS:"), field("RssAnon:"))
    }

    /// CPU seconds (user + system) the provider process has used so far.
    func cpuSeconds() -> Double { processCPUSeconds(process.processIdentifier) }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// CPU seconds (user + system) of process `pid` (0: this one), from /proc.
func processCPUSeconds(_ pid: Int32) -> Double {
    let text = (try? String(contentsOfFile: pid == 0 ? "/proc/self/stat" : "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    // Fields after the command name (which is in parentheses and may hold spaces): utime is
    // the 14th field of the line, stime the 15th.
    let fields = text.split(separator: ")").last.map { $0.split(separator: " ") } ?? []
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

let provider = try ProviderProcess(directory: root + "/provider")
defer { provider.stop() }
let providerAddress = "127.0.0.1:\(provider.port)"

// MARK: The honest client

let home = try MaimoHome.create(at: root + "/home")
try ProviderStore.allow(client: home.identity.nodeID, quota: nil, inDirectory: root + "/provider/store")
let tree = root + "/tree"
nonisolated(unsafe) var hashes: [String: Blake3.Digest] = [:]
var generator = Generator(state: 20_261_205)
for i in 0..<64 {
    let folder = "\(tree)/d\(i % 8)"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    var data = [UInt8]()
    while data.count < (totalMiB << 20) / 64 {
        data += piece(Int.random(in: 0..<4, using: &generator), 64 << 10, &generator)
    }
    let path = "\(folder)/f\(i)"
    try Data(data).write(to: URL(fileURLWithPath: path))
    hashes[path] = Blake3.hash(data)
}
let plaintext = Double(totalMiB << 20)

struct Phases {
    var store = 0.0, verify = 0.0, retrieve = 0.0
}

/// One honest round in a home of its own (so every round stores everything anew).
func honestRound(_ index: Int) throws -> Phases {
    let home = try MaimoHome.create(at: root + "/home-\(index)-\(UUID().uuidString.prefix(8))")
    defer { home.close() }
    try ProviderStore.allow(client: home.identity.nodeID, quota: nil, inDirectory: root + "/provider/store")
    let client = RepositoryClient(home: home)
    defer { client.close() }
    try client.addPeer(name: "p", nodeID: providerIdentity.nodeID, address: providerAddress)
    var phases = Phases()
    phases.store = try timed { _ = try client.store([tree], options: RepositoryClient.StoreOptions()) }
    let samples = Repository.samples(confidence: 0.999999, loss: 0.01)!
    phases.verify = try timed {
        let proofs = try client.verify(samples: samples, loss: 0.01).proofs
        guard proofs.allSatisfy({ $0.outcome == .ok }) else { throw MaimoError.integrity("a proof failed") }
    }
    let target = root + "/restored-\(index)"
    phases.retrieve = try timed {
        let report = try client.retrieve(tree, to: target)
        if let failure = report.failures.first { throw failure.error }
    }
    for (path, digest) in hashes {
        let restored = target + path.dropFirst(tree.count)
        guard let bytes = FileManager.default.contents(atPath: restored), Blake3.hash(Array(bytes)) == digest else {
            throw MaimoError.integrity("\(restored) differs")
        }
    }
    try? FileManager.default.removeItem(atPath: target)
    return phases
}

// MARK: The hostile connections

final class Counters: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String: Int] = [:]
    func add(_ name: String, _ n: Int = 1) { lock.lock(); values[name, default: 0] += n; lock.unlock() }
    var all: [String: Int] { lock.lock(); defer { lock.unlock() }; return values }
}

final class Attack: @unchecked Sendable {
    let providerNodeID: [UInt8]
    let kinds: [String]
    init(providerNodeID: [UInt8], kinds: [String]) {
        self.providerNodeID = providerNodeID
        self.kinds = kinds
    }

    let stopLock = NSLock()
    var stopped = false
    let counters = Counters()
    var threads: [Thread] = []
    let done = DispatchGroup()

    var isStopped: Bool { stopLock.lock(); defer { stopLock.unlock() }; return stopped }

    func start(count: Int, port: UInt16, stalledClient: NodeIdentity, bigBlob: Blake3.Digest) {
        for i in 0..<count {
            done.enter()
            let thread = Thread { [self] in
                defer { done.leave() }
                while !isStopped {
                    switch kinds[i % kinds.count] {
                    case "idle": idle(port)
                    case "trickle": trickle(port)
                    case "garbage": garbage(port, seed: UInt64(i))
                    default: stall(port, client: stalledClient, blob: bigBlob)
                    }
                }
            }
            thread.stackSize = 256 << 10
            thread.start()
        }
    }

    func stop() {
        stopLock.lock()
        stopped = true
        stopLock.unlock()
        done.wait()
    }

    /// Waits until the provider drops `socket` (or the attack stops), reading whatever comes.
    func hold(_ socket: WireSocket, every: Double = 0.5, _ tick: () -> Bool = { true }) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !isStopped {
            if socket.isReadable(within: every) {
                guard let n = try? socket.receive(into: &buffer), n > 0 else { return }
            } else if !tick() {
                return
            }
        }
    }

    func idle(_ port: UInt16) {
        guard let socket = try? WireSocket.connect(host: "127.0.0.1", port: port, timeout: 5) else { usleep(100_000); return }
        counters.add("idle connections")
        hold(socket)
        socket.close()
    }

    func trickle(_ port: UInt16) {
        guard let socket = try? WireSocket.connect(host: "127.0.0.1", port: port, timeout: 5) else { usleep(100_000); return }
        counters.add("slow-loris connections")
        var handshake = WireHandshake.Client(identity: NodeIdentity().signingKey, expectedProvider: providerNodeID)
        let hello = handshake.hello().encoded()
        var sent = 0
        hold(socket, every: 1) {
            guard sent < hello.count - 1, (try? socket.send([hello[sent]])) != nil else { return sent < hello.count - 1 }
            sent += 1
            return true
        }
        socket.close()
    }

    func garbage(_ port: UInt16, seed: UInt64) {
        guard let socket = try? WireSocket.connect(host: "127.0.0.1", port: port, timeout: 5) else { usleep(100_000); return }
        counters.add("garbage connections")
        var g = Generator(state: seed &+ UInt64(counters.all["garbage connections"] ?? 0))
        try? socket.send((0..<4096).map { _ in UInt8.random(in: 0...255, using: &g) })
        hold(socket, every: 0.05)
        socket.close()
        usleep(20_000)
    }

    func stall(_ port: UInt16, client: NodeIdentity, blob: Blake3.Digest) {
        // An authenticated session whose GET is never read: the provider's send buffer fills,
        // then it waits (its write timeout, 60 s) before it drops the session.
        guard let socket = try? WireSocket.connect(host: "127.0.0.1", port: port, timeout: 5) else { usleep(200_000); return }
        defer { socket.close() }
        socket.setReceiveBufferSize(4096)
        var handshake = WireHandshake.Client(identity: client.signingKey, expectedProvider: providerNodeID)
        var reader = WireFrameReader()
        var buffer = [UInt8](repeating: 0, count: 4096)
        func frame() -> WireFrame? {
            while true {
                if let next = try? reader.next() { return next }
                guard let n = try? socket.receive(into: &buffer), n > 0 else { return nil }
                reader.append(Array(buffer[..<n]))
            }
        }
        guard (try? socket.send(handshake.hello().encoded())) != nil, let hello = frame(),
              let (auth, keys) = try? handshake.respond(to: hello), (try? socket.send(auth.encoded())) != nil else { return }
        var (sealer, opener) = keys.client
        reader.opener = opener
        guard let welcome = frame(), welcome.kind == .welcome else { usleep(200_000); return }
        counters.add("stalled readers")
        guard (try? socket.send(WireRequest.get(root: blob, offset: 0, length: .max).frame(request: 1).sealed(with: &sealer))) != nil else { return }
        // Never read; wait for the provider to give up (its close may sit behind the unread
        // bytes, so after its 60 s write timeout and a margin, start again in any case).
        let started = Date()
        while !isStopped && Date().timeIntervalSince(started) < 65 {
            if socket.peerHasClosed(within: 0.5) { return }
        }
    }
}

// A blob for the stalled readers to ask for, stored by their own (allowed) identity.
let stalledClient = NodeIdentity()
try Data(stalledClient.signingKey.rawRepresentation).write(to: URL(fileURLWithPath: root + "/stalled-identity"))
try ProviderStore.allow(client: stalledClient.nodeID, quota: nil, inDirectory: root + "/provider/store")
let bigBlob = root + "/big"
let bigBytes = (0..<(32 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
try Data(bigBytes).write(to: URL(fileURLWithPath: bigBlob))
let bigRoot = Blake3.hash(bigBytes)
try Data(bigRoot.bytes).write(to: URL(fileURLWithPath: root + "/big-root"))
do {
    let uploader = try ProviderClient(address: PeerAddress(host: "127.0.0.1", port: provider.port),
                                      provider: providerIdentity.nodeID, identity: stalledClient)
    try uploader.put(root: bigRoot, content: bigBytes)
    uploader.close()
}

print("An honest client against a provider under attack: \(totalMiB) MiB tree (64 files), provider in its own process on loopback")
print("MB = 10^6 bytes of plaintext per second; min/median/max over \(rounds) rounds; ratio = under attack ÷ alone")
print("")

func summary(_ values: [Double]) -> (min: Double, median: Double, max: Double) {
    let sorted = values.sorted()
    return (sorted.first ?? 0, sorted[sorted.count / 2], sorted.last ?? 0)
}

/// Wall-clock seconds, and the CPU seconds the provider and this process (the honest client,
/// and the attackers when they run) used meanwhile.
@MainActor func accounted(_ body: () throws -> Void) rethrows -> (wall: Double, provider: Double, here: Double) {
    let providerBefore = provider.cpuSeconds(), hereBefore = processCPUSeconds(0)
    let wall = try timed(body)
    return (wall, provider.cpuSeconds() - providerBefore, processCPUSeconds(0) - hereBefore)
}

var calm: [Phases] = []
let calmCPU = try accounted { for i in 0..<rounds { calm.append(try honestRound(i)) } }
let calmMemory = provider.memory()

/// The attackers' process: started, asked for its counters, stopped through its standard input.
final class AttackProcess {
    let process = Process()
    let input = Pipe(), output = Pipe()

    init(port: UInt16, count: Int, kinds: [String], idle: Bool) throws {
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["--attack", root, "\(port)", "\(count)", kinds.joined(separator: ",")]
            + (idle ? ["--idle-priority"] : [])
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        _ = line()
    }

    private func line() -> String {
        var bytes = [UInt8]()
        while let byte = output.fileHandleForReading.readData(ofLength: 1).first, byte != UInt8(ascii: "\n") { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Hostile connections made so far, by kind.
    func counts() -> [String: Int] {
        input.fileHandleForWriting.write(Data("count\n".utf8))
        var result: [String: Int] = [:]
        for pair in line().split(separator: ";") {
            let parts = pair.split(separator: "=")
            if parts.count == 2 { result[String(parts[0])] = Int(parts[1]) }
        }
        return result
    }

    /// CPU seconds the attackers have used so far.
    func cpuSeconds() -> Double { processCPUSeconds(process.processIdentifier) }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

let attack = try AttackProcess(port: provider.port, count: hostileCount, kinds: kinds, idle: attackersPriority == "idle")
sleep(3)
let countsBefore = attack.counts(), attackCPUBefore = attack.cpuSeconds()
var attacked: [Phases] = []
let attackedCPU = try accounted { for i in 0..<rounds { attacked.append(try honestRound(100 + i)) } }
let attackedMemory = provider.memory()
let countsAfter = attack.counts(), attackCPU = attack.cpuSeconds() - attackCPUBefore
attack.stop()

for (name, path) in [("store", \Phases.store), ("verify", \Phases.verify), ("retrieve", \Phases.retrieve)] as [(String, KeyPath<Phases, Double>)] {
    let alone = summary(calm.map { plaintext / $0[keyPath: path] / 1e6 })
    let under = summary(attacked.map { plaintext / $0[keyPath: path] / 1e6 })
    print(String(format: "%-9@ alone %7.1f / %7.1f / %7.1f MB/s   under attack %7.1f / %7.1f / %7.1f MB/s   ratio %.2f× (medians)",
                 name as NSString, alone.min, alone.median, alone.max, under.min, under.median, under.max, under.median / alone.median))
}
print(String(format: "provider memory: %.0f MB peak after the calm rounds, %.0f MB peak after the attack (%.0f MB resident at its end, %.0f MB of it anonymous)",
             calmMemory.peak, attackedMemory.peak, attackedMemory.resident, attackedMemory.anonymous))
for (name, cpu) in [("alone", calmCPU), ("under attack", attackedCPU)] {
    print(String(format: "CPU %@: %.1f s of wall time, provider %.1f s (%.0f%% of one core), client%@ %.1f s (%.0f%%) of the 2 cores' %.1f s",
                 name as NSString, cpu.wall, cpu.provider, cpu.provider / cpu.wall * 100,
                 name == "alone" ? "" : "", cpu.here, cpu.here / cpu.wall * 100, 2 * cpu.wall))
}
print(String(format: "attackers (own process, %@ priority): %.1f s of CPU (%.0f%% of one core) during the attacked rounds",
             attackersPriority as NSString, attackCPU, attackCPU / attackedCPU.wall * 100))
let made = countsAfter.keys.sorted().map { "\(countsAfter[$0]! - (countsBefore[$0] ?? 0)) \($0)" }
print("hostile: \(hostileCount) at once (\(kinds.joined(separator: ", "))); during the attacked rounds (\(String(format: "%.0f", attackedCPU.wall)) s): " + made.joined(separator: ", "))
