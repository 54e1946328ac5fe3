// SPDX-License-Identifier: Apache-2.0
// When a capture thread wakes the drive loop (DeferredHandOff): at once for records after a quiet
// spell (connects and token opens), within the window under a storm, at once when the thread has
// nothing more to read, and never a record left waiting. The consumer is a real CaptureQueue
// consumer blocked in `next()`. No root needed.

import RuntimeWatchCore
@testable import RuntimeWatchCapture
import XCTest

final class DeferredHandOffTests: XCTestCase {
    private let ms: UInt64 = 1_000_000

    func testZeroWindowWakesForEveryRecord() {
        var handOff = DeferredHandOff(window: .zero, wakesAfterQuiet: true)
        XCTAssertTrue(handOff.wakesFor(recordAt: 5 * ms))
        XCTAssertTrue(handOff.wakesFor(recordAt: 5 * ms + 1))
        XCTAssertNil(handOff.waitingSince)
        XCTAssertEqual(handOff.sleepNanoseconds(idle: 100 * ms, now: 6 * ms), 100 * ms)
    }

    func testAfterAQuietSpellTheLotReadInOneGoIsHandedOffAtOnce() {
        let queue = CaptureQueue(capacity: 16)
        var handOff = DeferredHandOff(window: .milliseconds(1), wakesAfterQuiet: true)
        // Two records read in one go after a long quiet: not a wake each, one for both at the end.
        XCTAssertFalse(handOff.wakesFor(recordAt: 50 * ms))
        XCTAssertFalse(handOff.wakesFor(recordAt: 50 * ms + 10_000))
        XCTAssertEqual(handOff.waitingSince, 50 * ms)
        handOff.handOffIfDue(now: 50 * ms + 20_000, idle: false, to: queue)
        XCTAssertNil(handOff.waitingSince, "handed off without waiting for the window")

        // The next record comes 0.3 ms later: a storm; it waits for the window.
        XCTAssertFalse(handOff.wakesFor(recordAt: 50 * ms + 300_000))
        handOff.handOffIfDue(now: 50 * ms + 310_000, idle: false, to: queue)
        XCTAssertEqual(handOff.waitingSince, 50 * ms + 300_000, "within the window it waits")
        // The thread sleeps no longer than until it is due, and the deadline says the same.
        XCTAssertEqual(handOff.sleepNanoseconds(idle: 100 * ms, now: 50 * ms + 400_000), 900_000)
        XCTAssertEqual(handOff.deadline(200 * ms), 51 * ms + 300_000)
        XCTAssertEqual(handOff.deadline(51 * ms), 51 * ms, "an earlier deadline stays")
        // More records within the window join it; it is handed off once due.
        XCTAssertFalse(handOff.wakesFor(recordAt: 50 * ms + 900_000))
        handOff.handOffIfDue(now: 51 * ms + 299_999, idle: false, to: queue)
        XCTAssertNotNil(handOff.waitingSince)
        XCTAssertEqual(handOff.sleepNanoseconds(idle: 100 * ms, now: 51 * ms + 400_000), 0, "overdue: no sleep")
        handOff.handOffIfDue(now: 51 * ms + 300_000, idle: false, to: queue)
        XCTAssertNil(handOff.waitingSince)
    }

    func testAThreadWithNothingMoreToReadHandsOffAtOnce() {
        let queue = CaptureQueue(capacity: 16)
        var handOff = DeferredHandOff(window: .milliseconds(10), wakesAfterQuiet: false)
        XCTAssertFalse(handOff.wakesFor(recordAt: 100 * ms))
        handOff.handOffIfDue(now: 100 * ms + 1, idle: false, to: queue)
        XCTAssertNotNil(handOff.waitingSince, "without wakesAfterQuiet a record after a quiet spell waits too")
        handOff.handOffIfDue(now: 101 * ms, idle: true, to: queue)
        XCTAssertNil(handOff.waitingSince)
        // Nothing waiting: an idle call wakes nobody and the thread sleeps its idle time.
        handOff.handOffIfDue(now: 102 * ms, idle: true, to: queue)
        XCTAssertEqual(handOff.sleepNanoseconds(idle: 100 * ms, now: 102 * ms), 100 * ms)
    }

    /// The consumer, asleep in `next()`, is not woken by records queued without a wake, and gets
    /// them all once the hand-off is made.
    func testTheWaitingConsumerGetsEveryRecordAtTheHandOff() async throws {
        let queue = CaptureQueue(capacity: 16)
        let outlet = CaptureOutlet(queue: queue, source: "connect")
        let received = AsyncStream<Int>.makeStream()
        let consumer = Task {
            var n = 0
            while let item = await queue.next() {
                if case .event = item { n += 1; received.continuation.yield(n) }
            }
            received.continuation.finish()
        }
        var handOff = DeferredHandOff(window: .milliseconds(10), wakesAfterQuiet: false)
        // Bounded: should the hand-off not wake the consumer, the queue is finished after 10 s and
        // the records missing are a failure, not a hang.
        let watchdog = Task { try await Task.sleep(for: .seconds(10)); queue.finish() }
        defer { watchdog.cancel() }
        // Let the consumer block first (a record queued before it waits would be taken anyway).
        var polls = 0
        while !queue.hasWaitingConsumer && polls < 5_000 { polls += 1; try await Task.sleep(for: .milliseconds(1)) }
        XCTAssertTrue(queue.hasWaitingConsumer, "the consumer never waited in next()")
        for i in 0..<3 {
            let time = 1 * ms + UInt64(i) * 100_000
            let wake = handOff.wakesFor(recordAt: time)
            XCTAssertFalse(wake)
            XCTAssertTrue(outlet.emit(EventRecord(timestamp: time, event: .exit(ExitEvent(pid: ProcessID(Int32(10 + i)), code: 0))), wake: wake))
        }
        // Queued, not taken: the consumer still waits.
        XCTAssertEqual(queue.queuedEventCount, 3)
        XCTAssertTrue(queue.hasWaitingConsumer)
        handOff.handOffIfDue(now: 2 * ms, idle: true, to: queue)
        var iterator = received.stream.makeAsyncIterator()
        for expected in 1...3 { let n = await iterator.next(); XCTAssertEqual(n, expected) }
        queue.finish()
        _ = await consumer.value
    }
}
