// SPDX-License-Identifier: Apache-2.0
// `replay` over a hand-written host reverse-shell trace: the alert's shape, the text format,
// --disable, stdin, malformed lines, --output and --profile.

import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class ReplayTests: CLITestCase {
    private var trace: String!

    override func setUpWithError() throws {
        try super.setUpWithError()
        trace = try write("reverse-shell.jsonl", ReverseShellTrace.text)
    }

    /// Checks that `lines` are exactly one Falco-format reverse-shell alert for the trace's shell.
    private func assertOneReverseShellAlert(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        let alerts = jsonObjects(text, file: file, line: line)
        XCTAssertEqual(alerts.count, 1, "expected exactly one alert line:\n\(text)", file: file, line: line)
        guard let alert = alerts.first else { return }
        XCTAssertEqual(alert["rule"] as? String, "Reverse shell", file: file, line: line)
        XCTAssertEqual(alert["rule_id"] as? String, "reverse-shell", file: file, line: line)
        XCTAssertEqual(alert["priority"] as? String, "Critical", file: file, line: line)
        XCTAssertEqual(alert["hostname"] as? String, "trace-host", file: file, line: line)
        XCTAssertEqual(alert["time"] as? String, ReverseShellTrace.shellExecTime, file: file, line: line)
        let time = alert["time"] as? String ?? ""
        XCTAssertNotNil(time.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$"#, options: .regularExpression),
                        "time is not RFC 3339 with ns and Z: \(time)", file: file, line: line)
        let fields = alert["output_fields"] as? [String: Any] ?? [:]
        XCTAssertEqual(fields["fd.rip"] as? String, "198.51.100.1", file: file, line: line)
        XCTAssertEqual((fields["fd.rport"] as? NSNumber)?.intValue, 4444, "fd.rport: \(String(describing: fields["fd.rport"]))", file: file, line: line)
        XCTAssertEqual(fields["container.id"] as? String, "host", file: file, line: line)
        XCTAssertEqual((fields["proc.pid"] as? NSNumber)?.intValue, 4101, file: file, line: line)
    }

    func testReverseShellTraceGivesOneCriticalJSONAlert() throws {
        let result = try AssertExecuteCommand(["replay", trace], expectedStderr: "")
        assertOneReverseShellAlert(result.stdout)
    }

    func testTextFormatPrintsOneLine() throws {
        let result = try AssertExecuteCommand(["replay", "--format", "text", trace])
        XCTAssertEqual(result.stdoutLines.count, 1, result.stdout)
        let line = result.stdoutLines.first ?? ""
        XCTAssertTrue(line.contains("Critical"), line)
        XCTAssertTrue(line.contains("198.51.100.1"), line)
        XCTAssertFalse(line.hasPrefix("{"), "text format printed JSON: \(line)")
    }

    func testDisablingTheRuleSilencesIt() throws {
        try AssertExecuteCommand(["replay", "--disable", "reverse-shell", trace], expectedStdout: "")
        // By human name, as --help promises.
        try AssertExecuteCommand(["replay", "--disable", "Reverse shell", trace], expectedStdout: "")
    }

    func testDisablingAnUnknownRuleSuggestsTheRightOne() throws {
        let result = try AssertExecuteCommand(["replay", "--disable", "revers-shell", trace], expectedExitCode: 64, expectedStdout: "")
        XCTAssertTrue(result.stderr.contains(#"did you mean "reverse-shell""#), result.stderr)
        let unknown = try AssertExecuteCommand(["replay", "--disable", "nosuch", trace], expectedExitCode: 64, expectedStdout: "")
        XCTAssertTrue(unknown.stderr.contains("nosuch"), unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("runtime-watch rules"), "no pointer to the rule list: \(unknown.stderr)")
    }

    func testReplayFromStandardInput() throws {
        let result = try AssertExecuteCommand(["replay", "-"], stdinFile: trace)
        assertOneReverseShellAlert(result.stdout)
    }

    /// Issue 19: `replay --audit-log /tmp` printed a read error and exited 0.
    func testADirectoryAsTraceOrAuditLogIsRefused() throws {
        for arguments in [["replay", "--audit-log", NSTemporaryDirectory()], ["replay", NSTemporaryDirectory()]] {
            let result = try Subprocess.run(binary, arguments, timeout: 30)
            XCTAssertNotEqual(result.exitCode, 0, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("is a directory"), result.stderr)
        }
    }

    func testMissingTraceFileIsRefused() throws {
        let result = try AssertExecuteCommand(["replay", path("absent.jsonl")], expectedExitCode: 64, expectedStdout: "")
        XCTAssertTrue(result.stderr.contains("absent.jsonl: no such file"), result.stderr)
    }

    func testMalformedLinesAreNamedAndTheRestReplays() throws {
        let broken = try write("broken.jsonl", ReverseShellTrace.textWithMalformedLines)
        let result = try AssertExecuteCommand(["replay", "--summary", broken])
        assertOneReverseShellAlert(result.stdout)
        let issues = result.stderr.split(separator: "\n").map(String.init)
        let line3 = issues.filter { $0.contains("broken.jsonl: line 3: ") }
        let line5 = issues.filter { $0.contains("broken.jsonl: line 5: ") }
        XCTAssertEqual(line3.count, 1, result.stderr)
        XCTAssertEqual(line5.count, 1, result.stderr)
        // Each names a reason after the line number, and no other line is blamed.
        for l in line3 + line5 { XCTAssertGreaterThan(l.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces).count } ?? 0, 3, l) }
        XCTAssertEqual(issues.filter { $0.contains(": line ") }.count, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("replayed 3 events, 2 malformed lines skipped, 1 alerts"), result.stderr)
    }

    func testOutputFileIsAppendedNotTruncated() throws {
        let output = path("alerts.jsonl")
        try AssertExecuteCommand(["replay", "--output", output, trace], expectedStdout: "")
        try AssertExecuteCommand(["replay", "--output", output, trace], expectedStdout: "")
        let written = try String(contentsOfFile: output, encoding: .utf8)
        let alerts = jsonObjects(written)
        XCTAssertEqual(alerts.count, 2, written)
        XCTAssertEqual(alerts.compactMap { $0["rule_id"] as? String }, ["reverse-shell", "reverse-shell"])
    }

    func testProfileAllowingTheShellSuppressesIt() throws {
        let profile = try write("allow-shell.yaml", """
            version: 1
            allow:
              - rules: [reverse-shell]
                host: true
                executable: /usr/bin/dash
                reason: "test: the shell in the trace is expected"
            """)
        try AssertExecuteCommand(["replay", "--profile", profile, trace], expectedStdout: "")
        // An entry for another executable leaves the alert alone (the allowlist is not a blanket off).
        let other = try write("allow-other.yaml", """
            version: 1
            allow:
              - rules: [reverse-shell]
                host: true
                executable: /usr/bin/zsh
            """)
        let result = try AssertExecuteCommand(["replay", "--profile", other, trace])
        assertOneReverseShellAlert(result.stdout)
    }

    /// A full disk: every failed alert write is counted, the error names the output, and the exit
    /// status is non-zero (before: exit 0, no message, and the summary counted the alerts).
    func testAlertsThatCannotBeWrittenAreAnErrorNamingTheOutput() throws {
        let result = try AssertExecuteCommand(["replay", "--output", "/dev/full", "--summary", trace], expectedExitCode: 1, expectedStdout: "")
        XCTAssertTrue(result.stderr.contains("writing alerts to /dev/full failed: No space left on device (1 failed writes)"), result.stderr)
        XCTAssertTrue(result.stderr.contains("1 alerts, 0 written"), result.stderr)
    }

    /// SIGTERM during a replay that has not reached its end ends it, with its summary (before:
    /// killed, no summary). The trace is a FIFO fed without end (bounded at 5 million lines), so
    /// the replay is still running whatever the machine's speed.
    func testSIGTERMEndsTheReplayWithItsSummary() throws {
        let fifo = directory.appendingPathComponent("endless.jsonl").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        signal(SIGPIPE, SIG_IGN)   // the writer sees EPIPE once the replay is gone
        let replay = try Subprocess(binary, ["replay", fifo])
        let writer = Thread {
            guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
            var chunk = #"{"format":"runtime-watch-trace","version":1,"hostname":"h","kernel":"k","start":"2026-11-22T10:00:00.000000000Z"}"# + "\n"
            for i in 0..<5_000_000 {
                chunk += #"{"ts":\#(1_795_341_600_000_000_000 + i * 1000),"type":"fork","child":\#(10_000 + i % 50_000),"parent":1}"# + "\n"
                guard i % 1000 == 999 else { continue }
                do { try handle.write(contentsOf: Data(chunk.utf8)) } catch { break }
                chunk = ""
            }
            try? handle.close()
        }
        writer.start()
        usleep(1_500_000)
        replay.send(SIGTERM)
        let result = replay.wait(timeout: 20)
        XCTAssertFalse(result.timedOut, "replay ignored SIGTERM")
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("replay stopped by signal"), result.stderr)
        XCTAssertTrue(result.stderr.contains("replayed"), "no summary line: \(result.stderr)")
    }
}
