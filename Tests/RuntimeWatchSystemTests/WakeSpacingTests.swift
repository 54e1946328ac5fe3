// SPDX-License-Identifier: Apache-2.0
// WakeSpacing: after a wake that found records the connect thread waits again no sooner than the
// interval after it; a wake that found nothing, and a zero interval, hold nothing back.

@testable import RuntimeWatchCapture
import XCTest

final class WakeSpacingTests: XCTestCase {
    private let ms: UInt64 = 1_000_000

    func testAWakeThatFoundRecordsHoldsTheNextWaitForWhatIsLeftOfTheInterval() {
        var spacing = WakeSpacing(interval: .milliseconds(1))
        XCTAssertEqual(spacing.pauseNanoseconds(now: 5 * ms), 0, "no wake yet: nothing to space")
        spacing.woke(at: 10 * ms, foundRecords: true)
        XCTAssertEqual(spacing.pauseNanoseconds(now: 10 * ms), ms)
        XCTAssertEqual(spacing.pauseNanoseconds(now: 10 * ms + 300_000), 700_000)
        XCTAssertEqual(spacing.pauseNanoseconds(now: 11 * ms), 0, "the interval is over")
        XCTAssertEqual(spacing.pauseNanoseconds(now: 30 * ms), 0)
    }

    func testAWakeThatFoundNothingHoldsNothingBack() {
        var spacing = WakeSpacing(interval: .milliseconds(1))
        spacing.woke(at: 10 * ms, foundRecords: true)
        spacing.woke(at: 10 * ms + 100_000, foundRecords: false)
        // A lone connect after a quiet wait is read as soon as it arrives.
        XCTAssertEqual(spacing.pauseNanoseconds(now: 10 * ms + 200_000), 0)
    }

    func testZeroIntervalNeverPauses() {
        var spacing = WakeSpacing(interval: .zero)
        spacing.woke(at: 10 * ms, foundRecords: true)
        XCTAssertEqual(spacing.pauseNanoseconds(now: 10 * ms), 0)
    }
}
