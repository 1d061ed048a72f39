// swift-tools-version: 6.1
// The benchmark report: figures measured pair by pair against a reference, written as Markdown,
// JSON and one self-contained HTML page with SVG charts. A package of its own, without
// dependencies, so that CI tests the page in a headless browser without building the suites
// (`swift test --package-path Benchmarks/Report`).
import PackageDescription

let package = Package(
    name: "MaimoBenchReport",
    platforms: [.macOS(.v15)],
    products: [.library(name: "BenchReport", targets: ["BenchReport"])],
    targets: [
        .target(name: "BenchReport"),
        .testTarget(name: "BenchReportTests", dependencies: ["BenchReport"]),
    ]
)
