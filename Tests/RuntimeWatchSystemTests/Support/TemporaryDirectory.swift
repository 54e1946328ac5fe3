// SPDX-License-Identifier: Apache-2.0
// A directory under the system temp dir that tests fill (fake host roots, container bundles) and
// remove again; paths inside it are written as host-absolute paths under `path`.

import Foundation
import XCTest

/// A uniquely named temporary directory, removed by `remove()` (call it from a `defer` or teardown).
struct TemporaryDirectory {
    let path: String

    /// Creates `/tmp/<prefix>-<random>`.
    init(prefix: String) throws {
        let template = NSTemporaryDirectory() + "\(prefix)-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else {
            throw HarnessError("mkdtemp \(template) failed: errno \(errno)")
        }
        path = String(cString: made)
    }

    /// `path + relative`, with `relative` written as an absolute host path ("/run/runc/…").
    func at(_ relative: String) -> String {
        relative.hasPrefix("/") ? path + relative : path + "/" + relative
    }

    /// Writes `contents` at `relative`, creating parent directories.
    @discardableResult
    func write(_ contents: Data, to relative: String) throws -> String {
        let full = at(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try contents.write(to: URL(fileURLWithPath: full))
        return full
    }

    @discardableResult
    func write(_ text: String, to relative: String) throws -> String {
        try write(Data(text.utf8), to: relative)
    }

    func makeDirectory(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: at(relative), withIntermediateDirectories: true)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A harness failure with a message that says what was being done.
struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Skips the calling test unless it runs as root (live tests need runc, cgroups and netns).
func requireRoot(_ what: String) throws {
    if geteuid() != 0 {
        throw XCTSkip("\(what) needs root (runc, cgroups, network namespaces); run the tests as root")
    }
}

/// Fails (does not skip) when a tool the live tests need is missing, naming the Debian package: a
/// root CI run without it must go red, not quietly skip.
func requireTools(_ tools: [(path: String, package: String)]) throws {
    for tool in tools where !FileManager.default.isExecutableFile(atPath: tool.path) {
        throw HarnessError("\(tool.path) is missing: apt-get install \(tool.package)")
    }
}
