// SPDX-License-Identifier: Apache-2.0
// Audit switched on for the length of a live test: the kernel logs records (user messages, rule
// matches) only while audit is enabled, and a node that had it off gets it off again.

import RuntimeWatchSystem
import XCTest

/// Runs `body` with audit enabled through `control`, restoring the flag after when it was off.
/// Skips the test when audit is locked (`enabled=2`: nothing can be changed until reboot).
/// - Parameter needs: what the test needs audit for, said in the skip message.
func withAuditEnabled<R>(_ control: AuditNetlinkControl, needs: String, _ body: () throws -> R) throws -> R {
    let before = try control.status().enabled
    if before == 2 { throw XCTSkip("audit is locked (enabled=2): \(needs)") }
    if before == 0 { try control.setEnabled(true) }
    defer { if before == 0 { try? control.setEnabled(false) } }
    return try body()
}
