// SPDX-License-Identifier: Apache-2.0
// WakeSpacing: under a stream of events (a wake that read two or more, or came within half an
// interval of the last busy one) the connect thread waits again no sooner than the interval after
// its last wake; events coming about once an interval or less often, a wake that read nothing, and a
// zero interval hold nothing back.

@testable import RuntimeWatchCapture
import XCTest

final class WakeSpacingTests: XCTestCase {
    private let ms: UInt64 = 1_000_000

    func testAWakeThatReadSeveralEventsHoldsTheNextWaitForWhatIsLeftOfTheInterval() {
        var spacing = WakeSpacing(interval: .milliseconds(1))
        XCTAssertEqual(spacing.pauseNanoseconds(now: 5 * ms), 0, "no wake yet: nothing to space")
        spacing.woke(at: 10 * ms, events: 3)
        XCTAssertEqual(spacing.pauseNanoseconds(now: 10 * ms), ms)
        XCTAssertEqual(spacing.pauseNanoseconds(now: 10 * ms + 300_000), 700_000)
        XCTAssertEqual(spacing.pauseNanoseconds(now: 11 * ms), 0, "the interval is over")
        XCTAssertEqual(spacing.pauseNanoseconds(now: 30 * ms), 0)
    }

    func testOneEventAWakeIsAStreamOnlyWhenWakesComeWithinHalfAnInterval() {
        var spacing = WakeSpacing(interval: .milliseconds(1))
        // About one event a millisecond: each is read as it comes.
        spacing.woke(at: 10 * ms, events: 1)
        XCTAssertEqual(spacing.pauseNanoseconds(now: 10 * ms + 50_000), 0, "a lone event holds nothing back")
        spacing.woke(at: 11 * ms, events: 1)
        XCTAssertEqual(spacing.pauseNanoseconds(now: 11 * ms + 50_000), 0)
        // One every 0.3 ms: the next wait waits for the interval.
        spacing.woke(at: 11 * ms + 300_000, events: 1)
        XCTAssertEqual(spacing.pauseNanoseconds(now: 11 * ms + 350_000), 950_000)
    }

    func testAWakeThatReadNothingEndsTheStream() {
        var spacing = WakeSpacing(interval: .milliseconds(1))
        spacing.woke(at: 10 * ms, events: 4)
        spacing.woke(at: 10 * ms + 100_000, events: 0)
        // A lone connect after a quiet wait is read as soon as it arrives.
        XCTAssertEqual(spacing.pauseNanoseconds(now: 10 * ms + 200_000), 0)
        spacing.woke(at: 12 * ms, events: 1)
        XCTAssertEqual(spacing.pauseNanoseconds(now: 12 * ms + 10_000), 0)
    }

    func testZeroIntervalNeverPauses() {
        var spacing = WakeSpacing(interval: .zero)
        spacing.woke(at: 10 * ms, events: 5)
        XCTAssertEqual(spacing.pauseNanoseconds(now: 10 * ms), 0)
    }
}
