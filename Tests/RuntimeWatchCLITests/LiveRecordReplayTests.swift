// SPDX-License-Identifier: Apache-2.0
// Live `record` then `replay` (root only): a reverse shell captured into a trace is found again
// by replaying that trace, so anything seen in the field can become a fixture. Also the ways
// `run` ends by itself: --duration, and refusing a broken profile at startup.

import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class LiveRecordReplayTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        guard runningAsRoot else { throw XCTSkip("live `record`/`run` need root (proc connector, /proc of every process)") }
    }

    func testRecordedReverseShellIsFoundByReplay() throws {
        let trace = path("live.jsonl")
        let recorder = try Subprocess(binary, ["record", "--output", trace, "--no-token-watch", "--duration", "60"])
        func traceText() -> String { (try? String(contentsOfFile: trace, encoding: .utf8)) ?? "" }
        // The startup snapshot (header plus one line per running process) says capture is up.
        XCTAssertTrue(recorder.waitUntil(timeout: 30) { traceText().split(separator: "\n").count > 2 },
                      "record wrote no snapshot:\n\(recorder.stderr)")
        let port = try LiveHelpers.triggerDetectedReverseShell { traceText().contains("\"remotePort\":\($0)") }
        recorder.send(SIGTERM)
        let stopped = recorder.wait(timeout: 10)
        XCTAssertFalse(stopped.timedOut, "record did not stop within 10 s of SIGTERM")
        XCTAssertEqual(stopped.exitCode, 0, stopped.stderr)
        XCTAssertTrue(stopped.stderr.contains("events written to \(trace)"), stopped.stderr)

        let header = traceText().split(separator: "\n").first.map(String.init) ?? ""
        XCTAssertTrue(header.hasPrefix(#"{"format":"runtime-watch-trace","version":1,"#), header)
        let replay = try AssertExecuteCommand(["replay", trace])
        let alerts = reverseShellAlerts(in: replay.stdout, port: port)
        XCTAssertEqual(alerts.count, 1, "replay of the recorded trace:\n\(replay.stdout)\n\(replay.stderr)")
        XCTAssertEqual((alerts.first?["output_fields"] as? [String: Any])?["fd.rip"] as? String, "127.0.0.1")
    }

    func testRunStopsAfterDuration() throws {
        let port = try LoopbackSocket.freePort()
        let result = try Subprocess.run(binary, ["run", "--listen", "127.0.0.1:\(port)", "--no-token-watch", "--duration", "2",
                                                 "--output", path("alerts.jsonl")], timeout: 30)
        XCTAssertFalse(result.timedOut, "run --duration 2 still running after 30 s")
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("stopped:"), result.stderr)
    }

    func testRunRefusesABrokenProfileAtStartup() throws {
        let profile = try write("broken.yaml", "version: 1\nallow:\n  - rules: [reverse-shell]\n    hots: true\n")
        let port = try LoopbackSocket.freePort()
        let result = try Subprocess.run(binary, ["run", "--listen", "127.0.0.1:\(port)", "--no-token-watch", "--profile", profile], timeout: 30)
        XCTAssertFalse(result.timedOut, "run with a broken profile did not exit")
        XCTAssertEqual(result.exitCode, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains("profile refused: \(profile):4:5: "), result.stderr)
        XCTAssertTrue(result.stderr.contains("did you mean 'host'"), result.stderr)
    }
}

/// Capture options whose spelling the help and the error messages promise.
final class CaptureOptionSpellingTests: CLITestCase {
    func testReceiveBufferOptionIsSpelledAsDocumented() throws {
        guard runningAsRoot else { throw XCTSkip("`run` validates root prerequisites before its options") }
        let help = try AssertExecuteCommand(["run", "--help"])
        XCTAssertTrue(help.stdout.contains("--receive-buffer-mib <MIB>"), help.stdout)
        let result = try AssertExecuteCommand(["run", "--receive-buffer-mib", "0", "--listen", "off"], expectedExitCode: 64, expectedStdout: "")
        XCTAssertTrue(result.stderr.contains("--receive-buffer-mib must be between 1 and 1024"), result.stderr)
    }
}
