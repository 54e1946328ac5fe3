// SPDX-License-Identifier: Apache-2.0
// A slow receiver and a burst far larger than the queue: every alert offered is counted exactly
// once (sent, failed or dropped by reason), the drain at shutdown keeps its bound, and the numbers
// in the logs are the numbers in the metrics.

import Foundation
import RuntimeWatchService
import XCTest

final class WebhookSinkAccountingTests: XCTestCase {
    /// The value of the sample `series` (name and labels exactly as rendered) in Prometheus text.
    private func sample(_ series: String, in text: String) -> Int? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1)).map { Int($0) }
        }
        return nil
    }

    /// Sum of N over log lines "N <what> (<detail>...".
    private func loggedCount(_ lines: [String], what: String, detail: String) -> Int {
        lines.reduce(0) { sum, line in
            guard line.contains(" \(what) (\(detail)"), let n = Int(line.prefix { $0.isNumber }) else { return sum }
            return sum + n
        }
    }

    func testSlowReceiverBurstIsCountedOnceAndLogsAgreeWithMetrics() async throws {
        let receiver = try AlertReceiver { _, _ in
            try? await Task.sleep(for: .milliseconds(50))
            return RouteResponse(status: 200, body: "ok")
        }
        let port = try await receiver.start()
        let metrics = PrometheusMetrics()
        let capture = LogCapture()
        let capacity = 20
        let sink = WebhookSink(
            configuration: try WebhookConfiguration(
                url: "http://127.0.0.1:\(port)/", queueCapacity: capacity, maxConcurrentRequests: 2,
                requestTimeout: .seconds(5), connectTimeout: .seconds(1),
                // 22 alerts at 2 per 50 ms need at least 550 ms: a 400 ms drain cannot finish.
                flushTimeout: .milliseconds(400), logInterval: .seconds(3600)),
            metricsFactory: metrics.factory, logger: capture.logger())

        let offered = 300
        for i in 0..<offered { sink.emit(makeAlert(i)) }
        let began = ContinuousClock.now
        let drained = await sink.flush(timeout: sink.configuration.flushTimeout)
        await sink.shutdown()
        let exitTook = ContinuousClock.now - began
        await receiver.stop()

        XCTAssertFalse(drained)
        XCTAssertLessThan(exitTook, .seconds(3), "drain is 400 ms; shutdown cuts the in-flight batch")
        let stats = sink.statistics()
        XCTAssertEqual(stats.queued, 0)
        XCTAssertEqual(stats.inFlight, 0)
        XCTAssertEqual(stats.sent + stats.failed + stats.dropped, offered, "\(stats)")
        XCTAssertLessThanOrEqual(stats.failed, 2, "only the batch in flight at shutdown may fail: \(stats)")
        XCTAssertGreaterThan(stats.sent, 0)
        XCTAssertGreaterThanOrEqual(stats.drops[.queueFull, default: 0], offered - capacity - 2)
        let atShutdown = stats.drops[.queuedAtShutdown, default: 0]
        XCTAssertGreaterThan(atShutdown, 0)
        XCTAssertLessThanOrEqual(atShutdown, capacity, "more dropped at shutdown than the queue holds: \(stats)")
        XCTAssertNil(stats.drops[.emittedAfterShutdown])
        // At least once: every alert counted as sent reached the receiver.
        let accepted = try receiver.acceptedAlerts().count
        XCTAssertGreaterThanOrEqual(accepted, stats.sent)
        XCTAssertLessThanOrEqual(accepted, stats.sent + stats.failed)

        // Metrics: the same numbers.
        let text = metrics.render()
        let webhook = #"output="webhook""#
        XCTAssertEqual(sample("runtime_watch_output_sent_total{\(webhook)}", in: text), stats.sent, text)
        XCTAssertEqual(sample("runtime_watch_output_failures_total{\(webhook)}", in: text), stats.failed, text)
        XCTAssertEqual(sample("runtime_watch_output_retries_total{\(webhook)}", in: text), stats.retried, text)
        for reason in WebhookDropReason.allCases {
            XCTAssertEqual(sample("runtime_watch_output_drops_total{\(webhook),reason=\"\(reason.rawValue)\"}", in: text),
                           stats.drops[reason, default: 0], "\(reason): \(text)")
        }
        XCTAssertEqual(sample("runtime_watch_output_in_flight{\(webhook)}", in: text), 0, text)

        // Logs: per reason, the counts logged add up to the metric; the totals line repeats them.
        let lines = capture.lines.map(\.message)
        XCTAssertEqual(loggedCount(lines, what: "webhook alerts dropped", detail: "queue full"),
                       stats.drops[.queueFull], "\(lines)")
        XCTAssertEqual(loggedCount(lines, what: "webhook alerts dropped", detail: "still queued at shutdown"),
                       atShutdown, "\(lines)")
        XCTAssertEqual(loggedCount(lines, what: "webhook alerts not delivered", detail: ""), stats.failed, "\(lines)")
        let totals = "webhook output totals: sent \(stats.sent), retried \(stats.retried), failed \(stats.failed), "
            + "dropped \(stats.dropped) (queue_full \(stats.drops[.queueFull, default: 0]), "
            + "queued_at_shutdown \(atShutdown), emitted_after_shutdown 0)"
        XCTAssertEqual(lines.filter { $0.hasPrefix("webhook output totals") }, [totals])
    }
}
