// swift-tools-version: 6.1
// Maimo: verifiable remote storage over Tor, built from pure-Swift libraries.
// Each library stands on its own; `maimo` is the command-line front end.
// License: the Unlicense (public domain), see LICENSE.
// ISA flags (AVX2, AVX-512) are passed on the command line, never in this manifest:
//   swift build -c release -Xswiftc -target-cpu -Xswiftc skylake-avx512
import PackageDescription

let package = Package(
    name: "Maimo",
    products: [
        .library(name: "MaimoBlake3", targets: ["MaimoBlake3"]),
        .library(name: "MaimoBao", targets: ["MaimoBao"]),
        .library(name: "MaimoCipher", targets: ["MaimoCipher"]),
        .library(name: "MaimoXXHash", targets: ["MaimoXXHash"]),
        .library(name: "MaimoZstd", targets: ["MaimoZstd"]),
        .library(name: "MaimoKeystore", targets: ["MaimoKeystore"]),
        .library(name: "MaimoIndex", targets: ["MaimoIndex"]),
        .library(name: "MaimoErasure", targets: ["MaimoErasure"]),
        .library(name: "MaimoTor", targets: ["MaimoTor"]),
        .library(name: "MaimoRepository", targets: ["MaimoRepository"]),
        .library(name: "MaimoWire", targets: ["MaimoWire"]),
        .library(name: "Maimo", targets: ["Maimo"]),
        .library(name: "MaimoProvider", targets: ["MaimoProvider"]),
        .executable(name: "maimo", targets: ["maimo"]),
        .executable(name: "maimo-hash", targets: ["maimo-hash"]),
        .executable(name: "maimo-zstd", targets: ["maimo-zstd"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Ed25519, SHA-3, SHA-512 and HMAC for Tor's onion identities and control-port auth.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        // The provider's server: non-blocking sockets on an event loop, sessions on serial queues.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        // `swift package generate-documentation` (Scripts/docs.sh); a plugin, linked into nothing.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .target(name: "MaimoBlake3"),
        .target(name: "MaimoBao", dependencies: ["MaimoBlake3"]),
        .target(name: "MaimoCipher", dependencies: ["MaimoBlake3"]),
        // xxHash64: the keystore's record checksum and zstd's content checksum.
        .target(name: "MaimoXXHash"),
        .target(name: "MaimoZstd", dependencies: ["MaimoXXHash"]),
        .target(name: "MaimoKeystore", dependencies: ["MaimoXXHash"]),
        .target(name: "MaimoIndex"),
        // Reed–Solomon erasure coding over GF(2^8) (Docs/Erasure.md), usable alone.
        .target(name: "MaimoErasure"),
        .target(name: "MaimoTor", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // Repository v2 (Docs/Repository.md): keys from one secret, the chunker, items, packs,
        // trees, snapshots and indexes, and the store and restore logic over any blob store.
        .target(name: "MaimoRepository", dependencies: ["MaimoBlake3", "MaimoBao", "MaimoCipher", "MaimoZstd", "MaimoErasure"]),
        // The wire protocol (Docs/Engine.md): frames, their encryption, the handshake, and the one
        // typed codec of requests and replies that client and provider both use. No sockets.
        .target(name: "MaimoWire", dependencies: ["MaimoBlake3", "MaimoCipher", .product(name: "Crypto", package: "swift-crypto")]),
        // The engine's client (Docs/Engine.md): sessions to providers over blocking sockets or
        // Tor, the repository client, the catalogue cache. What an app embeds: no SwiftNIO, no
        // provider server.
        .target(name: "Maimo", dependencies: [
            "MaimoBlake3", "MaimoBao", "MaimoCipher", "MaimoZstd", "MaimoIndex", "MaimoTor", "MaimoRepository", "MaimoWire",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The provider: the blob store on MaimoKeystore and the SwiftNIO server.
        .target(name: "MaimoProvider", dependencies: [
            "Maimo", "MaimoBlake3", "MaimoBao", "MaimoKeystore", "MaimoTor", "MaimoWire",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        // `maimo hash` and `maimo zstd`, shared by `maimo` and by `maimo-hash` and `maimo-zstd`:
        // those two link nothing of the engine (no Foundation, SwiftNIO or swift-crypto) and start
        // in a few milliseconds, as b3sum and zstd do, where `maimo` takes about 11.
        .target(
            name: "MaimoLeanCommands",
            dependencies: [
                "MaimoBlake3", "MaimoBao", "MaimoZstd",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "maimo-hash",
            dependencies: ["MaimoLeanCommands", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "maimo-zstd",
            dependencies: ["MaimoLeanCommands", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "maimo",
            dependencies: [
                "MaimoLeanCommands",
                "MaimoBlake3",
                "MaimoBao",
                "MaimoCipher",
                "MaimoKeystore",
                "MaimoIndex",
                "MaimoZstd",
                "MaimoTor",
                "MaimoRepository",
                "Maimo",
                "MaimoProvider",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Vector loading and seeded random inputs, shared by the test targets only.
        .target(name: "MaimoTestSupport", path: "Tests/MaimoTestSupport"),
        .testTarget(name: "MaimoBlake3Tests", dependencies: ["MaimoBlake3", "MaimoTestSupport"]),
        .testTarget(name: "MaimoBaoTests", dependencies: ["MaimoBao", "MaimoTestSupport"]),
        // A child process for the keystore and index crash tests: acknowledged writes until it is killed.
        .executableTarget(name: "maimo-kv-crash-child", dependencies: ["MaimoKeystore", "MaimoIndex", "MaimoTestSupport"], path: "Tests/KeystoreCrashChild"),
        .testTarget(name: "MaimoKeystoreTests", dependencies: ["MaimoKeystore", "MaimoXXHash", "MaimoTestSupport", "maimo-kv-crash-child"]),
        .testTarget(name: "MaimoIndexTests", dependencies: ["MaimoIndex", "MaimoTestSupport", "maimo-kv-crash-child"]),
        .testTarget(name: "MaimoZstdTests", dependencies: ["MaimoZstd", "MaimoXXHash", "MaimoBlake3", "MaimoTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MaimoTests", dependencies: [
            "Maimo", "MaimoProvider", "MaimoBlake3", "MaimoBao", "MaimoCipher", "MaimoTor", "MaimoRepository", "MaimoWire", "MaimoTestSupport",
            "MaimoZstd", "MaimoXXHash", "MaimoErasure", "MaimoIndex", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(name: "MaimoRepositoryTests", dependencies: ["MaimoRepository", "MaimoBlake3", "MaimoBao", "MaimoCipher", "MaimoTestSupport"]),
        .testTarget(name: "MaimoTorTests", dependencies: ["MaimoTor", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "MaimoErasureTests", dependencies: ["MaimoErasure", "MaimoTestSupport"]),
        .testTarget(name: "MaimoCipherTests", dependencies: ["MaimoCipher", "MaimoBlake3", "MaimoTestSupport"]),
        // Runs the built `maimo` binary and compares it with the reference tools (b3sum, …).
        .testTarget(name: "MaimoCLITests", dependencies: ["maimo", "maimo-hash", "maimo-zstd", "MaimoLeanCommands", "MaimoTor", "MaimoTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
