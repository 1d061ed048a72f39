// XChaCha8-Blake3-SIV next to swift-crypto's ChaChaPoly (and AES-GCM for context), same run,
// same messages, as ratios.
//
//   swift run -c release --package-path Benchmarks cipher-compare [--quick]
import Crypto
import _CryptoExtras
import CompareSupport
import Foundation
import MaimoCipher

let quick = CommandLine.arguments.contains("--quick")
let clock = benchmarkClock

let keyBytes = (0..<32).map { UInt8($0) }
let sivKey = try CipherKey(bytes: keyBytes)
let symmetric = SymmetricKey(data: keyBytes)
let nonce = XChaCha8Blake3SIV.Nonce()
let polyNonce = try ChaChaPoly.Nonce(data: Array(nonce.prefix(12)))
let gcmNonce = try AES.GCM.Nonce(data: Array(nonce.prefix(12)))

print("XChaCha8-Blake3-SIV vs swift-crypto, 1 thread, best of N")
print(String(format: "%10@  %14@  %14@  %14@  %14@  %10@  %10@", "size", "SIV seal", "SIV open", "ChaChaPoly seal", "ChaChaPoly open", "seal ratio", "open ratio"))
for size in [64, 1024, 1 << 20, 64 << 20] {
    let message = [UInt8](repeating: 0x42, count: size)
    let iterations = max(1, (quick ? 4 : 32) * 1024 * 1024 / max(size, 1024))
    let runs = size >= (64 << 20) ? (quick ? 2 : 4) : (quick ? 3 : 7)
    let box = try XChaCha8Blake3SIV.seal(message, key: sivKey, nonce: nonce)
    let polyBox = try ChaChaPoly.seal(message, using: symmetric, nonce: polyNonce)
    let sivSeal = try best(runs) { for _ in 0..<iterations { _ = try XChaCha8Blake3SIV.seal(message, key: sivKey, nonce: nonce) } } / Double(iterations)
    let sivOpen = try best(runs) { for _ in 0..<iterations { _ = try XChaCha8Blake3SIV.open(box, key: sivKey, nonce: nonce) } } / Double(iterations)
    let polySeal = try best(runs) { for _ in 0..<iterations { _ = try ChaChaPoly.seal(message, using: symmetric, nonce: polyNonce) } } / Double(iterations)
    let polyOpen = try best(runs) { for _ in 0..<iterations { _ = try ChaChaPoly.open(polyBox, using: symmetric) } } / Double(iterations)
    func rate(_ s: Double) -> String { size >= 1 << 20 ? String(format: "%8.2f GB/s", Double(size) / s / 1e9) : String(format: "%8.0f ns", s * 1e9) }
    print(String(format: "%10d  %14@  %14@  %14@  %14@  %9.2f×  %9.2f×", size, rate(sivSeal), rate(sivOpen), rate(polySeal), rate(polyOpen), polySeal / sivSeal, polyOpen / sivOpen))
    if size == 1 << 20 {
        let gcm = try best(runs) { for _ in 0..<iterations { _ = try AES.GCM.seal(message, using: symmetric, nonce: gcmNonce) } } / Double(iterations)
        print("            (AES-GCM seal for context: \(rate(gcm)))")
    }
}

// Large messages on every core (ChaChaPoly has no multi-threaded mode: its one-thread figure).
let cores = ProcessInfo.processInfo.activeProcessorCount
print("")
print("XChaCha8-Blake3-SIV with threadCount \(cores) (messages of at least \(XChaCha8Blake3SIV.parallelThreshold >> 10) KiB)")
for size in [1 << 20, 64 << 20] {
    let message = [UInt8](repeating: 0x42, count: size)
    let iterations = max(1, (quick ? 4 : 32) * 1024 * 1024 / size)
    let runs = size >= (64 << 20) ? (quick ? 2 : 4) : (quick ? 3 : 7)
    let box = try XChaCha8Blake3SIV.seal(message, key: sivKey, nonce: nonce)
    let polyBox = try ChaChaPoly.seal(message, using: symmetric, nonce: polyNonce)
    let seal = try best(runs) { for _ in 0..<iterations { _ = try XChaCha8Blake3SIV.seal(message, key: sivKey, nonce: nonce, threadCount: cores) } } / Double(iterations)
    let open = try best(runs) { for _ in 0..<iterations { _ = try XChaCha8Blake3SIV.open(box, key: sivKey, nonce: nonce, threadCount: cores) } } / Double(iterations)
    let polySeal = try best(runs) { for _ in 0..<iterations { _ = try ChaChaPoly.seal(message, using: symmetric, nonce: polyNonce) } } / Double(iterations)
    let polyOpen = try best(runs) { for _ in 0..<iterations { _ = try ChaChaPoly.open(polyBox, using: symmetric) } } / Double(iterations)
    print(String(format: "%10d  seal %6.2f GB/s (%5.2f× ChaChaPoly)  open %6.2f GB/s (%5.2f× ChaChaPoly)", size,
                 Double(size) / seal / 1e9, polySeal / seal, Double(size) / open / 1e9, polyOpen / open))
}

// The raw ChaCha20 keystream next to swift-crypto's (BoringSSL) ChaCha20-CTR.
print("")
let streamSize = 1 << 20
let streamMessage = [UInt8](repeating: 0, count: streamSize)
let ctrNonce = try Insecure.ChaCha20CTR.Nonce(data: Array(nonce.prefix(12)))
let streamRuns = quick ? 10 : 50
var buffer = streamMessage
let ours20 = try best(streamRuns) {
    var cipher = ChaCha(key: sivKey, nonce: try ChaCha.IETFNonce(Array(nonce).prefix(12)), rounds: .twenty)
    try cipher.apply(to: &buffer)
}
let ours8 = try best(streamRuns) {
    var cipher = ChaCha(key: sivKey, nonce: try ChaCha.Nonce(Array(nonce).prefix(8)), rounds: .eight)
    try cipher.apply(to: &buffer)
}
let theirs20 = try best(streamRuns) { _ = try Insecure.ChaCha20CTR.encrypt(streamMessage, using: symmetric, nonce: ctrNonce) }
print(String(format: "ChaCha20 keystream, 1 MiB: MaimoCipher %.2f GB/s, swift-crypto ChaCha20CTR %.2f GB/s (%.2f×); ChaCha8 %.2f GB/s",
             Double(streamSize) / ours20 / 1e9, Double(streamSize) / theirs20 / 1e9, theirs20 / ours20, Double(streamSize) / ours8 / 1e9))
