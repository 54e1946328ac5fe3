// SPDX-License-Identifier: Apache-2.0
// `runtime-watch run` live on this host (root only): health and metrics endpoints, SIGTERM,
// SIGHUP reload (a broken profile is refused, the old one stays), logrotate reopen, webhook.

import Foundation
import Synchronization
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class LiveRunTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        guard runningAsRoot else { throw XCTSkip("live `run` needs root (proc connector, /proc of every process)") }
    }

    /// Starts `run` with --listen on a free loopback port plus `arguments`, and waits for /healthz.
    private func startMonitor(_ arguments: [String]) throws -> (monitor: Subprocess, port: UInt16) {
        let port = try LoopbackSocket.freePort()
        let monitor = try Subprocess(binary, ["run", "--listen", "127.0.0.1:\(port)", "--no-token-watch"] + arguments)
        guard LiveHelpers.waitHealthy(port: port, monitor: monitor) else {
            let r = monitor.wait(timeout: 5)
            throw HarnessError("run never became healthy on :\(port) (exit \(r.exitCode))\n\(r.stderr)")
        }
        return (monitor, port)
    }

    /// SIGTERM, then expect exit 0 within 10 s.
    private func stop(_ monitor: Subprocess, file: StaticString = #filePath, line: UInt = #line) -> CommandResult {
        monitor.send(SIGTERM)
        let result = monitor.wait(timeout: 10)
        XCTAssertFalse(result.timedOut, "run did not stop within 10 s of SIGTERM", file: file, line: line)
        XCTAssertEqual(result.exitCode, 0, "run exit status after SIGTERM\n\(result.stderr)", file: file, line: line)
        return result
    }

    func testHealthMetricsAndSIGTERM() throws {
        let (monitor, port) = try startMonitor([])
        // Make sure some process events happen, then look at the counter.
        _ = try Subprocess.run("/bin/true", [], timeout: 5)
        var metrics = ""
        let counted = monitor.waitUntil(timeout: 10) {
            metrics = LiveHelpers.get("http://127.0.0.1:\(port)/metrics").body
            return Self.eventsTotal(in: metrics) > 0
        }
        XCTAssertTrue(counted, "runtime_watch_events_total never went above 0:\n\(metrics)")
        // Capture anomalies are shown from the start, each kind of each running source.
        for kind in ["malformed_datagram", "receive_error", "proc_file_issue", "resync", "late_event"] {
            let sample = #"runtime_watch_capture_anomalies_total{source="proc_connector",kind="\#(kind)"} "#
            XCTAssertTrue(metrics.split(separator: "\n").contains { $0.hasPrefix(sample) && Double($0.dropFirst(sample.count)) != nil },
                          "no \(sample)N line:\n\(metrics)")
        }
        XCTAssertEqual(LiveHelpers.get("http://127.0.0.1:\(port)/healthz").status, 200)
        let result = stop(monitor)
        XCTAssertTrue(result.stderr.contains("stopping"), result.stderr)
        // The listener is gone with the process.
        XCTAssertEqual(LiveHelpers.get("http://127.0.0.1:\(port)/healthz").status, 0)
    }

    /// Sum of every `runtime_watch_events_total{…} N` sample.
    static func eventsTotal(in metrics: String) -> Double {
        metrics.split(separator: "\n")
            .filter { $0.hasPrefix("runtime_watch_events_total") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0, +)
    }

    /// `run --record` onto a full disk: the failed write is an error naming the trace, the monitor
    /// stops, and the exit status says so (before, the write error was ignored and the run went on).
    func testRecordWriteFailureStopsTheRunWithAnError() throws {
        let monitor = try Subprocess(binary, ["run", "--listen", "off", "--no-token-watch", "--no-connect-watch", "--record", "/dev/full"])
        // The startup snapshot fills the 64 KiB trace buffer, or the 1 s flush writes what there
        // is: either write fails.
        let result = monitor.wait(timeout: 20)
        XCTAssertFalse(result.timedOut, "run went on after its trace could not be written")
        XCTAssertNotEqual(result.exitCode, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("cannot write the recorded trace"), result.stderr)
        XCTAssertTrue(result.stderr.contains("/dev/full") || result.stderr.contains("No space left"), result.stderr)
    }

    func testReloadRefusesBrokenProfileAndReopensOutput() throws {
        let profile = try write("profile.yaml", """
            version: 1
            allow:
              - rules: [unexpected-outbound-connection]
                host: true
                executable: /usr/bin/curl
            """)
        let alerts = path("alerts.jsonl")
        let (monitor, _) = try startMonitor(["--profile", profile, "--output", alerts])
        func alertsIn(_ file: String, port: UInt16) -> [[String: Any]] {
            reverseShellAlerts(in: (try? String(contentsOfFile: file, encoding: .utf8)) ?? "", port: port)
        }

        // 1. A reverse shell under the valid profile → one alert in the file.
        let first = try LiveHelpers.triggerDetectedReverseShell { alertsIn(alerts, port: $0).count >= 1 }
        XCTAssertEqual(alertsIn(alerts, port: first).count, 1, "first reverse shell: \(monitor.stderr)")

        // 2. Break the profile, SIGHUP → refused with line/column, still running.
        try write("profile.yaml", "version: 1\nallow:\n  - rules: [reverse-shell]\n      host: true\n")
        monitor.send(SIGHUP)
        let refused = monitor.waitUntil(timeout: 10) { monitor.stderr.contains("profile reload refused") }
        XCTAssertTrue(refused, "no refusal on stderr:\n\(monitor.stderr)")
        let refusal = monitor.stderr.split(separator: "\n").first { $0.contains("profile reload refused") }.map(String.init) ?? ""
        XCTAssertTrue(refusal.contains("\(profile):4:7: "), "refusal does not name file:line: \(refusal)")
        XCTAssertTrue(monitor.isRunning, "monitor exited after a refused reload")

        // 3. The monitor goes on detecting under the old profile: another shell → a second alert.
        let second = try LiveHelpers.triggerDetectedReverseShell { alertsIn(alerts, port: $0).count >= 1 }
        XCTAssertEqual(alertsIn(alerts, port: second).count, 1, "second reverse shell after refused reload: \(monitor.stderr)")

        // 4. logrotate: rename the file, SIGHUP → new alerts go to a fresh alerts.jsonl.
        try write("profile.yaml", "version: 1\n")
        let rotated = path("alerts.jsonl.1")
        try FileManager.default.moveItem(atPath: alerts, toPath: rotated)
        monitor.send(SIGHUP)
        XCTAssertTrue(monitor.waitUntil(timeout: 10) { monitor.stderr.contains("profile reloaded") }, monitor.stderr)
        XCTAssertTrue(monitor.waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: alerts) },
                      "SIGHUP did not reopen \(alerts)")
        let third = try LiveHelpers.triggerDetectedReverseShell { alertsIn(alerts, port: $0).count >= 1 }
        XCTAssertEqual(alertsIn(alerts, port: third).count, 1, "alert after rotation not in the new file")
        XCTAssertEqual(alertsIn(rotated, port: third).count, 0, "alert after rotation went to the rotated file")
        XCTAssertEqual(alertsIn(rotated, port: first).count + alertsIn(rotated, port: second).count, 2)
        _ = stop(monitor)
    }

    func testWebhookReceivesTheAlert() throws {
        let receiver = try WebhookReceiver(lifetime: 90)
        defer { receiver.stop() }
        let (monitor, _) = try startMonitor(["--webhook", "http://127.0.0.1:\(receiver.port)/", "--output", path("alerts.jsonl")])
        func posted(_ port: UInt16) -> [[String: Any]] {
            receiver.requests.flatMap { reverseShellAlerts(in: $0.body, port: port) }
        }
        let port = try LiveHelpers.triggerDetectedReverseShell { posted($0).count >= 1 }
        let fileAlerts = (try? String(contentsOfFile: path("alerts.jsonl"), encoding: .utf8)) ?? ""
        XCTAssertEqual(posted(port).count, 1, """
            shell port \(port); webhook requests: \(receiver.requests.map(\.requestLine)); \
            alerts in the file for it: \(reverseShellAlerts(in: fileAlerts, port: port).count)
            \(monitor.stderr)
            """)
        let request = receiver.requests.first { !reverseShellAlerts(in: $0.body, port: port).isEmpty }
        XCTAssertEqual(request?.requestLine, "POST / HTTP/1.1")
        _ = stop(monitor)
    }

    /// A receiver that accepts connections into its backlog and never answers: the alerts hang in
    /// flight. SIGTERM waits `--webhook-drain-seconds`, not the 10 s default or the request
    /// timeout, and the totals logged at exit account for every alert written to the file.
    func testWebhookDrainBoundsTheExitAndTheTotalsAccountForEveryAlert() throws {
        let hung = try LoopbackSocket.listen()
        defer { close(hung.fd) }
        let alerts = path("alerts.jsonl")
        let (monitor, _) = try startMonitor(["--webhook", "http://127.0.0.1:\(hung.port)/", "--webhook-drain-seconds", "1",
                                             "--output", alerts])
        _ = try LiveHelpers.triggerDetectedReverseShell { !reverseShellAlerts(in: (try? String(contentsOfFile: alerts, encoding: .utf8)) ?? "", port: $0).isEmpty }
        let began = Date()
        let result = stop(monitor)
        let took = Date().timeIntervalSince(began)
        XCTAssertLessThan(took, 6, "exit took \(took) s with a 1 s drain\n\(result.stderr)")
        let written = ((try? String(contentsOfFile: alerts, encoding: .utf8)) ?? "").split(separator: "\n").count
        let marker = "webhook output totals:"
        let totals = result.stderr.components(separatedBy: "\n").first { $0.contains(marker) }
            .flatMap { $0.components(separatedBy: marker).last } ?? ""
        let numbers = totals.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        // sent, retried, failed, dropped, then dropped by reason.
        XCTAssertEqual(numbers.count, 7, "no totals line:\n\(result.stderr)")
        guard numbers.count == 7 else { return }
        XCTAssertEqual(numbers[0], 0, "nothing can be sent to a receiver that never answers: \(totals)")
        XCTAssertEqual(numbers[2] + numbers[3], written, "failed + dropped must be every alert written: \(totals)")
        XCTAssertEqual(numbers[4] + numbers[5] + numbers[6], numbers[3], totals)
    }

    /// Issue 19: under a saturating webhook flood, `--duration` stopped the monitor only after it had
    /// judged its whole backlog (over a minute in a debug build), and batches were still acknowledged
    /// after "stopping". Now the stop is bounded (--stop-drain-seconds), a batch posted after it is
    /// refused with 503, and every acknowledged item is either judged (counted in a k8s-secret-read
    /// alert: distinct secrets, so 20 alerts and then one summary) or counted once as `k8s_audit/unprocessed_at_stop`, the same count
    /// in the drop alerts and in the final summary.
    func testStopUnderAWebhookFloodIsBoundedAndEveryAcknowledgedItemIsAccountedFor() throws {
        let alerts = path("alerts.jsonl")
        let (monitor, port) = try startMonitor(["--duration", "3", "--stop-drain-seconds", "1", "--no-connect-watch",
                                                "--queue-capacity", "40000", "--output", alerts])
        let started = Date()
        let counts = Mutex((accepted: 0, refused: 0, requests: 0))
        let flooders = (0..<4).map { worker in
            Thread {
                // Bounded: at most 400 batches of 100 per client, for at most 8 s.
                for batch in 0..<400 where Date().timeIntervalSince(started) < 8 {
                    let items = (0..<100).map { i in
                        let name = "s-\(worker)-\(batch)-\(i)"
                        return #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"\#(name)","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/shop/secrets/\#(name)","verb":"get","user":{"username":"mallory"},"sourceIPs":["192.0.2.1"],"objectRef":{"resource":"secrets","namespace":"shop","name":"\#(name)"},"responseStatus":{"code":200},"stageTimestamp":"2026-12-05T01:00:00.000001Z"}"#
                    }
                    guard let answer = LoopbackSocket.post(port: port, path: "/k8s-audit", body: #"{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":["# + items.joined(separator: ",") + "]}") else {
                        if !monitor.isRunning { return }
                        continue
                    }
                    let accepted = answer.status == 200
                        ? ((try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) as? [String: Any])?["accepted"] as? Int ?? -1_000_000
                        : 0
                    counts.withLock { $0.requests += 1; $0.accepted += accepted; if answer.status == 503 { $0.refused += 1 } }
                }
            }
        }
        for thread in flooders { thread.start() }
        // 3 s of duration, then at most 2 s for the sources and 1 s of drain; 6 s of slack for a busy CI machine.
        let result = monitor.wait(timeout: 12)
        let took = Date().timeIntervalSince(started)
        XCTAssertFalse(result.timedOut, "run --duration 3 under a flood did not exit within 12 s\n\(result.stderr.suffix(3000))")
        XCTAssertEqual(result.exitCode, 0, result.stderr.suffix(3000).description)
        Thread.sleep(forTimeInterval: 0.5)   // the flooders see the closed port and end
        let final = counts.withLock { $0 }
        XCTAssertGreaterThan(final.refused, 0, "the flood saturated the queue (503s): \(final)")
        XCTAssertGreaterThan(final.accepted, 0, "\(final)")

        let lines = ((try? String(contentsOfFile: alerts, encoding: .utf8)) ?? "").split(separator: "\n")
        let objects = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        // One user reading distinct secrets: the first 20 (flood_burst) are alerts of their own, the
        // rest of the fold window is one summary whose `count` keeps how many it stands for.
        let secretReads = objects.filter { ($0["rule_id"] as? String) == "k8s-secret-read" }
        let judged = secretReads.reduce(0) { $0 + (($1["count"] as? Int) ?? 1) }
        XCTAssertLessThanOrEqual(secretReads.count, 21, "the flood is summarised, not one line per item")
        if judged > 20 {
            XCTAssertEqual(secretReads.filter { (($0["output_fields"] as? [String: Any])?["rw.summary.targets"]) != nil }.count, 1,
                           "one summary alert")
        }
        let dropAlerts = objects.filter { ($0["rule_id"] as? String) == "internal-event-drop" }
        // Audit items only: process events this host makes meanwhile are counted under their own source.
        let dropCause = "k8s_audit/unprocessed_at_stop="
        let droppedInAlerts = dropAlerts.flatMap { (($0["output_fields"] as? [String: Any])?["drop.causes"] as? [String]) ?? [] }
            .filter { $0.hasPrefix(dropCause) }.compactMap { Int($0.dropFirst(dropCause.count)) }.reduce(0, +)
        let summary = result.stderr.components(separatedBy: "\n").first { $0.contains("stopped:") } ?? ""
        let droppedInSummary = summary.components(separatedBy: dropCause).dropFirst().first
            .flatMap { Int($0.prefix(while: \.isNumber)) } ?? 0
        XCTAssertEqual(droppedInAlerts, droppedInSummary, "drop alerts and summary agree: \(summary)")
        XCTAssertEqual(judged + droppedInSummary, final.accepted,
                       "every acknowledged item is judged or counted dropped (judged \(judged), dropped \(droppedInSummary), accepted \(final.accepted), took \(took) s)\n\(summary)")
        print("webhook flood: \(final.requests) posts, \(final.accepted) items acknowledged, \(final.refused) batches refused (503); judged \(judged), dropped at stop \(droppedInSummary); exit after \(String(format: "%.1f", took)) s")
    }
}
