// SPDX-License-Identifier: Apache-2.0
// `runtime-watch incidents FILE` over the recorded runc attack: the trace (replayed) and its golden
// alert file (read back, as an `--output` file of the live run would be) print the same single
// incident block, timeline in order; a benign recording prints none; bad alert lines are named.

import Foundation
import XCTest

final class IncidentsCommandTests: CLITestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("RuntimeWatchCoreTests/Fixtures")

    func testAttackTraceAndItsAlertFilePrintTheSameOneIncident() throws {
        let trace = Self.fixtures.appendingPathComponent("runc-pod-attack.jsonl").path
        let alerts = Self.fixtures.appendingPathComponent("runc-pod-attack.expected.jsonl").path
        let fromTrace = try AssertExecuteCommand(["incidents", trace], expectedStderr: "")
        let lines = fromTrace.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.filter { $0.hasPrefix("Incident inc-") }.count, 1, fromTrace.stdout)
        XCTAssertTrue(lines[0].hasSuffix(" pod shop/shop-web-7d4b9c-x2x9q"), lines[0])
        XCTAssertTrue(lines[1].hasPrefix("  score 105 (critical), chain 2/4, 2 alerts, opened 2026-11-22T"), lines[1])
        XCTAssertTrue(lines[2].contains(" service-account-token-read cat(10270) /var/run/secrets/kubernetes.io/serviceaccount/"), lines[2])
        XCTAssertTrue(lines[2].hasSuffix("/token (Critical)"), lines[2])
        XCTAssertTrue(lines[3].contains(" reverse-shell sh(10298) 198.51.100.1:37539 (Critical)"), lines[3])
        XCTAssertLessThan(lines[2].prefix(30), lines[3].prefix(30), "timeline in event order")
        XCTAssertEqual(lines.count, 5, "one block and the final newline: \(fromTrace.stdout)")

        try AssertExecuteCommand(["incidents", alerts], expectedStdout: fromTrace.stdout, expectedStderr: "")

        // A trace without its header line is still recognised as a trace, not read as alerts.
        let events = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n").dropFirst().joined(separator: "\n")
        let headerless = try write("headerless.jsonl", events + "\n")
        let result = try AssertExecuteCommand(["incidents", headerless], expectedStdout: fromTrace.stdout)
        XCTAssertEqual(result.stderr, "runtime-watch: \(headerless): trace has no header line; reading it as version 1\n", "the reader's usual note")
    }

    func testReplaySummaryCountsIncidents() throws {
        let trace = Self.fixtures.appendingPathComponent("runc-pod-attack.jsonl").path
        let result = try AssertExecuteCommand(["replay", "--summary", trace])
        XCTAssertTrue(result.stderr.contains(" 4 alerts, 4 written, 1 incidents\n"), result.stderr)
    }

    func testBenignTraceHasNoIncidents() throws {
        let trace = Self.fixtures.appendingPathComponent("host-pipeline-lookalikes.jsonl").path
        try AssertExecuteCommand(["incidents", trace], expectedStdout: "No incidents.", expectedStderr: "")
    }

    func testMalformedAlertLineIsNamedAndSkipped() throws {
        let good = try String(contentsOfFile: Self.fixtures.appendingPathComponent("runc-pod-attack.expected.jsonl").path, encoding: .utf8)
        let file = try write("alerts.jsonl", "{\"rule\": 1}\n" + good)
        let result = try AssertExecuteCommand(["incidents", file])
        XCTAssertTrue(result.stderr.hasPrefix("runtime-watch: \(file):1: not a JSON alert: "), result.stderr)
        XCTAssertTrue(result.stdout.contains("score 105 (critical)"), result.stdout)
    }
}
