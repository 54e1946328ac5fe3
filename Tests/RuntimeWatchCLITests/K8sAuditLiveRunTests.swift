// SPDX-License-Identifier: Apache-2.0
// `runtime-watch run` live (root only) with both audit inputs: an --audit-log file that grows
// while the monitor runs (followed from its end, so older lines are not re-alerted) and an
// EventList POSTed to /k8s-audit with the real curl. Alerts appear on stdout next to the runtime ones.

import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class K8sAuditLiveRunTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        guard runningAsRoot else { throw XCTSkip("live `run` needs root (proc connector, /proc of every process)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else { throw XCTSkip("needs /usr/bin/curl") }
    }

    static func event(_ id: String, user: String, time: String) -> String {
        #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"\#(id)","stage":"ResponseComplete","requestURI":"/api/v1/secrets?limit=500","verb":"list","user":{"username":"\#(user)","groups":["system:authenticated"]},"sourceIPs":["192.0.2.10"],"userAgent":"kubectl/v1.31.2","objectRef":{"resource":"secrets","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"\#(time)","stageTimestamp":"\#(time)","annotations":{"authorization.k8s.io/decision":"allow"}}"#
    }

    func testAuditLogFollowAndWebhookAlertLive() throws {
        let log = try write("audit.log", Self.event("old-1", user: "before-start", time: "2026-11-20T08:00:00.000000Z") + "\n")
        let port = try LoopbackSocket.freePort()
        let monitor = try Subprocess(binary, ["run", "--listen", "127.0.0.1:\(port)", "--no-token-watch", "--audit-log", log,
                                              "--duration", "60"])
        guard LiveHelpers.waitHealthy(port: port, monitor: monitor) else {
            let r = monitor.wait(timeout: 5)
            throw HarnessError("run never became healthy on :\(port) (exit \(r.exitCode))\n\(r.stderr)")
        }
        // The follower starts at the end of the file: give it a moment to open it, then append.
        XCTAssertTrue(monitor.waitUntil(timeout: 10) { monitor.stderr.contains("following audit log") }, monitor.stderr)
        try? FileManager.default.removeItem(atPath: path("unused"))
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try h.seekToEnd()
        try h.write(contentsOf: Data((Self.event("file-1", user: "from-file", time: "2026-11-20T09:00:00.000000Z") + "\n").utf8))
        try h.close()

        let batch = #"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":["#
            + Self.event("hook-1", user: "from-webhook", time: "2026-11-20T09:00:01.000000Z") + #",{"kind":"Event"}]}"#
        let body = try write("batch.json", batch)
        let curl = try Subprocess.run("/usr/bin/curl", ["-sS", "--max-time", "10", "-X", "POST", "-H", "Content-Type: application/json",
                                                        "--data-binary", "@" + body, "http://127.0.0.1:\(port)/k8s-audit"], timeout: 15)
        XCTAssertEqual(curl.exitCode, 0, curl.stderr)
        XCTAssertTrue(curl.stdout.contains(#""accepted":1"#), curl.stdout)
        XCTAssertTrue(curl.stdout.contains(#""position":"items[1]""#), curl.stdout)

        func users() -> [String] {
            jsonObjects(monitor.stdout).filter { $0["rule_id"] as? String == "k8s-secrets-listed-all-namespaces" }
                .compactMap { ($0["output_fields"] as? [String: Any])?["ka.user.name"] as? String }
        }
        XCTAssertTrue(monitor.waitUntil(timeout: 15) { Set(users()) == ["from-file", "from-webhook"] }, "alerts: \(users())\n\(monitor.stderr)")
        let metrics = LiveHelpers.get("http://127.0.0.1:\(port)/metrics").body
        XCTAssertTrue(metrics.contains(#"runtime_watch_k8s_audit_malformed_total{source="webhook"} 1"#), metrics)
        monitor.send(SIGTERM)
        let result = monitor.wait(timeout: 10)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertEqual(users().sorted(), ["from-file", "from-webhook"], "the line written before start is not re-read")
    }
}
