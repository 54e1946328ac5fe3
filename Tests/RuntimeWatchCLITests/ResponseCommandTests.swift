// SPDX-License-Identifier: Apache-2.0
// The CLI side of responses: `hardening --profile` keeps CAP_KILL only for a `respond: kill`, says
// what freezing needs, and refuses a malformed `respond` with file:line:column; `thaw` refuses
// something that is not a container id; `replay` never acts, whatever the profile says.

import Foundation
import XCTest

final class ResponseCommandTests: CLITestCase {
    private func profile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rw-response-\(UUID().uuidString).yaml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func kept(_ stdout: String) -> [String] {
        var inKept = false, names: [String] = []
        for line in stdout.split(separator: "\n") {
            if !line.hasPrefix(" ") { inKept = line.hasPrefix("capabilities kept after start-up"); continue }
            if inKept, line.hasPrefix("  CAP_"), let colon = line.firstIndex(of: ":") {
                names.append(String(line[line.index(line.startIndex, offsetBy: 2)..<colon]))
            }
        }
        return names
    }

    func testHardeningKeepsCapKillOnlyForAKillResponse() throws {
        let freeze = try profile("version: 1\nresponses: {rules: {service-account-token-read: {respond: freeze}}}\n")
        let kill = try profile("version: 1\nresponses: {rules: {reverse-shell: {respond: kill, respond_dry_run: true}}}\n")
        let none = try AssertExecuteCommand(["hardening"])
        XCTAssertFalse(kept(none.stdout).contains("CAP_KILL"), none.stdout)
        XCTAssertTrue(none.stdout.contains("responses: none configured (CAP_KILL dropped)"), none.stdout)
        let withFreeze = try AssertExecuteCommand(["hardening", "--profile", freeze])
        XCTAssertFalse(kept(withFreeze.stdout).contains("CAP_KILL"), "freezing needs no capability:\n\(withFreeze.stdout)")
        XCTAssertTrue(withFreeze.stdout.contains("responses: service-account-token-read=freeze"), withFreeze.stdout)
        XCTAssertTrue(withFreeze.stdout.contains("freeze writes cgroup.freeze"), withFreeze.stdout)
        let withKill = try AssertExecuteCommand(["hardening", "--profile", kill])
        XCTAssertEqual(kept(withKill.stdout), ["CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE", "CAP_AUDIT_CONTROL", "CAP_KILL"], withKill.stdout)
        XCTAssertTrue(withKill.stdout.contains("responses: reverse-shell=kill (dry run)"), withKill.stdout)
        XCTAssertTrue(withKill.stdout.contains("  kill response — "), "the kill syscall is allowed only here:\n\(withKill.stdout)")
        XCTAssertFalse(withFreeze.stdout.contains("  kill response — "), withFreeze.stdout)
    }

    func testMalformedRespondIsRefusedWithFileLineColumn() throws {
        let bad = try profile("version: 1\nresponses:\n  rules:\n    reverse-shell: {respond: quarantine}\n")
        let result = try AssertExecuteCommand(["hardening", "--profile", bad], expectedExitCode: 1)
        XCTAssertTrue(result.stderr.contains("\(bad):4:30: unknown response 'quarantine'"), result.stderr)
    }

    func testThawRefusesSomethingThatIsNotAContainerID() throws {
        let result = try AssertExecuteCommand(["thaw", "web-0"], expectedExitCode: 64)
        XCTAssertTrue(result.stderr.contains("is not a container id"), result.stderr)
    }

    func testReplayNeverActsEvenWithARespondProfile() throws {
        let trace = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("RuntimeWatchCoreTests/Fixtures/runc-pod-attack.jsonl").path
        let freeze = try profile("version: 1\nresponses: {rules: {service-account-token-read: {respond: freeze}, reverse-shell: {respond: kill}}}\n")
        let result = try AssertExecuteCommand(["replay", trace, "--profile", freeze])
        let rules = result.stdout.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["rule_id"] as? String
        }
        XCTAssertTrue(rules.contains("service-account-token-read") && rules.contains("reverse-shell"), "the trace alerts: \(rules)")
        XCTAssertFalse(rules.contains("response-taken"), "replay has no executor: \(rules)")
    }
}
