import BenchReport
import Crypto
import _CryptoExtras
import Foundation
import MaimoCipher

/// XChaCha8-Blake3-SIV against the AEADs a Swift developer would otherwise pick, swift-crypto's
/// ChaChaPoly and AES-GCM (BoringSSL's assembly, AES-NI), sealing and opening in memory on one
/// thread; and the ChaCha20 keystream against swift-crypto's ChaCha20CTR.
enum CipherSuite: Suite {
    static let name = "cipher"
    static let summary = "MaimoCipher's SIV and ChaCha20 against swift-crypto's ChaChaPoly, AES-GCM and ChaCha20CTR"

    static func run(_ bench: Bench) throws -> [Figure] {
        let sizes = bench.quick ? [1 << 10, 64 << 10, 1 << 20] : [256, 1 << 10, 16 << 10, 64 << 10, 1 << 20, 16 << 20]
        let key = CipherKey()
        let symmetric = key.withUnsafeBytes { SymmetricKey(data: Data($0)) }
        let nonce = XChaCha8Blake3SIV.Nonce()
        let polyNonce = try ChaChaPoly.Nonce(data: Array(nonce).prefix(12))
        let gcmNonce = try AES.GCM.Nonce(data: Array(nonce).prefix(12))
        var figures: [Figure] = []
        func add(_ name: String, _ size: Int, _ reference: String, ours: @escaping () throws -> Void, theirs: @escaping () throws -> Void) throws {
            let inner = Blake3Suite.inner(size)
            let (o, t) = try bench.pairs({ try bench.throughput(bytes: size, inner: inner, ours) },
                                         { try bench.throughput(bytes: size, inner: inner, theirs) })
            let figure = Figure(module: "MaimoCipher", name: name, size: size, unit: "MB/s", ours: o, reference: reference, theirs: t)
            figures.append(figure)
            report(figure)
        }
        for size in sizes {
            let message = bench.random(size)
            try add("SIV seal (against ChaChaPoly)", size, "swift-crypto ChaChaPoly.seal",
                    ours: { _ = try XChaCha8Blake3SIV.seal(message, key: key, nonce: nonce) },
                    theirs: { _ = try ChaChaPoly.seal(message, using: symmetric, nonce: polyNonce) })
            try add("SIV seal (against AES-GCM)", size, "swift-crypto AES.GCM.seal",
                    ours: { _ = try XChaCha8Blake3SIV.seal(message, key: key, nonce: nonce) },
                    theirs: { _ = try AES.GCM.seal(message, using: symmetric, nonce: gcmNonce) })
            let sealed = try XChaCha8Blake3SIV.seal(message, key: key, nonce: nonce)
            let polyBox = try ChaChaPoly.seal(message, using: symmetric, nonce: polyNonce)
            try add("SIV open (against ChaChaPoly)", size, "swift-crypto ChaChaPoly.open",
                    ours: { _ = try XChaCha8Blake3SIV.open(sealed, key: key, nonce: nonce) },
                    theirs: { _ = try ChaChaPoly.open(polyBox, using: symmetric) })
        }
        let streamSize = 1 << 20
        var buffer = [UInt8](repeating: 0, count: streamSize)
        let plain = buffer
        let ietf = try ChaCha.IETFNonce(Array(nonce).prefix(12))
        let ctrNonce = try Insecure.ChaCha20CTR.Nonce(data: Array(nonce).prefix(12))
        try add("ChaCha20 keystream", streamSize, "swift-crypto Insecure.ChaCha20CTR",
                ours: { var cipher = ChaCha(key: key, nonce: ietf); try cipher.apply(to: &buffer) },
                theirs: { _ = try Insecure.ChaCha20CTR.encrypt(plain, using: symmetric, nonce: ctrNonce) })
        return figures
    }
}
