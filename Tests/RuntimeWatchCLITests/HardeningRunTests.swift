// SPDX-License-Identifier: Apache-2.0
// `run` hardened (the default) still serves /healthz and /metrics, and a refused syscall (the
// test-only trigger RW_TEST_FORBIDDEN_SYSCALL) shows up in /metrics, in the log and as an
// `internal-syscall-refused` alert on stdout. `--no-harden` leaves the process unconfined. Root only.

import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

final class HardeningRunTests: CLITestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        guard runningAsRoot else { throw XCTSkip("live `run` needs root (proc connector, /proc of every process)") }
    }

    /// `run` through /usr/bin/env (which execs it, so the pid is the monitor's) with `environment`.
    private func startMonitor(_ arguments: [String], environment: [String] = []) throws -> (monitor: Subprocess, port: UInt16) {
        let port = try LoopbackSocket.freePort()
        let monitor = try Subprocess("/usr/bin/env", environment + [binary, "run", "--listen", "127.0.0.1:\(port)", "--no-token-watch",
                                                                    "--no-connect-watch", "--duration", "60"] + arguments)
        guard LiveHelpers.waitHealthy(port: port, monitor: monitor) else {
            let r = monitor.wait(timeout: 5)
            throw HarnessError("run never became healthy on :\(port) (exit \(r.exitCode))\n\(r.stderr)")
        }
        return (monitor, port)
    }

    private func status(of pid: pid_t) -> String { (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? "" }

    func testRefusalIsCountedInMetricsLoggedAndAlertedWhileHealthzStaysUp() throws {
        let (monitor, port) = try startMonitor([], environment: ["RW_TEST_FORBIDDEN_SYSCALL=500"])
        var metrics = ""
        let counted = monitor.waitUntil(timeout: 15) {
            metrics = LiveHelpers.get("http://127.0.0.1:\(port)/metrics").body
            return metrics.contains("runtime_watch_seccomp_refusals_total{syscall=\"unshare\"} 1")
        }
        XCTAssertTrue(counted, "no refusal metric:\n\(metrics)\n\(monitor.stderr)")
        XCTAssertEqual(LiveHelpers.get("http://127.0.0.1:\(port)/healthz").status, 200, "healthy after hardening and a refusal")
        XCTAssertTrue(status(of: monitor.pid).contains("Seccomp:\t2"), status(of: monitor.pid))
        monitor.send(SIGTERM)
        let result = monitor.wait(timeout: 10)
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        XCTAssertTrue(result.stderr.contains("seccomp refused syscall unshare"), result.stderr)
        let alerts = jsonObjects(result.stdout).filter { $0["rule_id"] as? String == "internal-syscall-refused" }
        XCTAssertEqual(alerts.count, 1, result.stdout)
        XCTAssertEqual((alerts.first?["output_fields"] as? [String: Any])?["syscall.type"] as? String, "unshare")
    }

    func testNoHardenKeepsCapabilitiesAndInstallsNoFilter() throws {
        let (monitor, _) = try startMonitor(["--no-harden"], environment: ["RW_TEST_FORBIDDEN_SYSCALL=200"])
        XCTAssertTrue(monitor.waitUntil(timeout: 10) { monitor.stderr.contains("test trigger") }, monitor.stderr)
        let text = status(of: monitor.pid)
        XCTAssertTrue(text.contains("Seccomp:\t0"), text)
        XCTAssertTrue(text.contains("NoNewPrivs:\t0"), text)
        let capEff = text.split(separator: "\n").first { $0.hasPrefix("CapEff:") }
            .flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) } ?? 0
        XCTAssertNotEqual(capEff & (1 << 21), 0, "CAP_SYS_ADMIN still held without hardening: \(text)")
        XCTAssertTrue(monitor.stderr.contains("unshare(0) succeeded"), monitor.stderr)
        XCTAssertTrue(monitor.stderr.contains("hardening off (--no-harden)"), monitor.stderr)
        monitor.send(SIGTERM)
        XCTAssertEqual(monitor.wait(timeout: 10).exitCode, 0)
    }
}
