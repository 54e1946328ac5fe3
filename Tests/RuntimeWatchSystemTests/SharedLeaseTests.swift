// SPDX-License-Identifier: Apache-2.0
// SharedLease over real OFD locks: who else holds the lease, what the first holder saved, and that
// a released (or dead: the kernel closes its file) holder no longer counts. No root needed.

import RuntimeWatchSystem
import XCTest

final class SharedLeaseTests: XCTestCase {
    func testHoldersSeeEachOtherUntilOneReleases() throws {
        let directory = try TemporaryDirectory(prefix: "rw-lease")
        defer { directory.remove() }
        let path = directory.at("sub/shared.lease")   // the directory is created on demand
        let first = try SharedLease(path: path)
        XCTAssertFalse(try first.othersHold(), "alone: first in")
        let second = try SharedLease(path: path)
        XCTAssertTrue(try first.othersHold())
        XCTAssertTrue(try second.othersHold())

        second.release()
        XCTAssertFalse(try first.othersHold(), "a released holder no longer counts")
        second.release()   // idempotent
        first.release()
    }

    func testTheFirstHoldersStateIsReadByTheLastOne() throws {
        let directory = try TemporaryDirectory(prefix: "rw-lease")
        defer { directory.remove() }
        let path = directory.at("shared.lease")
        let first = try SharedLease(path: path)
        try first.exclusively { try first.save("enabled=0\nbacklog=64\n") }
        let last = try SharedLease(path: path)
        first.release()
        XCTAssertEqual(last.savedState(), "enabled=0\nbacklog=64\n")
        try last.save("")
        XCTAssertEqual(last.savedState(), "")
        last.release()
    }

    func testAnUnwritableDirectoryIsAClearError() throws {
        XCTAssertThrowsError(try SharedLease(path: "/proc/rw-no-such-dir/x.lease")) { error in
            XCTAssertTrue("\(error)".contains("lease_open"), "\(error)")
        }
    }
}
