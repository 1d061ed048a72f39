// swift-tools-version: 6.1
// Coverage-guided fuzz targets (libFuzzer), one executable each; not built by the main package.
// Build and run them with Scripts/fuzz.sh, which adds -sanitize=fuzzer,address on the command line.
import PackageDescription

let package = Package(
    name: "MaimoFuzz",
    dependencies: [.package(name: "Maimo", path: "..")],
    targets: [
        .executableTarget(name: "fuzz-zstd", dependencies: [.product(name: "MaimoZstd", package: "Maimo")]),
    ],
    swiftLanguageModes: [.v6]
)
