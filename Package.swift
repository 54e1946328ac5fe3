// swift-tools-version: 6.1
// SPDX-License-Identifier: Apache-2.0
// Module layout (dependencies point down; Core knows nothing about Linux):
//   runtime-watch (CLI) → RuntimeWatchCapture → RuntimeWatchSystem → CShims
//                       → RuntimeWatchService (HTTP listener, webhook) → RuntimeWatchCore
import PackageDescription

let package = Package(
    name: "runtime-watch",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "runtime-watch", targets: ["runtime-watch"]),
        // For the benchmark and fuzz packages (Benchmarks/, Fuzz/), which depend on this one by path.
        .library(name: "RuntimeWatchCore", targets: ["RuntimeWatchCore"]),
        .library(name: "RuntimeWatchCapture", targets: ["RuntimeWatchCapture"]),
        .library(name: "RuntimeWatchSystem", targets: ["RuntimeWatchSystem"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Already in the graph via hummingbird/async-http-client; declared because
        // RuntimeWatchService imports them directly (TimeAmount/IOError, locks, ServiceGroup).
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Also in the graph already: the capture queue's Deque, and Retry-After response headers.
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // Also in the graph via hummingbird: the listener's connection handlers see HTTPRequestPart.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // Thin C glue over netlink, fanotify, seccomp and libcap. Returns >= 0 or -errno; no policy.
        .target(
            name: "CShims",
            path: "CShims",
            linkerSettings: [.linkedLibrary("seccomp"), .linkedLibrary("cap")]
        ),
        // Event model, trace I/O, process/container state, detectors, profiles, alerts. Pure.
        .target(
            name: "RuntimeWatchCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Typed Swift handles over CShims. The only module that imports CShims.
        .target(
            name: "RuntimeWatchSystem",
            dependencies: [
                "CShims",
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        // Capture: the only code that reads the host. Every source (proc connector and /proc, fanotify,
        // audit connects, Kubernetes audit logs and webhook bodies, host identity) into one queue.
        .target(
            name: "RuntimeWatchCapture",
            dependencies: [
                "RuntimeWatchCore",
                "RuntimeWatchSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // Network-facing pieces: health/metrics listener, webhook output.
        .target(
            name: "RuntimeWatchService",
            dependencies: [
                "RuntimeWatchCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .executableTarget(
            name: "runtime-watch",
            dependencies: [
                "RuntimeWatchCore",
                "RuntimeWatchCapture",
                "RuntimeWatchService",
                // Self-hardening (capabilities, seccomp) after every source is open.
                "RuntimeWatchSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            resources: []
        ),
        // Benchmark driver for live capture (bench/exec-storm.sh); not shipped in the product.
        .executableTarget(
            name: "rw-capture-bench",
            dependencies: ["RuntimeWatchCore", "RuntimeWatchCapture", "RuntimeWatchSystem"]
        ),
        .testTarget(
            name: "RuntimeWatchCoreTests",
            dependencies: ["RuntimeWatchCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "RuntimeWatchSystemTests",
            dependencies: ["RuntimeWatchCore", "RuntimeWatchSystem", "RuntimeWatchCapture"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "RuntimeWatchServiceTests",
            dependencies: ["RuntimeWatchCore", "RuntimeWatchService", "RuntimeWatchCapture"]
        ),
        .testTarget(
            name: "RuntimeWatchCLITests",
            dependencies: ["RuntimeWatchCore"]
        ),
    ]
)
