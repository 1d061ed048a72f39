// swift-tools-version: 6.1
// Maimo's benchmarks, kept apart so that users of the libraries never build the harness.
//
//   swift run -c release --package-path Benchmarks maimo-bench [--quick] # every comparison, one report
//   swift package --package-path Benchmarks benchmark                  # ordo-one/benchmark suites
//
// Three diagnostics that are not comparisons with another tool stay beside it:
//   swift run -c release --package-path Benchmarks wire-compare       # frames and a 1 GiB GET over loopback
//   swift run -c release --package-path Benchmarks repository-compare # one store/restore taken apart (bytes by kind, restore without the wire)
//   swift run -c release --package-path Benchmarks provider-load      # an honest client beside hostile ones
//
// Add `-Xswiftc -target-cpu -Xswiftc skylake-avx512` (or `native`) for an AVX-512 build.
import PackageDescription

/// An ordo-one/benchmark suite in `Benchmarks/NAME` measuring the given Maimo products.
func ordoSuite(_ name: String, _ products: [String], extra: [Target.Dependency] = []) -> Target {
    .executableTarget(
        name: "\(name)Benchmarks",
        dependencies: [.product(name: "Benchmark", package: "benchmark")] + products.map { .product(name: $0, package: "Maimo") } + extra,
        path: "Benchmarks/\(name)",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "MaimoBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, because a path dependency is otherwise known by its folder name (the clone's).
        .package(name: "Maimo", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        // Only the benchmark depends on SQLite: it is the store a user would otherwise pick.
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(name: "MaimoBenchReport", path: "Report"),
    ],
    targets: [
        .target(name: "CompareSupport"),
        .executableTarget(
            name: "maimo-bench",
            dependencies: [
                "CompareSupport",
                .product(name: "BenchReport", package: "MaimoBenchReport"),
                .product(name: "MaimoBlake3", package: "Maimo"),
                .product(name: "MaimoBao", package: "Maimo"),
                .product(name: "MaimoCipher", package: "Maimo"),
                .product(name: "MaimoZstd", package: "Maimo"),
                .product(name: "MaimoErasure", package: "Maimo"),
                .product(name: "MaimoKeystore", package: "Maimo"),
                .product(name: "MaimoIndex", package: "Maimo"),
                .product(name: "MaimoRepository", package: "Maimo"),
                .product(name: "Maimo", package: "Maimo"),
                .product(name: "MaimoProvider", package: "Maimo"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        ordoSuite("Blake3", ["MaimoBlake3"], extra: [.product(name: "Crypto", package: "swift-crypto")]),
        ordoSuite("Bao", ["MaimoBao", "MaimoBlake3"]),
        ordoSuite("Cipher", ["MaimoCipher"]),
        ordoSuite("Zstd", ["MaimoZstd", "MaimoXXHash"]),
        ordoSuite("Erasure", ["MaimoErasure"]),
        ordoSuite("Stores", ["MaimoKeystore", "MaimoIndex"]),
        .executableTarget(
            name: "wire-compare",
            dependencies: [
                "CompareSupport",
                .product(name: "Maimo", package: "Maimo"),
                .product(name: "MaimoProvider", package: "Maimo"),
                .product(name: "MaimoWire", package: "Maimo"),
                .product(name: "MaimoCipher", package: "Maimo"),
                .product(name: "MaimoBlake3", package: "Maimo"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "provider-load",
            dependencies: [
                "CompareSupport",
                .product(name: "Maimo", package: "Maimo"),
                .product(name: "MaimoRepository", package: "Maimo"),
                .product(name: "MaimoProvider", package: "Maimo"),
                .product(name: "MaimoWire", package: "Maimo"),
                .product(name: "MaimoBlake3", package: "Maimo"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(
            name: "repository-compare",
            dependencies: [
                "CompareSupport",
                .product(name: "Maimo", package: "Maimo"),
                .product(name: "MaimoProvider", package: "Maimo"),
                .product(name: "MaimoRepository", package: "Maimo"),
                .product(name: "MaimoBlake3", package: "Maimo"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
