// SPDX-License-Identifier: Apache-2.0
// Runs a program as a subprocess with a hard time bound. Output goes to files, not pipes, so a
// chatty child can never block on a full pipe while the test waits for it.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a finished subprocess left behind.
struct CommandResult {
    var stdout: String
    var stderr: String
    /// Exit status; for a process killed by a signal, 128 + the signal number (as a shell shows it).
    var exitCode: Int32
    /// True when the harness killed it for running past its deadline.
    var timedOut: Bool

    /// Non-empty stdout lines.
    var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// A subprocess whose stdout and stderr go to files in a private scratch directory. Killed with
/// SIGKILL and its files removed when released, so a failing test leaves nothing running.
final class Subprocess: @unchecked Sendable {
    // @unchecked: used from one test thread; the Process object is only read after `run()`.
    let process = Process()
    private let scratch: URL
    private let stdoutURL: URL
    private let stderrURL: URL

    /// Starts `executable` with `arguments`; `stdinFile` (if any) becomes its standard input.
    /// Throws HarnessError when the program cannot be started.
    init(_ executable: String, _ arguments: [String], stdinFile: String? = nil) throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("rw-sub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        stdoutURL = scratch.appendingPathComponent("stdout")
        stderrURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.standardInput = try stdinFile.map { try FileHandle(forReadingFrom: URL(fileURLWithPath: $0)) }
            ?? FileHandle(forReadingAtPath: "/dev/null")
        do { try process.run() } catch {
            try? FileManager.default.removeItem(at: scratch)
            throw HarnessError("cannot start \(executable): \(error)")
        }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: scratch)
    }

    var pid: pid_t { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Everything written to stdout so far.
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    /// Everything written to stderr so far.
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    func send(_ signal: Int32) { if process.isRunning { kill(process.processIdentifier, signal) } }

    /// Waits up to `timeout` seconds for the process to exit; kills it with SIGKILL past that.
    /// Returns the result; `timedOut` tells the two apart.
    @discardableResult
    func wait(timeout: TimeInterval) -> CommandResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let code = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return CommandResult(stdout: stdout, stderr: stderr, exitCode: code, timedOut: timedOut)
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` seconds pass (or the process
    /// exits, when `whileRunning`). Returns whether it held.
    func waitUntil(timeout: TimeInterval, whileRunning: Bool = true, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            if whileRunning && !process.isRunning { return condition() }
            usleep(50_000)
        }
        return condition()
    }

    /// Runs a program to completion (bounded by `timeout` seconds) and returns what it printed.
    static func run(_ executable: String, _ arguments: [String], stdinFile: String? = nil,
                    timeout: TimeInterval = 30) throws -> CommandResult {
        try Subprocess(executable, arguments, stdinFile: stdinFile).wait(timeout: timeout)
    }
}
