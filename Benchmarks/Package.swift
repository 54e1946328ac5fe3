// swift-tools-version: 6.1
// SPDX-License-Identifier: Apache-2.0
// Benchmarks for RuntimeWatchCore, as a separate package so the product's build (and CI's
// `swift build --build-tests`) never builds the benchmark harness and its dependencies.
// Run: swift package --package-path Benchmarks benchmark
import PackageDescription

let package = Package(
    name: "runtime-watch-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "runtime-watch", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "CoreBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RuntimeWatchCore", package: "runtime-watch"),
            ],
            path: "Benchmarks/CoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
