// SPDX-License-Identifier: Apache-2.0
// Helpers for the token-read end-to-end tests: the real `runtime-watch` binary run as a child
// process against a temp kubelet root, and the Falco JSON alert lines it writes to --output.

import Foundation
import Glibc
import XCTest

/// The built `runtime-watch` executable: $RUNTIME_WATCH_BINARY, else next to the test bundle (the
/// build products directory), else `.build/debug/runtime-watch` under the working directory.
/// - Throws: `HarnessError` naming every place looked at when none holds an executable.
func runtimeWatchBinary() throws -> String {
    var candidates: [String] = []
    if let fromEnv = ProcessInfo.processInfo.environment["RUNTIME_WATCH_BINARY"] { candidates.append(fromEnv) }
    let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent().path
    candidates.append(bundleDir + "/runtime-watch")
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        candidates.append(bundle.bundleURL.deletingLastPathComponent().path + "/runtime-watch")
    }
    candidates.append(FileManager.default.currentDirectoryPath + "/.build/debug/runtime-watch")
    if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
    throw HarnessError("runtime-watch binary not found (looked at \(candidates)); run `swift build --product runtime-watch` first or set RUNTIME_WATCH_BINARY")
}

/// One `runtime-watch run` child: alerts go to `outputPath`, its stderr log to `logPath`.
/// `stop()` sends SIGTERM and waits (bounded), then SIGKILLs.
final class MonitorProcess {
    let process = Process()
    let outputPath: String
    let logPath: String

    /// Starts `<binary> run --kubelet-root <kubeletRoot> --output <outputPath> --listen off
    /// --duration <maxSeconds> [--profile P]...` (the embedded default profile stays loaded) and
    /// waits until its log says "monitoring" (capture is started before that line is logged).
    /// - Throws: `HarnessError` with the log when it exits or does not get ready within `readyTimeout`.
    /// `extraArguments` are appended to the command line and `environment` is added to the
    /// inherited environment (hardening tests: --seccomp-action, RW_TEST_FORBIDDEN_SYSCALL).
    init(binary: String, kubeletRoot: String, scratch: TemporaryDirectory, profiles: [String],
         maxSeconds: Int = 300, readyTimeout: Duration = .seconds(30),
         extraArguments: [String] = [], environment: [String: String] = [:]) throws {
        outputPath = scratch.at("alerts.jsonl")
        logPath = scratch.at("monitor.log")
        guard FileManager.default.createFile(atPath: outputPath, contents: nil),
              FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw HarnessError("cannot create \(outputPath) or \(logPath)")
        }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        defer { try? log.close() }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--kubelet-root", kubeletRoot, "--output", outputPath, "--listen", "off",
                             "--duration", String(maxSeconds)] + profiles.flatMap { ["--profile", $0] } + extraArguments
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let ready = waitUntil(timeout: readyTimeout) { !self.process.isRunning || self.log.contains("monitoring") }
        guard ready, process.isRunning else {
            stop()
            throw HarnessError("runtime-watch did not get ready (running: \(process.isRunning)); log:\n\(log)")
        }
    }

    var log: String { CommandRunner.readCapped(logPath) }

    /// Every complete alert line written so far, decoded (a last line still being written, with no
    /// newline yet, is left for the next call); a complete line that is not a JSON object fails loudly.
    func alerts() throws -> [EndToEndAlert] {
        var text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        if let lastNewline = text.lastIndex(of: "\n") { text = String(text[...lastNewline]) } else { text = "" }
        return try text.split(separator: "\n").enumerated().map { index, line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw HarnessError("\(outputPath) line \(index + 1) is not a JSON object: \(line.prefix(200))")
            }
            return EndToEndAlert(object)
        }
    }

    /// Polls until `predicate` holds over the alerts or `timeout` passes; returns the last alerts read.
    func waitForAlerts(timeout: Duration, until predicate: ([EndToEndAlert]) -> Bool) throws -> [EndToEndAlert] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let current = try alerts()
            if predicate(current) || ContinuousClock.now >= deadline { return current }
            usleep(20_000)
        }
    }

    /// SIGTERM, wait up to 10 s for it to flush and exit, then SIGKILL. Idempotent.
    func stop() { CommandRunner.terminate(process) }

    deinit { stop() }
}

/// The fields of one Falco JSON alert line the tests check.
struct EndToEndAlert: CustomStringConvertible {
    let ruleID: String
    let fields: [String: Any]
    let raw: [String: Any]

    init(_ object: [String: Any]) {
        raw = object
        ruleID = object["rule_id"] as? String ?? ""
        fields = object["output_fields"] as? [String: Any] ?? [:]
    }

    func string(_ key: String) -> String? { fields[key] as? String }
    var pid: Int32? { (fields["proc.pid"] as? NSNumber).map { $0.int32Value } }
    var containerID: String? { string("container.id") }
    var podName: String? { string("k8s.pod.name") }
    var namespace: String? { string("k8s.ns.name") }
    var exePath: String? { string("proc.exepath") }
    var isTokenRead: Bool { ruleID == "service-account-token-read" }

    var description: String {
        "\(ruleID) pid=\(pid.map(String.init) ?? "-") exe=\(exePath ?? "-") container=\(containerID ?? "-") pod=\(namespace ?? "-")/\(podName ?? "-") fd=\(string("fd.name") ?? "-")"
    }
}

/// Polls until host pid `pid` is gone or a zombie (bounded by `timeout`); true when it ended.
func waitForProcessEnd(_ pid: Int32, timeout: Duration = .seconds(15)) -> Bool {
    waitUntil(timeout: timeout) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        guard let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state == "Z" || state == "X"
    }
}
