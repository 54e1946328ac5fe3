// SPDX-License-Identifier: Apache-2.0
// The monitor raises its soft open-file limit to the hard limit at start (fanotify denies watched
// opens when the monitor runs out of descriptors). Lowering one's own soft limit and raising it
// back needs no privilege, so this runs as any user.

import Foundation
import XCTest
@testable import RuntimeWatchSystem

final class DescriptorLimitTests: XCTestCase {
    private func current() -> rlimit {
        var l = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &l), 0)
        return l
    }

    func testRaisesALoweredSoftLimitToTheHardLimit() throws {
        let original = current()
        defer {
            var restore = original
            XCTAssertEqual(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &restore), 0, "the test restores the limit it changed")
        }
        var lowered = original
        lowered.rlim_cur = 256
        XCTAssertEqual(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lowered), 0)

        let change = try DescriptorLimit.raiseSoftToHard()
        let expected = original.rlim_max == rlim_t.max ? DescriptorLimit.ceilingWhenUnlimited : UInt64(original.rlim_max)
        XCTAssertEqual(change.softBefore, 256)
        XCTAssertEqual(change.soft, expected)
        XCTAssertTrue(change.raised)
        XCTAssertEqual(UInt64(current().rlim_cur), expected, "the process's soft limit is what the change says")

        // Already at the hard limit: nothing to do, nothing claimed.
        let again = try DescriptorLimit.raiseSoftToHard()
        XCTAssertFalse(again.raised)
        XCTAssertEqual(again.soft, expected)
    }
}
