// swift-tools-version: 6.1
// A package that depends on one Maimo library, as another project would: MaimoBlake3 alone.
// Scripts/consumer.sh builds it and checks that nothing else was compiled (no SwiftNIO, no
// swift-crypto, no other Maimo module).
import PackageDescription

let package = Package(
    name: "blake3-consumer",
    dependencies: [
        .package(name: "Maimo", path: "../.."),
    ],
    targets: [
        .executableTarget(name: "blake3-consumer", dependencies: [.product(name: "MaimoBlake3", package: "Maimo")]),
    ],
    swiftLanguageModes: [.v6]
)
