// SPDX-License-Identifier: Apache-2.0
// The pure parts of the webhook: backoff schedule, status classification, the bounded queue and
// the rate-limited reporter.

@testable import RuntimeWatchService
import XCTest

final class WebhookPolicyTests: XCTestCase {
    func testBackoffDoublesWithJitterAndIsCapped() {
        let policy = RetryPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(30))
        XCTAssertEqual(policy.delay(beforeRetry: 1, randomUnit: 0), .milliseconds(50))
        XCTAssertEqual(policy.delay(beforeRetry: 1, randomUnit: 1), .milliseconds(100))
        XCTAssertEqual(policy.delay(beforeRetry: 2, randomUnit: 1), .milliseconds(200))
        XCTAssertEqual(policy.delay(beforeRetry: 4, randomUnit: 0.5), .milliseconds(600))
        for retry in 1...12 {
            let low = policy.delay(beforeRetry: retry, randomUnit: 0)
            let high = policy.delay(beforeRetry: retry, randomUnit: 0.999)
            XCTAssertLessThanOrEqual(low, high)
            XCTAssertLessThanOrEqual(high, .seconds(30))
            XCTAssertGreaterThanOrEqual(low, .milliseconds(50))
        }
        XCTAssertEqual(policy.delay(beforeRetry: 200, randomUnit: 1), .seconds(30))
        XCTAssertEqual(policy.delay(beforeRetry: 200, randomUnit: 0), .seconds(15))
        // Retry-After raises the wait, still within the cap.
        XCTAssertEqual(policy.delay(beforeRetry: 1, randomUnit: 0, serverHint: .seconds(2)), .seconds(2))
        XCTAssertEqual(policy.delay(beforeRetry: 1, randomUnit: 0, serverHint: .seconds(3600)), .seconds(30))
    }

    func testStatusClassification() {
        XCTAssertEqual(DeliveryOutcome.classify(status: 200), .delivered)
        XCTAssertEqual(DeliveryOutcome.classify(status: 204), .delivered)
        for status in [408, 429, 500, 502, 503, 504] {
            guard case .retryable = DeliveryOutcome.classify(status: status) else {
                return XCTFail("\(status) should be retried")
            }
        }
        for status in [301, 400, 401, 403, 404, 413, 422] {
            XCTAssertEqual(DeliveryOutcome.classify(status: status), .rejected(status: status))
        }
        XCTAssertEqual(DeliveryOutcome.parseRetryAfter(" 7 "), .seconds(7))
        XCTAssertNil(DeliveryOutcome.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"))
        XCTAssertNil(DeliveryOutcome.parseRetryAfter(nil))
    }

    func testBoundedQueueIsFIFOAndRefusesWhenFull() {
        var queue = BoundedQueue<Int>(capacity: 3)
        XCTAssertTrue(queue.append(1))
        XCTAssertTrue(queue.append(2))
        XCTAssertEqual(queue.removeFirst(upTo: 1), [1])
        XCTAssertTrue(queue.append(3))
        XCTAssertTrue(queue.append(4))  // wraps around
        XCTAssertFalse(queue.append(5))
        XCTAssertTrue(queue.isFull)
        XCTAssertEqual(queue.removeFirst(upTo: 10), [2, 3, 4])
        XCTAssertTrue(queue.isEmpty)
        XCTAssertTrue(queue.append(6))
        XCTAssertEqual(queue.removeAll(), 1)
        XCTAssertEqual(queue.count, 0)
    }

    func testReporterLogsFirstOccurrenceThenSummarisesOncePerInterval() {
        let capture = LogCapture()
        let reporter = RateLimitedReporter(logger: capture.logger(), level: .warning, interval: .seconds(3600),
                                           what: "webhook alerts dropped")
        for _ in 0..<100 { reporter.record(detail: "queue full") }
        XCTAssertEqual(capture.lines.count, 1)
        XCTAssertTrue(capture.lines[0].message.hasPrefix("1 webhook alerts dropped (queue full)"), capture.lines[0].message)
        reporter.reportPending()
        XCTAssertEqual(capture.lines.count, 2)
        XCTAssertTrue(capture.lines[1].message.hasPrefix("99 webhook alerts dropped"), capture.lines[1].message)
        reporter.reportPending()
        XCTAssertEqual(capture.lines.count, 2, "nothing new to report")

        let fast = RateLimitedReporter(logger: capture.logger(), level: .warning, interval: .zero, what: "x")
        fast.record(detail: "a")
        fast.record(detail: "b")
        XCTAssertEqual(capture.lines.count, 4, "a zero interval logs every occurrence")
    }
}
