// SPDX-License-Identifier: Apache-2.0
// What the hardened monitor can still do at exit, and the other refusal mode: with only its
// steady-state capabilities it must still delete its connect audit rule when stopped (why
// CAP_AUDIT_CONTROL is kept), and `--seccomp-action kill` must kill it on the first syscall
// outside the filter (reached through the test-only trigger RW_TEST_FORBIDDEN_SYSCALL).

import Foundation
import Glibc
import RuntimeWatchSystem
import XCTest

final class HardeningExitLiveTests: XCTestCase {
    private func startMonitor(_ scratch: TemporaryDirectory, arguments: [String], environment: [String: String] = [:]) throws -> MonitorProcess {
        try scratch.makeDirectory("kubelet")
        return try MonitorProcess(binary: try runtimeWatchBinary(), kubeletRoot: scratch.at("kubelet"), scratch: scratch, profiles: [],
                                  maxSeconds: 60, extraArguments: arguments, environment: environment)
    }

    func testHardenedMonitorStillDeletesItsAuditRuleAtExit() throws {
        try requireRoot("hardening exit live tests")
        let scratch = try TemporaryDirectory(prefix: "rw-harden-exit")
        defer { scratch.remove() }
        // Monitors on one host share the rule (leases in /run/runtime-watch): with another one running
        // the last one out deletes it, so the deletion can only be checked alone (as in CI).
        let ruleLease = try SharedLease(path: "/run/runtime-watch/connect-rule-runtime-watch.lease")
        defer { ruleLease.release() }
        if try ruleLease.othersHold() {
            throw XCTSkip("another runtime-watch on this host shares the connect audit rule; run alone to check its deletion at exit")
        }
        ruleLease.release()
        let monitor = try startMonitor(scratch, arguments: ["--no-token-watch"])
        let control = try AuditNetlinkControl()
        defer { control.close() }
        XCTAssertEqual(try control.countRules(key: "runtime-watch"), 1, "the running monitor's connect rule")
        XCTAssertTrue(monitor.log.contains("hardened: kept CAP_DAC_READ_SEARCH,CAP_SYS_PTRACE,CAP_AUDIT_CONTROL"), monitor.log)
        monitor.stop()
        XCTAssertEqual(monitor.process.terminationStatus, 0, "clean exit:\n\(monitor.log)")
        XCTAssertEqual(try control.countRules(key: "runtime-watch"), 0, "the hardened monitor deleted its audit rule at exit:\n\(monitor.log)")
    }

    func testKillActionKillsTheMonitorOnAForbiddenSyscall() throws {
        try requireRoot("hardening exit live tests")
        let scratch = try TemporaryDirectory(prefix: "rw-harden-kill")
        defer { scratch.remove() }
        let monitor = try startMonitor(scratch, arguments: ["--no-token-watch", "--no-connect-watch", "--seccomp-action", "kill"],
                                       environment: ["RW_TEST_FORBIDDEN_SYSCALL": "500"])
        defer { monitor.stop() }
        XCTAssertTrue(waitUntil(timeout: .seconds(15)) { !monitor.process.isRunning }, "still running 15 s after the trigger")
        XCTAssertEqual(monitor.process.terminationReason, .uncaughtSignal, monitor.log)
        XCTAssertEqual(monitor.process.terminationStatus, SIGSYS, "killed by the seccomp filter (SIGSYS):\n\(monitor.log)")
        XCTAssertFalse(monitor.log.contains("test trigger (RW_TEST_FORBIDDEN_SYSCALL)"), "the trigger never returned")
    }
}
