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
import NIOConcurrencyHelpers
import NIOCore
import RuntimeWatchCore

/// Counts since the sink was created, plus the current backlog.
public struct WebhookSinkStatistics: Sendable, Equatable {
    /// Alerts the receiver accepted (2xx).
    public var sent = 0
    /// Re-sends after a retryable failure (one per alert per retry).
    public var retried = 0
    /// Alerts given up: refused (4xx/3xx), still failing after `giveUpAfter`, or cut off by shutdown.
    public var failed = 0
    /// Alerts never attempted: queue full, emitted after shutdown, or still queued at shutdown.
    public var dropped = 0
    /// Alerts waiting in the queue.
    public var queued = 0
    /// Alerts of the batch being sent.
    public var inFlight = 0

    public init(sent: Int = 0, retried: Int = 0, failed: Int = 0, dropped: Int = 0, queued: Int = 0, inFlight: Int = 0) {
        self.sent = sent
        self.retried = retried
        self.failed = failed
        self.dropped = dropped
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
        let sender = Sender(core: core, client: client, configuration: configuration, logger: logger)
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

/// The shared, lock-guarded state of one sink: queue, counters, metrics, rate-limited reports.
private final class SinkCore: Sendable {
    private struct State {
        var queue: BoundedQueue<Alert>
        var inFlight = 0
        var accepting = true
        var stats = WebhookSinkStatistics()
    }
    private let state: NIOLockedValueBox<State>
    private let metrics: OutputMetrics
    private let capacity: Int
    let logger: Logger
    private let drops: RateLimitedReporter
    private let failures: RateLimitedReporter

    init(configuration: WebhookConfiguration, metrics: OutputMetrics, logger: Logger) {
        state = NIOLockedValueBox(State(queue: BoundedQueue(capacity: configuration.queueCapacity)))
        self.metrics = metrics
        self.capacity = configuration.queueCapacity
        self.logger = logger
        drops = RateLimitedReporter(logger: logger, level: .warning, interval: configuration.logInterval,
                                    what: "webhook alerts dropped")
        failures = RateLimitedReporter(logger: logger, level: .error, interval: configuration.logInterval,
                                       what: "webhook alerts not delivered")
        metrics.queueDepth.record(0)
    }

    /// Appends the alert; false (counted as a drop) when full or shut down.
    func enqueue(_ alert: Alert) -> Bool {
        let outcome: Bool? = state.withLockedValue { s in
            guard s.accepting else { s.stats.dropped += 1; return nil }
            guard s.queue.append(alert) else { s.stats.dropped += 1; return false }
            metrics.queueDepth.record(s.queue.count)
            return true
        }
        switch outcome {
        case true?: return true
        case false?:
            metrics.dropped.increment()
            drops.record(detail: "queue full at \(capacity) alerts; the receiver is slow or down")
        case nil:
            metrics.dropped.increment()
            drops.record(detail: "emitted after the webhook output shut down")
        }
        return false
    }

    /// Moves up to `limit` alerts from the queue to in-flight; nil when the queue is empty.
    func takeBatch(limit: Int) -> [Alert]? {
        state.withLockedValue { s in
            let batch = s.queue.removeFirst(upTo: limit)
            guard !batch.isEmpty else { return nil }
            s.inFlight += batch.count
            s.stats.inFlight = s.inFlight
            metrics.queueDepth.record(s.queue.count)
            return batch
        }
    }

    func recordDelivered(_ n: Int) {
        guard n > 0 else { return }
        state.withLockedValue { s in s.stats.sent += n; s.inFlight -= n; s.stats.inFlight = s.inFlight }
        metrics.sent.increment(by: Int64(n))
    }

    func recordRetries(_ n: Int) {
        state.withLockedValue { $0.stats.retried += n }
        metrics.retried.increment(by: Int64(n))
    }

    /// Alerts that will not be sent again; `detail` goes into the rate-limited error log.
    func recordFailed(_ n: Int, detail: String) {
        guard n > 0 else { return }
        state.withLockedValue { s in s.stats.failed += n; s.inFlight -= n; s.stats.inFlight = s.inFlight }
        metrics.failed.increment(by: Int64(n))
        failures.record(count: n, detail: detail)
    }

    var isIdle: Bool { state.withLockedValue { $0.queue.isEmpty && $0.inFlight == 0 } }

    func statistics() -> WebhookSinkStatistics {
        state.withLockedValue { s in
            var stats = s.stats
            stats.queued = s.queue.count
            stats.inFlight = s.inFlight
            return stats
        }
    }

    /// Returns true for the first caller only.
    func stopAccepting() -> Bool {
        state.withLockedValue { s in
            defer { s.accepting = false }
            return s.accepting
        }
    }

    /// Counts whatever is still queued as dropped and reports all pending summaries.
    func discardQueued() {
        let discarded = state.withLockedValue { s in
            let n = s.queue.removeAll()
            s.stats.dropped += n
            metrics.queueDepth.record(0)
            return n
        }
        if discarded > 0 {
            metrics.dropped.increment(by: Int64(discarded))
            drops.record(count: discarded, detail: "still queued at shutdown")
        }
        drops.reportPending()
        failures.reportPending()
    }
}

/// The single task that drains the queue.
private struct Sender: Sendable {
    let core: SinkCore
    let client: HTTPClient
    let configuration: WebhookConfiguration
    let logger: Logger

    func run(wakeups: AsyncStream<Void>) async {
        for await _ in wakeups {
            while !Task.isCancelled, let batch = core.takeBatch(limit: configuration.maxConcurrentRequests) {
                await deliver(batch)
            }
        }
    }

    /// Sends one batch until each alert is delivered, refused or given up. See the file header
    /// for why the next batch waits for this one.
    private func deliver(_ batch: [Alert]) async {
        let bodies = batch.map { ByteBuffer(string: $0.jsonLine()) }
        var pending = Array(bodies.indices)
        let firstAttempt = ContinuousClock.now
        var retry = 0
        while true {
            if retry > 0 { core.recordRetries(pending.count) }
            let outcomes = await postAll(pending.map { bodies[$0] })
            var stillFailing: [Int] = []
            var serverHint: Duration?
            var lastReason = ""
            var delivered = 0
            for (index, outcome) in zip(pending, outcomes) {
                switch outcome {
                case .delivered:
                    delivered += 1
                case .rejected(let status):
                    core.recordFailed(1, detail: "\(configuration.url) answered HTTP \(status); refused alerts are not retried")
                case .retryable(let reason, let retryAfter):
                    stillFailing.append(index)
                    lastReason = reason
                    if let retryAfter { serverHint = max(serverHint ?? retryAfter, retryAfter) }
                }
            }
            core.recordDelivered(delivered)
            if stillFailing.isEmpty { return }
            if Task.isCancelled {
                core.recordFailed(stillFailing.count, detail: "output shut down while retrying: \(lastReason)")
                return
            }
            if ContinuousClock.now - firstAttempt >= configuration.retry.giveUpAfter {
                core.recordFailed(stillFailing.count, detail: "gave up after \(retry + 1) attempts over "
                    + "\(configuration.retry.giveUpAfter): \(lastReason)")
                return
            }
            retry += 1
            let wait = configuration.retry.delay(beforeRetry: retry, randomUnit: Double.random(in: 0..<1),
                                                 serverHint: serverHint)
            logger.debug("webhook retry \(retry) of \(stillFailing.count) alerts in \(wait): \(lastReason)")
            do {
                try await Task.sleep(for: wait)
            } catch {
                core.recordFailed(stillFailing.count, detail: "output shut down while retrying: \(lastReason)")
                return
            }
            pending = stillFailing
        }
    }

    /// POSTs every body concurrently; outcomes in the same order as `bodies`.
    private func postAll(_ bodies: [ByteBuffer]) async -> [DeliveryOutcome] {
        await withTaskGroup(of: (Int, DeliveryOutcome).self) { group in
            for (i, body) in bodies.enumerated() {
                group.addTask { (i, await post(body)) }
            }
            var outcomes = [DeliveryOutcome](repeating: .rejected(status: 0), count: bodies.count)
            for await (i, outcome) in group { outcomes[i] = outcome }
            return outcomes
        }
    }

    private func post(_ body: ByteBuffer) async -> DeliveryOutcome {
        var request = HTTPClientRequest(url: configuration.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "runtime-watch")
        request.body = .bytes(body)
        do {
            let response = try await client.execute(request, timeout: TimeAmount(configuration.requestTimeout))
            let retryAfter = DeliveryOutcome.parseRetryAfter(response.headers.first(name: "Retry-After"))
            // Read the (small) answer so the connection returns to the keep-alive pool.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return .classify(status: Int(response.status.code), retryAfter: retryAfter)
        } catch {
            return .retryable(reason: String("\(error)".prefix(200)), retryAfter: nil)
        }
    }
}
