// SPDX-License-Identifier: Apache-2.0
// History and rate tuning end to end with the real binary: `learn --audit-log day1 --audit-baseline
// B`, then `replay --audit-log day2 --audit-baseline B`. Seed-shaped audit lines (the shape the
// API server's log backend writes): day 1 is 24 hours of one workload reading its secrets (5 an
// hour), a monitoring agent listing secrets in its namespace and a human listing pods; day 2 repeats
// it, plus one first-seen combination (the workload reading a secret in kube-system) and a rate
// spike (the workload reading 200 secrets in one hour). A corrupted baseline is reported and the
// run goes on with an empty one.

import Foundation
import XCTest

final class AuditBaselineCommandTests: CLITestCase {
    private static let day: Double = 86_400
    private static let start = Date(timeIntervalSince1970: 1_795_132_800)  // 2026-11-21T00:00:00Z

    private func line(_ id: String, at seconds: Double, user: String, groups: [String], verb: String, resource: String,
                      namespace: String, name: String? = nil) -> String {
        let time = ISO8601DateFormatter.string(from: Self.start.addingTimeInterval(seconds), timeZone: TimeZone(identifier: "UTC")!,
                                               formatOptions: [.withInternetDateTime])
        let uri = "/api/v1/namespaces/\(namespace)/\(resource)" + (name.map { "/\($0)" } ?? "")
        let nameField = name.map { #","name":"\#($0)""# } ?? ""
        let groupList = groups.map { "\"\($0)\"" }.joined(separator: ",")
        return #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"\#(id)","stage":"ResponseComplete","requestURI":"\#(uri)","verb":"\#(verb)","user":{"username":"\#(user)","groups":[\#(groupList)]},"sourceIPs":["10.244.3.7"],"userAgent":"app/1.0","objectRef":{"resource":"\#(resource)","namespace":"\#(namespace)"\#(nameField)},"responseStatus":{"code":200},"requestReceivedTimestamp":"\#(time)","stageTimestamp":"\#(time)"}"#
    }

    /// One day of benign traffic starting `offset` seconds after the start.
    private func benignDay(_ tag: String, offset: Double) -> [String] {
        var out: [String] = []
        for hour in 0..<24 {
            let t = offset + Double(hour) * 3600
            for i in 0..<5 {
                out.append(line("\(tag)-app-\(hour)-\(i)", at: t + Double(i) * 60, user: "system:serviceaccount:shop:billing",
                                groups: ["system:serviceaccounts"], verb: "get", resource: "secrets", namespace: "shop", name: "db-\(i)"))
            }
            out.append(line("\(tag)-mon-\(hour)", at: t + 600, user: "system:serviceaccount:monitoring:agent",
                            groups: ["system:serviceaccounts"], verb: "list", resource: "secrets", namespace: "monitoring"))
            out.append(line("\(tag)-human-\(hour)", at: t + 900, user: "oidc:alice", groups: ["ops"], verb: "list", resource: "pods", namespace: "shop"))
        }
        return out
    }

    func testADay1BaselineKeepsDay2QuietButForTheFirstSeenRequestAndTheRateSpike() throws {
        let day1 = try write("day1.jsonl", benignDay("d1", offset: 0).joined(separator: "\n") + "\n")
        var day2Lines = benignDay("d2", offset: Self.day)
        day2Lines.append(line("first-seen", at: Self.day + 5 * 3600 + 30, user: "system:serviceaccount:shop:billing",
                              groups: ["system:serviceaccounts"], verb: "get", resource: "secrets", namespace: "kube-system", name: "admin"))
        for i in 0..<200 {
            day2Lines.append(line("spike-\(i)", at: Self.day + 10 * 3600 + 1200 + Double(i), user: "system:serviceaccount:shop:billing",
                                  groups: ["system:serviceaccounts"], verb: "get", resource: "secrets", namespace: "shop", name: "s-\(i)"))
        }
        let day2 = try write("day2.jsonl", day2Lines.joined(separator: "\n") + "\n")
        let baseline = path("baseline.json")
        let learned = try AssertExecuteCommand(["learn", "--audit-log", day1, "--audit-baseline", baseline])
        XCTAssertTrue(learned.stderr.contains("3 combinations and 2 hourly rates from 168 audit events"), learned.stderr)

        func alerts(_ extra: [String]) throws -> [[String: Any]] {
            let result = try AssertExecuteCommand(["replay", "--audit-log", day2] + extra)
            return result.stdout.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        }
        // Without history every secret read by the workload alerts (the default expects none).
        XCTAssertGreaterThan(try alerts([]).count, 20)
        let tuned = try alerts(["--audit-baseline", baseline])
        XCTAssertEqual(tuned.map { $0["rule_id"] as? String ?? "" }, ["k8s-secret-read", "k8s-abnormal-rate"], "\(tuned)")
        let first = (tuned.first?["output_fields"] as? [String: Any]) ?? [:]
        XCTAssertEqual(first["ka.auditid"] as? String, "first-seen")
        XCTAssertEqual(first["rw.first_seen"] as? String, "true")
        XCTAssertEqual(first["rw.actor"] as? String, "workload")
        XCTAssertEqual(tuned.first?["priority"] as? String, "Error", "first seen: one level up from Warning")
        let rate = (tuned.last?["output_fields"] as? [String: Any]) ?? [:]
        XCTAssertEqual(rate["rw.rate.learned_max"] as? Int, 5)
        XCTAssertEqual(rate["rw.rate.limit"] as? Int, 15)
        XCTAssertEqual(rate["rw.rate.count"] as? Int, 16, "raised once, when the hour passes the limit")
    }

    func testACorruptedBaselineIsReportedAndTheRunStartsWithAnEmptyOne() throws {
        let day1 = try write("day1.jsonl", benignDay("d1", offset: 0).prefix(7).joined(separator: "\n") + "\n")
        let baseline = path("baseline.json")
        try AssertExecuteCommand(["learn", "--audit-log", day1, "--audit-baseline", baseline])
        let text = try String(contentsOfFile: baseline, encoding: .utf8)
        let truncated = try write("truncated.json", String(text.prefix(text.count / 2)))
        let result = try AssertExecuteCommand(["replay", "--audit-log", day1, "--audit-baseline", truncated])
        XCTAssertTrue(result.stderr.contains("warning: --audit-baseline \(truncated): not a baseline (truncated or corrupted?)"), result.stderr)
        XCTAssertTrue(result.stderr.contains("starting with an empty baseline"), result.stderr)
        // An empty baseline: every alert is first seen.
        XCTAssertTrue(result.stdout.contains(#""rw.first_seen":"true""#), result.stdout)
        let missing = try AssertExecuteCommand(["replay", "--audit-log", day1, "--audit-baseline", path("nope.json")])
        XCTAssertTrue(missing.stderr.contains("nope.json: cannot read it"), missing.stderr)
    }
}
