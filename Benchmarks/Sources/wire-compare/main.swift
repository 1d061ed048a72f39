// The wire's own cost: a whole blob retrieved over loopback TCP from a provider in this process,
// and the per-frame protection alone (1 MiB frames sealed and opened in memory) next to
// swift-crypto's ChaChaPoly on the same payloads, same run.
//
//   swift run -c release --package-path Benchmarks wire-compare [--size MiB] [--runs N]
//
// The retrieve is `ProviderClient.get` of one blob into a sink that only counts: what it measures
// is the provider's reads, framing, frame protection and the socket, not the repository's
// decoding. GB = 10^9 bytes per second.
import CompareSupport
import Crypto
import Foundation
import Maimo
import MaimoProvider
import MaimoBlake3
import MaimoCipher
import MaimoWire

let arguments = CommandLine.arguments
let sizeMiB = option("--size", 1024)
let runs = option("--runs", 5)
let scratch = try ScratchDirectory(name: "maimo-wire-bench")
defer { scratch.remove() }

func summary(_ times: [Double], bytes: Int) -> String {
    let sorted = times.sorted()
    let rate = { (t: Double) in String(format: "%.2f", Double(bytes) / t / 1e9) }
    return "\(rate(sorted.last!)) / \(rate(sorted[sorted.count / 2])) / \(rate(sorted.first!)) GB/s (min / median / max)"
}

// MARK: Frames in memory

let framePayload = [UInt8](repeating: 0x5A, count: WireFrame.maxPayload - 8)
let frameCount = 256
let frameKey = CipherKey()
var sealTimes: [Double] = [], openTimes: [Double] = []
for _ in 0..<runs {
    var sender = WireFrameCipher(key: frameKey), receiver = WireFrameCipher(key: frameKey)
    var sealed: [[UInt8]] = []
    sealed.reserveCapacity(frameCount)
    sealTimes.append(timed {
        for _ in 0..<frameCount { sealed.append(WireFrame(.data, payload: framePayload).sealed(with: &sender)) }
    })
    openTimes.append(try timed {
        var reader = WireFrameReader()
        reader.opener = receiver
        for bytes in sealed {
            reader.append(bytes)
            guard try reader.next() != nil else { fatalError("a sealed frame did not open") }
        }
        receiver = reader.opener!
    })
}
let chachaKey = SymmetricKey(size: .bits256)
var polySeal: [Double] = [], polyOpen: [Double] = []
for _ in 0..<runs {
    var boxes: [ChaChaPoly.SealedBox] = []
    polySeal.append(try timed {
        for i in 0..<frameCount {
            var nonce = [UInt8](repeating: 0, count: 12)
            nonce[4] = UInt8(i & 0xFF)
            boxes.append(try ChaChaPoly.seal(framePayload, using: chachaKey, nonce: ChaChaPoly.Nonce(data: nonce)))
        }
    })
    polyOpen.append(try timed {
        for box in boxes { _ = try ChaChaPoly.open(box, using: chachaKey) }
    })
}
let frameBytes = frameCount * framePayload.count
print("Frames of 1 MiB in memory, one core (\(frameCount) a run, \(runs) runs):")
print("  Maimo wire seal:        " + summary(sealTimes, bytes: frameBytes))
print("  Maimo wire open:        " + summary(openTimes, bytes: frameBytes))
print("  swift-crypto ChaChaPoly seal: " + summary(polySeal, bytes: frameBytes))
print("  swift-crypto ChaChaPoly open: " + summary(polyOpen, bytes: frameBytes))

// MARK: A blob over loopback

let identity = NodeIdentity(), client = NodeIdentity()
let store = try ProviderStore(directory: scratch.path + "/provider")
try ProviderStore.allow(client: client.nodeID, quota: nil, inDirectory: store.directory)
let server = ProviderServer(store: store, identity: identity)
let port = try server.start(host: "127.0.0.1", port: 0)
var content = [UInt8](repeating: 0, count: sizeMiB << 20)
var g = Generator(state: 20_261_202)
for i in stride(from: 0, to: content.count, by: 8) {
    withUnsafeBytes(of: g.next()) { for (k, b) in $0.enumerated() where i + k < content.count { content[i + k] = b } }
}
let root = Blake3.hash(content)
let session = try ProviderClient(address: try PeerAddress("127.0.0.1:\(port)"), provider: identity.nodeID, identity: client)
let upload = try timed { try session.put(root: root, content: content) }
print("")
print("A \(sizeMiB) MiB blob over loopback TCP (provider in this process; upload with the provider's verification: \(String(format: "%.2f", Double(content.count) / upload / 1e9)) GB/s):")
content = []
// GET streams the blob's Bao encoding (content and tree), a little more than the content.
var getTimes: [Double] = [], encodingLength = 0
for _ in 0..<runs {
    var received = 0
    getTimes.append(try timed { try session.get(root: root) { received += $0.count } })
    guard received > sizeMiB << 20 else { fatalError("received \(received) bytes") }
    encodingLength = received
}
print("  retrieve (GET) of its \(encodingLength) encoded bytes: " + summary(getTimes, bytes: encodingLength))
session.close()
server.stop()
store.close()
