// SPDX-License-Identifier: Apache-2.0
// Runs a host command with a deadline. Output goes to temp files rather than pipes: a detached
// container process that inherits a pipe would otherwise keep it open and hang the reader.

import Foundation

/// How a bounded command ended.
struct CommandResult: CustomStringConvertible {
    /// Exit status, or 128 + signal when killed by one.
    var status: Int32
    var stdout: String
    var stderr: String
    /// True when the deadline passed and the command was killed.
    var timedOut: Bool

    var description: String {
        "status \(status)\(timedOut ? " (timed out)" : ""), stdout \(stdout.debugDescription), stderr \(stderr.debugDescription)"
    }
}

enum CommandRunner {
    /// Most bytes kept of each output stream.
    static let outputLimit = 1 << 20

    /// Runs `argv` (argv[0] an absolute path) to completion or until `timeout`, then SIGKILLs it.
    /// Standard input is /dev/null unless `stdin` is given. Output goes to `stdoutPath`/`stderrPath`
    /// when given (they may be the same file; anything the command leaves running keeps writing
    /// there), else to private temp files. Never waits longer than `timeout` + 2 s.
    @discardableResult
    static func run(_ argv: [String], timeout: Duration = .seconds(20), stdin: String? = nil,
                    stdoutPath: String? = nil, stderrPath: String? = nil) throws -> CommandResult {
        guard let executable = argv.first else { throw HarnessError("empty command") }
        let scratch = try TemporaryDirectory(prefix: "rw-cmd")
        defer { scratch.remove() }
        let outPath = stdoutPath ?? scratch.at("stdout"), errPath = stderrPath ?? scratch.at("stderr")
        guard FileManager.default.createFile(atPath: outPath, contents: nil) else { throw HarnessError("cannot create \(outPath)") }
        let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let errHandle: FileHandle
        if errPath == outPath {
            errHandle = outHandle
        } else {
            guard FileManager.default.createFile(atPath: errPath, contents: nil) else { throw HarnessError("cannot create \(errPath)") }
            errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        }
        defer { try? outHandle.close(); if errHandle !== outHandle { try? errHandle.close() } }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(argv.dropFirst())
        process.standardOutput = outHandle
        process.standardError = errHandle
        if let stdin {
            let inPath = try scratch.write(stdin, to: "stdin")
            process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: inPath))
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        do { try process.run() } catch { throw HarnessError("cannot start \(argv.joined(separator: " ")): \(error)") }

        let timedOut = !waitForExit(process, timeout: timeout)
        if timedOut {
            kill(process.processIdentifier, SIGKILL)
            _ = waitForExit(process, timeout: .seconds(2))
        }
        let status: Int32 = process.isRunning ? -1
            : process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return CommandResult(status: status, stdout: readCapped(outPath),
                             stderr: errPath == outPath ? "" : readCapped(errPath), timedOut: timedOut)
    }

    /// Runs `argv` and throws unless it exits 0, quoting its output in the error.
    @discardableResult
    static func check(_ argv: [String], timeout: Duration = .seconds(20)) throws -> CommandResult {
        let result = try run(argv, timeout: timeout)
        guard result.status == 0, !result.timedOut else {
            throw HarnessError("\(argv.joined(separator: " ")) failed: \(result)")
        }
        return result
    }

    /// SIGTERM, wait up to 10 s for `process` to flush and exit, then SIGKILL. Idempotent.
    static func terminate(_ process: Process) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if !waitForExit(process, timeout: .seconds(10)) {
            kill(process.processIdentifier, SIGKILL)
            _ = waitForExit(process, timeout: .seconds(2))
        }
    }

    /// Polls until `process` exits or `timeout` passes; true when it exited.
    static func waitForExit(_ process: Process, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now >= deadline { return false }
            usleep(5_000)
        }
        return true
    }

    /// Up to `outputLimit` bytes of the file at `path` as UTF-8 (lossy), "" when unreadable.
    static func readCapped(_ path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let data: Data = (try? handle.read(upToCount: outputLimit)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns whether it held.
func waitUntil(timeout: Duration, _ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        usleep(10_000)
    }
    return true
}
