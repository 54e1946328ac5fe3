// SPDX-License-Identifier: Apache-2.0
// Base class for CLI tests: the binary's path, a scratch directory removed in tearDown (also on
// failure), and AssertExecuteCommand in swift-argument-parser's style (stdout, stderr, exit code).

import Foundation
import XCTest

class CLITestCase: XCTestCase {
    private(set) var binary: String!
    private(set) var directory: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        binary = try BinaryLocator.require()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rw-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
        try super.tearDownWithError()
    }

    /// Absolute path of `name` in the scratch directory.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes `text` to `name` in the scratch directory; returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// Runs `runtime-watch arguments…` to completion (at most `timeout` seconds).
    func execute(_ arguments: [String], stdinFile: String? = nil, timeout: TimeInterval = 30) throws -> CommandResult {
        try Subprocess.run(binary, arguments, stdinFile: stdinFile, timeout: timeout)
    }

    /// Runs the command and checks its exit code, and stdout/stderr when given (exact match after
    /// trimming trailing newlines). Returns the result for further checks.
    @discardableResult
    func AssertExecuteCommand(
        _ arguments: [String], stdinFile: String? = nil, expectedExitCode: Int32 = 0,
        expectedStdout: String? = nil, expectedStderr: String? = nil, timeout: TimeInterval = 30,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> CommandResult {
        let result = try execute(arguments, stdinFile: stdinFile, timeout: timeout)
        let shown = "runtime-watch \(arguments.joined(separator: " "))"
        XCTAssertFalse(result.timedOut, "\(shown) did not finish within \(timeout) s", file: file, line: line)
        XCTAssertEqual(result.exitCode, expectedExitCode,
                       "\(shown): exit code\n--- stdout\n\(result.stdout)--- stderr\n\(result.stderr)", file: file, line: line)
        if let expectedStdout {
            XCTAssertEqual(result.stdout.trimmingTrailingNewlines, expectedStdout.trimmingTrailingNewlines, "\(shown): stdout", file: file, line: line)
        }
        if let expectedStderr {
            XCTAssertEqual(result.stderr.trimmingTrailingNewlines, expectedStderr.trimmingTrailingNewlines, "\(shown): stderr", file: file, line: line)
        }
        return result
    }

    /// Decodes each non-empty line of `text` as a JSON object; fails the test on a line that is not one.
    func jsonObjects(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { l in
            let object = try? JSONSerialization.jsonObject(with: Data(l.utf8)) as? [String: Any]
            if object == nil { XCTFail("not a JSON object: \(l)", file: file, line: line) }
            return object
        }
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}

/// True when the tests run as root (live capture needs it).
var runningAsRoot: Bool { geteuid() == 0 }
