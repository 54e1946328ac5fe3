// SPDX-License-Identifier: Apache-2.0
// A full queue against a stalled receiver: emit never blocks, drops are counted exactly, the
// queue depth is exported, drops are logged once, and the backlog drains when the receiver resumes.

import RuntimeWatchCore
import RuntimeWatchService
import XCTest

final class WebhookSinkBackpressureTests: XCTestCase {
    func testFullQueueDropsNewAlertsAndCountsThemExactly() async throws {
        let gate = Gate()
        let receiver = try AlertReceiver { _, _ in
            await gate.wait()
            return RouteResponse(status: 200, body: "ok")
        }
        let port = try await receiver.start()
        let metrics = PrometheusMetrics()
        let capture = LogCapture()
        let capacity = 5
        let sink = WebhookSink(
            configuration: try WebhookConfiguration(
                url: "http://127.0.0.1:\(port)/", queueCapacity: capacity, maxConcurrentRequests: 1,
                requestTimeout: .seconds(15), connectTimeout: .seconds(1),
                retry: RetryPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(200)),
                flushTimeout: .seconds(10), logInterval: .seconds(3600)),
            metricsFactory: metrics.factory, logger: capture.logger())

        // Make "in flight" deterministic: alert 0 is taken by the sender and stuck at the receiver.
        sink.emit(makeAlert(0))
        await waitUntil("the first POST reaches the stalled receiver") { receiver.arrivals == 1 }
        XCTAssertEqual(sink.statistics().inFlight, 1)

        let began = ContinuousClock.now
        for i in 1..<50 { sink.emit(makeAlert(i)) }
        let emitTime = ContinuousClock.now - began
        XCTAssertLessThan(emitTime, .seconds(1), "emit must not wait for the receiver")

        // 50 emitted = 1 in flight + 5 queued + 44 dropped.
        let expectedDrops = 50 - capacity - 1
        XCTAssertEqual(sink.statistics(), WebhookSinkStatistics(sent: 0, retried: 0, failed: 0,
                                                                drops: [.queueFull: expectedDrops],
                                                                queued: capacity, inFlight: 1))
        var text = metrics.render()
        XCTAssertTrue(text.contains("runtime_watch_output_drops_total{output=\"webhook\",reason=\"queue_full\"} \(expectedDrops)"), text)
        XCTAssertTrue(text.contains("runtime_watch_output_queue_depth{output=\"webhook\"} \(capacity)"), text)
        let warnings = capture.lines.filter { $0.level == .warning }
        XCTAssertEqual(warnings.count, 1, "drops are rate-limited, not logged per alert: \(warnings.map(\.message))")
        XCTAssertTrue(warnings.first?.message.contains("queue full at 5 alerts") ?? false)

        gate.open()
        let drained = await sink.flush(timeout: .seconds(10))
        XCTAssertTrue(drained)
        text = metrics.render()
        await sink.shutdown()
        await receiver.stop()

        XCTAssertEqual(try receiver.acceptedAlerts(), (0...capacity).map(makeAlert), "the oldest alerts are kept, in order")
        XCTAssertEqual(sink.statistics(), WebhookSinkStatistics(sent: capacity + 1, retried: 0, failed: 0,
                                                                drops: [.queueFull: expectedDrops], queued: 0, inFlight: 0))
        XCTAssertTrue(text.contains("runtime_watch_output_queue_depth{output=\"webhook\"} 0"), text)
        XCTAssertTrue(text.contains("runtime_watch_output_sent_total{output=\"webhook\"} 6"), text)
        // The 43 drops after the first were summarised once at shutdown.
        XCTAssertTrue(capture.lines.contains { $0.message.hasPrefix("\(expectedDrops - 1) webhook alerts dropped") },
                      "\(capture.lines.map(\.message))")
    }

    func testShutdownCountsTheBacklogAsDroppedAndLaterEmitsToo() async throws {
        // Nobody listens on this port: every attempt is refused, so alerts stay queued.
        let placeholder = try AlertReceiver()
        let port = try await placeholder.start()
        await placeholder.stop()
        let capture = LogCapture()
        let sink = WebhookSink(
            configuration: try WebhookConfiguration(
                url: "http://127.0.0.1:\(port)/", queueCapacity: 10, maxConcurrentRequests: 1,
                requestTimeout: .seconds(1), connectTimeout: .seconds(1),
                retry: RetryPolicy(initialDelay: .milliseconds(50), maxDelay: .milliseconds(100)),
                flushTimeout: .milliseconds(200), logInterval: .seconds(3600)),
            metricsFactory: PrometheusMetrics().factory, logger: capture.logger())
        for i in 0..<4 { sink.emit(makeAlert(i)) }
        await waitUntil("the head alert is being retried") { sink.statistics().retried >= 1 }
        let drained = await sink.flush(timeout: .milliseconds(200))
        XCTAssertFalse(drained, "flush is bounded and reports that the queue did not drain")
        await sink.shutdown()
        sink.emit(makeAlert(99))
        let stats = sink.statistics()
        // 1 in flight when shut down → failed; 3 queued → dropped; 1 emitted afterwards → dropped.
        XCTAssertEqual(stats.failed, 1)
        XCTAssertEqual(stats.drops, [.queuedAtShutdown: 3, .emittedAfterShutdown: 1])
        XCTAssertEqual(stats.sent, 0)
        XCTAssertEqual(stats.queued, 0)
        XCTAssertEqual(stats.inFlight, 0)
        let messages = capture.lines.map(\.message)
        XCTAssertTrue(messages.contains { $0.hasPrefix("1 webhook alerts not delivered (output shut down while retrying") },
                      "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix("3 webhook alerts dropped (still queued at shutdown)") }, "\(messages)")
    }
}
