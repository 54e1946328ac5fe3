// SPDX-License-Identifier: Apache-2.0
// Finds the real `runtime-watch` executable the tests drive: the CLI is tested as users run it,
// as a subprocess, never by calling its types in-process.

import Foundation
import XCTest

enum BinaryLocator {
    /// Path of the built `runtime-watch`, or nil. Looks, in order, at $RUNTIME_WATCH_BINARY, the
    /// products directory holding the test bundle (where `swift build --build-tests` puts it), and
    /// the package's .build/debug.
    static func runtimeWatch() -> String? {
        var candidates: [URL] = []
        if let explicit = Foundation.ProcessInfo.processInfo.environment["RUNTIME_WATCH_BINARY"] {
            candidates.append(URL(fileURLWithPath: explicit))
        }
        // On Linux the test bundle is an executable in the products directory (Bundle.main is its
        // directory); on Darwin it is a .xctest bundle inside it. Try both levels.
        for bundle in [Bundle.main] + Bundle.allBundles {
            candidates.append(bundle.bundleURL.appendingPathComponent("runtime-watch"))
            candidates.append(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("runtime-watch"))
        }
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/runtime-watch"))
        return candidates.map(\.path).first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The binary's path; when it is missing, a test failure saying how to build it, then a throw.
    static func require(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        guard let path = runtimeWatch() else {
            let message = "runtime-watch binary not found next to the test bundle or in .build/debug; "
                + "run `swift build --build-tests` (or set RUNTIME_WATCH_BINARY) first"
            XCTFail(message, file: file, line: line)
            throw HarnessError(message)
        }
        return path
    }
}

/// A failure of the test harness itself (binary missing, subprocess would not start, timeout).
struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
