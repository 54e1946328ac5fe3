// SPDX-License-Identifier: Apache-2.0
// The webhook against a real HTTP receiver on 127.0.0.1: Falco JSON at "/", retries with backoff
// when the receiver answers 503 or is not listening yet, no retry for 4xx, timeouts retried.

import Foundation
import RuntimeWatchCore
@testable import RuntimeWatchService
import XCTest

final class WebhookSinkDeliveryTests: XCTestCase {
    /// Short timings so every test finishes in seconds.
    private func configuration(port: Int, concurrency: Int = 1, queue: Int = 100,
                               requestTimeout: Duration = .seconds(2)) throws -> WebhookConfiguration {
        try WebhookConfiguration(
            url: "http://127.0.0.1:\(port)/", queueCapacity: queue, maxConcurrentRequests: concurrency,
            requestTimeout: requestTimeout, connectTimeout: .seconds(1),
            retry: RetryPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(200), giveUpAfter: .seconds(20)),
            flushTimeout: .seconds(10), logInterval: .seconds(3600))
    }

    func testDeliversOneFalcoJSONAlertPerPOSTAtRootWithJSONContentType() async throws {
        let receiver = try AlertReceiver()
        let port = try await receiver.start()
        let metrics = PrometheusMetrics()
        let sink = WebhookSink(configuration: try configuration(port: port, concurrency: 4), metricsFactory: metrics.factory)
        let alerts = (0..<20).map(makeAlert)
        for alert in alerts { sink.emit(alert) }
        let drained = await sink.flush(timeout: .seconds(10))
        await sink.shutdown()
        await receiver.stop()

        XCTAssertTrue(drained)
        let received = receiver.received
        XCTAssertEqual(received.count, 20)
        for request in received {
            XCTAssertEqual(request.path, "/")
            XCTAssertEqual(request.contentType, "application/json")
            // The keys falcosidekick requires (its FalcoPayload.Check): priority, rule, time, output_fields.
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
            XCTAssertEqual(object["priority"] as? String, "Warning")
            XCTAssertEqual(object["rule"] as? String, "Service account token read")
            XCTAssertEqual(object["source"] as? String, "syscall")
            XCTAssertNotNil(RFC3339.parse(try XCTUnwrap(object["time"] as? String)))
            XCTAssertFalse(try XCTUnwrap(object["output_fields"] as? [String: Any]).isEmpty)
        }
        XCTAssertEqual(Set(try receiver.acceptedAlerts()), Set(alerts))
        XCTAssertEqual(sink.statistics(), WebhookSinkStatistics(sent: 20, retried: 0, failed: 0, queued: 0, inFlight: 0))
        let text = metrics.render()
        XCTAssertTrue(text.contains("runtime_watch_output_sent_total{output=\"webhook\"} 20"), text)
        XCTAssertTrue(text.contains("runtime_watch_output_queue_depth{output=\"webhook\"} 0"), text)
    }

    func testRetries503WithBackoffThenDeliversEachAlertOnceInOrder() async throws {
        // The first three requests get 503 (with Retry-After: 0), then the receiver recovers.
        let receiver = try AlertReceiver { sequence, _ in
            sequence <= 3 ? RouteResponse(status: 503, body: "warming up") : RouteResponse(status: 200, body: "ok")
        }
        let port = try await receiver.start()
        let metrics = PrometheusMetrics()
        let sink = WebhookSink(configuration: try configuration(port: port), metricsFactory: metrics.factory)
        let alerts = (0..<5).map(makeAlert)
        for alert in alerts { sink.emit(alert) }
        let drained = await sink.flush(timeout: .seconds(10))
        await sink.shutdown()
        await receiver.stop()

        XCTAssertTrue(drained)
        // With one request at a time the head alert absorbs all three 503s: exactly 3 retries.
        XCTAssertEqual(receiver.received.count, 8)
        XCTAssertEqual(try receiver.acceptedAlerts(), alerts, "each alert accepted exactly once, in emit order")
        XCTAssertEqual(sink.statistics(), WebhookSinkStatistics(sent: 5, retried: 3, failed: 0, queued: 0, inFlight: 0))
        XCTAssertTrue(metrics.render().contains("runtime_watch_output_retries_total{output=\"webhook\"} 3"))
    }

    func testReceiverDownAtFirstThenUpGetsEveryAlertExactlyOnce() async throws {
        // Reserve a free port, then close it so connections to it are refused.
        let placeholder = try AlertReceiver()
        let port = try await placeholder.start()
        await placeholder.stop()
        XCTAssertTrue(RawHTTPClient.isRefused(port: port))

        let sink = WebhookSink(configuration: try configuration(port: port), metricsFactory: PrometheusMetrics().factory)
        let alerts = (0..<5).map(makeAlert)
        for alert in alerts { sink.emit(alert) }
        await waitUntil("two refused attempts were retried") { sink.statistics().retried >= 2 }
        XCTAssertEqual(sink.statistics().sent, 0)

        let receiver = try AlertReceiver(port: port)
        _ = try await receiver.start()
        let drained = await sink.flush(timeout: .seconds(10))
        let stats = sink.statistics()
        await sink.shutdown()
        await receiver.stop()

        XCTAssertTrue(drained)
        XCTAssertEqual(try receiver.acceptedAlerts(), alerts, "each alert exactly once, in order")
        XCTAssertEqual(receiver.received.count, 5, "refused attempts never reached the receiver")
        XCTAssertEqual(stats.sent, 5)
        XCTAssertEqual(stats.failed, 0)
        XCTAssertGreaterThanOrEqual(stats.retried, 2)
    }

    func testClientErrorIsNotRetriedAndIsLoggedOnce() async throws {
        let receiver = try AlertReceiver { _, _ in RouteResponse(status: 400, body: "Please send a valid request body") }
        let port = try await receiver.start()
        let capture = LogCapture()
        let sink = WebhookSink(configuration: try configuration(port: port), metricsFactory: PrometheusMetrics().factory,
                               logger: capture.logger())
        for i in 0..<3 { sink.emit(makeAlert(i)) }
        let drained = await sink.flush(timeout: .seconds(10))
        let stats = sink.statistics()
        await sink.shutdown()
        await receiver.stop()

        XCTAssertTrue(drained)
        XCTAssertEqual(receiver.received.count, 3, "one request per alert, no retries")
        XCTAssertEqual(stats, WebhookSinkStatistics(sent: 0, retried: 0, failed: 3, queued: 0, inFlight: 0))
        let errors = capture.lines.filter { $0.level == .error }
        guard errors.count == 2 else {
            return XCTFail("expected the first failure at once and the other two summarised at shutdown: \(errors)")
        }
        XCTAssertTrue(errors[0].message.hasPrefix("1 webhook alerts not delivered"), errors[0].message)
        XCTAssertTrue(errors[0].message.contains("HTTP 400"), errors[0].message)
        XCTAssertTrue(errors[1].message.hasPrefix("2 webhook alerts not delivered"), errors[1].message)
    }

    func testRequestTimeoutIsRetried() async throws {
        // The first request stalls past the client's timeout; the retry is answered at once.
        let receiver = try AlertReceiver { sequence, _ in
            if sequence == 1 { try? await Task.sleep(for: .milliseconds(800)) }
            return RouteResponse(status: 200, body: "ok")
        }
        let port = try await receiver.start()
        let sink = WebhookSink(configuration: try configuration(port: port, requestTimeout: .milliseconds(200)),
                               metricsFactory: PrometheusMetrics().factory)
        sink.emit(makeAlert(7))
        let drained = await sink.flush(timeout: .seconds(10))
        let stats = sink.statistics()
        await sink.shutdown()
        await receiver.stop()

        XCTAssertTrue(drained)
        XCTAssertEqual(stats.sent, 1)
        XCTAssertGreaterThanOrEqual(stats.retried, 1)
        XCTAssertGreaterThanOrEqual(receiver.arrivals, 2)
    }

    func testInvalidURLIsRefused() {
        for (url, reason) in [("ftp://host/", "scheme must be http or https"), ("not a url", "not an absolute URL"),
                              ("http:///path", "missing host")] {
            XCTAssertThrowsError(try WebhookConfiguration(url: url)) { error in
                XCTAssertTrue(String(describing: error).contains(reason), "\(url): \(error)")
            }
        }
    }
}
