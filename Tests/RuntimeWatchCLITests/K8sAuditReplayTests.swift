// SPDX-License-Identifier: Apache-2.0
// `runtime-watch replay --audit-log` with the real binary over the k8s-audit fixture logs: the
// expected k8s_audit alerts in Falco's format, stdin, a malformed line reported by file and line
// and skipped, and the refusal of a replay with no input.

import Foundation
import XCTest

final class K8sAuditReplayTests: CLITestCase {
    /// Tests/RuntimeWatchCoreTests/Fixtures/k8s-audit/<name> in the source tree.
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("RuntimeWatchCoreTests/Fixtures/k8s-audit").appendingPathComponent(name).path
    }

    static let expectedRules = [
        "k8s-secrets-listed-all-namespaces", "k8s-secret-read", "k8s-pod-exec", "k8s-pod-exec", "k8s-privileged-workload",
        "k8s-privileged-workload", "k8s-token-request", "k8s-secrets-listed-all-namespaces",
    ]

    func testReplayOfTheAttackLogGivesTheExpectedAlerts() throws {
        let result = try AssertExecuteCommand(["replay", "--audit-log", Self.fixture("attacks.jsonl"),
                                               "--profile", Self.fixture("profile.yaml"), "--hostname", "node-1"], expectedStderr: "")
        let alerts = jsonObjects(result.stdout)
        XCTAssertEqual(alerts.map { $0["rule_id"] as? String ?? "?" }, Self.expectedRules)
        XCTAssertEqual(alerts.map { $0["priority"] as? String ?? "?" },
                       ["Critical", "Warning", "Critical", "Warning", "Critical", "Critical", "Warning", "Warning"])
        for alert in alerts {
            XCTAssertEqual(alert["source"] as? String, "k8s_audit")
            XCTAssertEqual(alert["hostname"] as? String, "node-1")
            let fields = alert["output_fields"] as? [String: Any] ?? [:]
            for key in ["ka.auditid", "ka.user.name", "ka.verb", "ka.uri", "ka.target.resource", "ka.auth.decision"] {
                XCTAssertNotNil(fields[key], "\(key) in \(alert)")
            }
        }
        let exec = alerts[2]["output_fields"] as? [String: Any] ?? [:]
        XCTAssertEqual(exec["ka.exec.command"] as? String, "/bin/bash")
        XCTAssertEqual(alerts[0]["time"] as? String, "2026-11-20T09:00:00.102300000Z")
    }

    func testBenignLogGivesNothingAndStdinWorks() throws {
        try AssertExecuteCommand(["replay", "--audit-log", "-", "--profile", Self.fixture("profile.yaml")],
                                 stdinFile: Self.fixture("benign.jsonl"), expectedStdout: "", expectedStderr: "")
    }

    func testMalformedLineIsReportedAndSkipped() throws {
        let text = try String(contentsOfFile: Self.fixture("attacks.jsonl"), encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        lines.insert(#"{"kind":"Event","auditID":"x","stage":"ResponseComplete","verb":"get""#, at: 3)
        let log = try write("audit.log", lines.joined(separator: "\n") + "\n")
        let result = try AssertExecuteCommand(["replay", "--audit-log", log, "--profile", Self.fixture("profile.yaml"), "--summary"])
        XCTAssertEqual(jsonObjects(result.stdout).map { $0["rule_id"] as? String ?? "?" }, Self.expectedRules)
        XCTAssertTrue(result.stderr.contains("\(log): line 4: not valid JSON"), result.stderr)
        XCTAssertTrue(result.stderr.contains("1 malformed lines skipped, 8 alerts"), result.stderr)
    }

    func testReplayNeedsATraceOrAnAuditLog() throws {
        let result = try execute(["replay"])
        XCTAssertNotEqual(result.exitCode, 0)
        XCTAssertTrue(result.stderr.contains("give a TRACE, one or more --audit-log files, or both"), result.stderr)
    }
}
