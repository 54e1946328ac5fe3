// SPDX-License-Identifier: Apache-2.0
// The record of loaded audit task exemptions: what a start reads back from the lease file decides
// which rules it deletes, so anything but a positive pid per line is dropped.

@testable import RuntimeWatchCapture
import XCTest

final class ExemptedPIDsTests: XCTestCase {
    func testTextRoundTripsInOrderWithoutDuplicates() {
        var listed = ExemptedPIDs()
        listed.insert(4_000)
        listed.insert(12)
        listed.insert(4_000)
        XCTAssertEqual(listed.text, "4000\n12\n")
        XCTAssertEqual(ExemptedPIDs(parsing: listed.text), listed)
        listed.remove(4_000)
        XCTAssertEqual(listed.pids, [12])
        listed.remove(12)
        XCTAssertEqual(listed.text, "")
    }

    func testUnreadableLinesAreDropped() {
        let parsed = ExemptedPIDs(parsing: "17\n\n0\n-5\nabc\n 9\n99999999999\n17\n23")
        XCTAssertEqual(parsed.pids, [17, 23])
        XCTAssertEqual(ExemptedPIDs(parsing: "").pids, [])
    }
}
