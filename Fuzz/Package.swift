// swift-tools-version: 6.1
// SPDX-License-Identifier: Apache-2.0
// Coverage-guided fuzz targets (libFuzzer) for every decoder of untrusted input, as a separate package
// so the product's build never carries the fuzzer. One binary; RW_FUZZ_TARGET picks the decoder.
// Build and run: scripts/fuzz.sh (README "Fuzzing").
import PackageDescription

let package = Package(
    name: "runtime-watch-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "runtime-watch", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "rw-fuzz",
            dependencies: [
                .product(name: "RuntimeWatchCore", package: "runtime-watch"),
                .product(name: "RuntimeWatchCapture", package: "runtime-watch"),
                .product(name: "RuntimeWatchSystem", package: "runtime-watch"),
            ],
            path: "Sources/rw-fuzz"
        ),
    ]
)
