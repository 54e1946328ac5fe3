// SPDX-License-Identifier: Apache-2.0
// `--version`, `--help` and `rules`: what a first-time user sees before anything else.

import Foundation
import XCTest

final class HelpAndRulesTests: CLITestCase {
    static let ruleIDs = ["service-account-token-read", "reverse-shell", "bind-shell", "unexpected-outbound-connection",
                          "k8s-api-after-token-read", "internal-event-drop", "internal-syscall-refused", "incident", "response-taken",
                          "k8s-secrets-listed-all-namespaces", "k8s-secret-read", "k8s-pod-exec", "k8s-privileged-workload", "k8s-token-request",
                          "k8s-abnormal-rate", "k8s-token-used-elsewhere"]

    func testVersionPrintsTheSemanticVersion() throws {
        let result = try AssertExecuteCommand(["--version"])
        XCTAssertNotNil(result.stdout.trimmingTrailingNewlines.range(of: #"^\d+\.\d+\.\d+$"#, options: .regularExpression),
                        "unexpected --version output: \(result.stdout)")
    }

    func testHelpNamesEverySubcommandAndTheDefault() throws {
        let result = try AssertExecuteCommand(["--help"])
        for subcommand in ["run", "record", "replay", "rules", "profile"] {
            XCTAssertNotNil(result.stdout.range(of: "\n  \(subcommand) ", options: []), "--help lacks subcommand \(subcommand):\n\(result.stdout)")
        }
        XCTAssertTrue(result.stdout.contains("USAGE:"), result.stdout)
        XCTAssertTrue(result.stdout.contains("(default)"), "the default subcommand should be marked:\n\(result.stdout)")
    }

    func testReplayHelpDocumentsItsOptions() throws {
        let result = try AssertExecuteCommand(["replay", "--help"])
        for option in ["--format", "--output", "--profile", "--disable", "--summary", "<TRACE>"] {
            XCTAssertTrue(result.stdout.contains(option), "replay --help lacks \(option):\n\(result.stdout)")
        }
    }

    func testRunHelpDocumentsTheListenerBoundsAndTheWebhookDrain() throws {
        let result = try AssertExecuteCommand(["run", "--help"])
        for option in ["--listen-header-timeout", "--listen-idle-timeout", "--listen-body-timeout", "--listen-max-connections",
                       "--listen-max-header-bytes", "--listen-max-body-bytes", "--listen-body-budget-bytes",
                       "--webhook-drain-seconds"] {
            XCTAssertTrue(result.stdout.contains(option), "run --help lacks \(option):\n\(result.stdout)")
        }
    }

    func testWebhookDrainOutOfRangeNamesTheOption() throws {
        let trace = try write("empty.jsonl", "")
        let result = try AssertExecuteCommand(["replay", "--webhook-drain-seconds=-1", trace], expectedExitCode: 64, expectedStdout: "")
        XCTAssertTrue(result.stderr.contains("--webhook-drain-seconds -1.0: expected 0 to 3600 seconds"), result.stderr)
    }

    func testUnknownSubcommandOptionIsAUsageError() throws {
        // With an existing trace: given a missing one, validate()'s "no such file" wins over the
        // unknown option (swift-argument-parser runs validation first; see the report).
        let trace = try write("empty.jsonl", "")
        let result = try AssertExecuteCommand(["replay", "--no-such-flag", trace], expectedExitCode: 64, expectedStdout: "")
        XCTAssertTrue(result.stderr.contains("Unknown option '--no-such-flag'"), result.stderr)
        XCTAssertTrue(result.stderr.contains("runtime-watch replay --help"), result.stderr)
    }

    func testRulesListsEveryRuleID() throws {
        let result = try AssertExecuteCommand(["rules"])
        let listed = result.stdout.split(separator: "\n").filter { !$0.hasPrefix(" ") && !$0.isEmpty }
            .map { String($0.split(separator: " ")[0]) }
        XCTAssertEqual(Set(listed), Set(Self.ruleIDs), result.stdout)
        XCTAssertEqual(listed.count, Self.ruleIDs.count, result.stdout)
        XCTAssertTrue(result.stdout.contains("reverse-shell  [Critical]  Reverse shell"), result.stdout)
    }

    func testRulesAsJSONDecodes() throws {
        let result = try AssertExecuteCommand(["rules", "--format", "json"])
        let rules = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]],
                                  "rules --format json is not an array of objects: \(result.stdout)")
        XCTAssertEqual(Set(rules.compactMap { $0["id"] as? String }), Set(Self.ruleIDs))
        let reverseShell = try XCTUnwrap(rules.first { $0["id"] as? String == "reverse-shell" })
        XCTAssertEqual(reverseShell["name"] as? String, "Reverse shell")
        XCTAssertEqual(reverseShell["priority"] as? String, "Critical")
    }
}
