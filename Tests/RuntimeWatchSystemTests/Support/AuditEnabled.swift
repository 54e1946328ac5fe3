// SPDX-License-Identifier: Apache-2.0
// Audit switched on for the length of a live test: the kernel logs records (user messages, rule
// matches) only while audit is enabled, and a node that had it off gets it off again. The flag is
// host-wide, so the test holds the lease monitors hold on it (/run/runtime-watch/audit-flags.lease):
// the first holder in saves what it found and only the last one out restores it. A monitor or
// another test run on the same host then never has audit switched off under it.

@testable import RuntimeWatchCapture
import RuntimeWatchSystem
import XCTest

/// Runs `body` with audit enabled through `control`, restoring the flag after when it was off and
/// no other holder of the host's audit-flags lease is left. The steps are the ones monitors take
/// (`SavedAuditFlags.turnOn`, `restoreIfLast`): another holder already turned audit on.
/// Skips the test when audit is locked (`enabled=2`: nothing can be changed until reboot).
/// - Parameter needs: what the test needs audit for, said in the skip message.
func withAuditEnabled<R>(_ control: AuditNetlinkControl, needs: String, _ body: () throws -> R) throws -> R {
    let directory = try XCTUnwrap(ConnectCapture.Configuration().leaseDirectory)
    let lease = try SharedLease(path: directory + "/" + SavedAuditFlags.leaseFile)
    defer { lease.release() }
    try lease.exclusively {
        let status = try control.status()
        if status.enabled == 2 { throw XCTSkip("audit is locked (enabled=2): \(needs)") }
        // Another holder (a monitor, another test run) enabled it and saved what it found.
        guard try !lease.othersHold() else { return }
        _ = try SavedAuditFlags.turnOn(control, found: status, minimumBacklog: nil, savingIn: lease)
    }
    defer { _ = try? lease.exclusively { try SavedAuditFlags.restoreIfLast(lease, using: control) } }
    return try body()
}
