// SPDX-License-Identifier: Apache-2.0
// Pushes alerts to an HTTP receiver such as falcosidekick, without ever slowing the pipeline.
//
// What falcosidekick expects (its handlers.go `mainHandler`, mounted at "/" in main.go): one
// Falco JSON alert per POST to its root path. It refuses other methods, and answers 400 "Please
// send a valid request body" when the body does not decode or lacks `priority`, `rule`, `time` or
// a non-empty `output_fields`. It does not check Content-Type, but Falco's own http_output sends
// `application/json`, so we do too. No batching, no NDJSON: one object, one request.
//
// Design:
// - `emit` appends to a bounded FIFO under a lock and wakes the sender; when the FIFO is full the
//   new alert is dropped and counted (the oldest alerts are the ones the receiver is owed first).
// - One sender task takes a batch of up to `maxConcurrentRequests` alerts and POSTs them
//   concurrently over AsyncHTTPClient's keep-alive pool.
// - Head-of-line policy: the next batch starts only when every alert of the current one was
//   delivered, refused (4xx) or given up. Alerts are therefore never reordered by more than one
//   batch width (not at all with maxConcurrentRequests = 1). While the receiver is down the
//   whole queue waits behind the head batch, which is right: the receiver is down for every
//   alert alike. A batch that keeps failing is given up after `retry.giveUpAfter`, so the head
//   is blocked for a bounded time only and the queue moves on.
// - Delivery is at least once: a POST that timed out after the receiver processed it is resent.

import AsyncHTTPClient
import CoreMetrics
import Logging
import NIOCore
import RuntimeWatchCore

/// Why an alert was dropped without being attempted; the `reason` label of
/// `runtime_watch_output_drops_total`.
public enum WebhookDropReason: String, Sendable, Hashable, CaseIterable {
    /// The queue held `queueCapacity` alerts when it was emitted.
    case queueFull = "queue_full"
    /// Still waiting in the queue when the drain time at shutdown ran out.
    case queuedAtShutdown = "queued_at_shutdown"
    /// Emitted after the output shut down.
    case emittedAfterShutdown = "emitted_after_shutdown"
}

/// Counts since the sink was created, plus the current backlog. Every alert emitted ends up in
/// exactly one of sent, failed or `drops` (or is still queued or in flight).
public struct WebhookSinkStatistics: Sendable, Equatable {
    /// Alerts the receiver accepted (2xx).
    public var sent = 0
    /// Re-sends after a retryable failure (one per alert per retry).
    public var retried = 0
    /// Alerts given up: refused (4xx/3xx), still failing after `giveUpAfter`, or cut off by shutdown.
    public var failed = 0
    /// Alerts never attempted, by reason.
    public var drops: [WebhookDropReason: Int] = [:]
    /// Alerts waiting in the queue.
    public var queued = 0
    /// Alerts of the batch being sent.
    public var inFlight = 0

    /// Alerts never attempted, all reasons together.
    public var dropped: Int { drops.values.reduce(0, +) }

    public init(sent: Int = 0, retried: Int = 0, failed: Int = 0, drops: [WebhookDropReason: Int] = [:], queued: Int = 0,
                inFlight: Int = 0) {
        self.sent = sent
        self.retried = retried
        self.failed = failed
        self.drops = drops
        self.queued = queued
        self.inFlight = inFlight
    }
}

/// `AlertSink` that POSTs each alert as Falco JSON to a webhook. Call `flush()` then `shutdown()`
/// before releasing it: the HTTP client must be shut down explicitly.
public final class WebhookSink: AlertSink {
    public let configuration: WebhookConfiguration
    private let core: SinkCore
    private let wakeups: AsyncStream<Void>.Continuation
    private let sender: Task<Void, Never>
    private let client: HTTPClient

    /// Starts the sender task and the HTTP client.
    /// - Parameters:
    ///   - metricsFactory: where the `runtime_watch_output_*{output="webhook"}` metrics go; tests pass
    ///     an isolated `PrometheusMetrics().factory`, the CLI the bootstrapped global one.
    public init(configuration: WebhookConfiguration, metricsFactory: any MetricsFactory = MetricsSystem.factory,
                logger: Logger = Logger(label: "runtime-watch.webhook")) {
        self.configuration = configuration
        var http = HTTPClient.Configuration()
        http.timeout = .init(connect: TimeAmount(configuration.connectTimeout), read: TimeAmount(configuration.requestTimeout))
        http.connectionPool = .init(idleTimeout: .seconds(60),
                                    concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maxConcurrentRequests)
        // A refused connection should fail this attempt now so our backoff, not the pool's
        // internal reconnect loop, decides when to try again (and the retry is counted).
        http.connectionPool.retryConnectionEstablishment = false
        // A redirect means the URL is wrong; following it could turn the POST into a GET.
        http.redirectConfiguration = .disallow
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: http,
                                backgroundActivityLogger: logger)
        self.client = client
        let core = SinkCore(configuration: configuration, metrics: OutputMetrics(output: "webhook", factory: metricsFactory),
                            logger: logger)
        self.core = core
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.wakeups = continuation
        let sender = WebhookSender(core: core, client: client, configuration: configuration, logger: logger)
        self.sender = Task { await sender.run(wakeups: stream) }
    }

    /// Queues the alert and returns at once; drops (and counts) it when the queue is full.
    public func emit(_ alert: Alert) {
        if core.enqueue(alert) { wakeups.yield() }
    }

    /// Waits until the queue is empty and nothing is in flight, at most `configuration.flushTimeout`.
    public func flush() async {
        await flush(timeout: configuration.flushTimeout)
    }

    /// Waits until the queue is empty and nothing is in flight.
    /// - Returns: true if drained, false if `timeout` passed (or the task was cancelled) first.
    @discardableResult
    public func flush(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        // Polling keeps the sender free of waiter bookkeeping; flush runs at shutdown and in
        // tests, never per alert, so a 5 ms poll costs nothing that matters.
        while !core.isIdle {
            if ContinuousClock.now >= deadline || Task.isCancelled { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    /// Snapshot of the counters and backlog.
    public func statistics() -> WebhookSinkStatistics {
        core.statistics()
    }

    /// Stops accepting alerts, cancels the sender (an in-flight batch counts as failed), counts
    /// still-queued alerts as dropped, logs pending summaries and closes the HTTP client.
    /// Call `flush()` first to deliver the backlog. Safe to call twice.
    public func shutdown() async {
        guard core.stopAccepting() else { return }
        wakeups.finish()
        sender.cancel()
        await sender.value
        core.discardQueued()
        do {
            try await client.shutdown()
        } catch {
            core.logger.warning("webhook HTTP client did not shut down cleanly: \(error)")
        }
    }
}
