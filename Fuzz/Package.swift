// swift-tools-version: 6.1
// Coverage-guided fuzz targets (libFuzzer), one executable each; not built by the main package.
// Build and run them with Scripts/fuzz.sh, which adds -sanitize=fuzzer,address on the command line.
import PackageDescription

func fuzzTarget(_ name: String, _ products: [String], support: String = "FuzzSupport") -> Target {
    .executableTarget(name: name, dependencies: [.target(name: support)] + products.map { .product(name: $0, package: "Maimo") })
}

let package = Package(
    name: "MaimoFuzz",
    dependencies: [
        .package(name: "Maimo", path: ".."),
        // The handshake target makes its fixed keys with swift-crypto, as MaimoWire does.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
    ],
    targets: [
        .target(name: "FuzzFixtures"),
        .target(name: "FuzzSupport", dependencies: ["FuzzFixtures"]),
        fuzzTarget("fuzz-zstd", ["MaimoZstd"]),
        fuzzTarget("fuzz-zstd-dictionary", ["MaimoZstd"]),
        fuzzTarget("fuzz-zstd-compress", ["MaimoZstd"]),
        fuzzTarget("fuzz-bao", ["MaimoBao", "MaimoBlake3"]),
        fuzzTarget("fuzz-segmented", ["MaimoCipher"]),
        fuzzTarget("fuzz-wire", ["MaimoWire"]),
        .executableTarget(name: "fuzz-handshake", dependencies: [
            "FuzzSupport", .product(name: "MaimoWire", package: "Maimo"), .product(name: "MaimoCipher", package: "Maimo"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        fuzzTarget("fuzz-recovery-code", ["MaimoRepository"]),
        fuzzTarget("fuzz-repository", ["MaimoRepository"]),
        fuzzTarget("fuzz-tor", ["MaimoTor"]),
        fuzzTarget("fuzz-index", ["MaimoIndex"]),
        fuzzTarget("fuzz-keystore", ["MaimoKeystore"]),
        // Not a fuzz target: writes the seed corpora that Maimo's own encoders make.
        fuzzTarget("make-seeds", ["MaimoBao", "MaimoBlake3", "MaimoCipher", "MaimoIndex", "MaimoKeystore", "MaimoRepository", "MaimoTor", "MaimoWire"], support: "FuzzFixtures"),
    ],
    swiftLanguageModes: [.v6]
)
