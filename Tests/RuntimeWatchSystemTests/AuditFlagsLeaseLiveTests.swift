// SPDX-License-Identifier: Apache-2.0
// Live: the audit-flags steps every holder of the lease takes (ConnectCapture and the tests'
// `withAuditEnabled` share them): the first in changes the flags and saves what it found, the last
// out restores it, and a holder leaving while another stays changes nothing. Shown on the backlog
// limit, raised by one and put back, so audit itself stays on for whatever else runs on the host.
// Root only (CAP_AUDIT_CONTROL).

@testable import RuntimeWatchCapture
import RuntimeWatchSystem
import XCTest

final class AuditFlagsLeaseLiveTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("the audit backlog limit")
    }

    func testFirstInSavesWhatItFoundAndOnlyTheLastOutRestoresIt() throws {
        let control = try AuditNetlinkControl()
        defer { control.close() }
        try withAuditEnabled(control, needs: "the flags are locked") {
            let found = try control.status()
            if found.backlogLimit == 0 { throw XCTSkip("the backlog limit is unlimited (0): nothing to raise") }
            // A lease file of this test's own: the host's is held by `withAuditEnabled` around it.
            let scratch = try TemporaryDirectory(prefix: "rw-flags")
            defer { scratch.remove() }
            let first = try SharedLease(path: scratch.path + "/flags.lease")
            defer { first.release() }
            let raised = found.backlogLimit + 1

            let changed = try first.exclusively {
                try SavedAuditFlags.turnOn(control, found: found, minimumBacklog: raised, savingIn: first)
            }
            XCTAssertEqual(changed, SavedAuditFlags(enabled: nil, backlog: found.backlogLimit), "audit was on: only the backlog changed")
            XCTAssertEqual(try control.status().backlogLimit, raised)
            XCTAssertEqual(first.savedState(), "enabled=-\nbacklog=\(found.backlogLimit)\n")

            let second = try SharedLease(path: scratch.path + "/flags.lease")
            try first.exclusively { try SavedAuditFlags.restoreIfLast(first, using: control) }
            XCTAssertEqual(try control.status().backlogLimit, raised, "another holder stays: nothing is restored")
            XCTAssertEqual(first.savedState(), "enabled=-\nbacklog=\(found.backlogLimit)\n", "and what was found stays saved")

            second.release()
            try first.exclusively { try SavedAuditFlags.restoreIfLast(first, using: control) }
            XCTAssertEqual(try control.status().backlogLimit, found.backlogLimit, "the last out restores what the first found")
            XCTAssertEqual(first.savedState(), "", "and clears it")
        }
    }
}
