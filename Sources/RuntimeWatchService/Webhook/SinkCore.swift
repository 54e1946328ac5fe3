// SPDX-License-Identifier: Apache-2.0
// The webhook's shared state: the bounded queue, in-flight count, counters and their metrics, and
// the rate-limited drop/failure logs. `emit` (any thread) and the sender task meet here, under one lock.
// Each drop reason has its own log summary, so a line's count is the count of its reason only and
// the counts logged for a reason add up to its metric.

import Logging
import NIOConcurrencyHelpers
import RuntimeWatchCore

/// The shared, lock-guarded state of one sink: queue, counters, metrics, rate-limited reports.
final class SinkCore: Sendable {
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
    private let drops: [WebhookDropReason: RateLimitedReporter]
    private let failures: RateLimitedReporter

    init(configuration: WebhookConfiguration, metrics: OutputMetrics, logger: Logger) {
        state = NIOLockedValueBox(State(queue: BoundedQueue(capacity: configuration.queueCapacity)))
        self.metrics = metrics
        self.capacity = configuration.queueCapacity
        self.logger = logger
        var drops: [WebhookDropReason: RateLimitedReporter] = [:]
        for reason in WebhookDropReason.allCases {
            drops[reason] = RateLimitedReporter(logger: logger, level: .warning, interval: configuration.logInterval,
                                                what: "webhook alerts dropped")
        }
        self.drops = drops
        failures = RateLimitedReporter(logger: logger, level: .error, interval: configuration.logInterval,
                                       what: "webhook alerts not delivered")
        metrics.queueDepth.record(0)
        metrics.inFlight.record(0)
    }

    /// Appends the alert; false (counted as a drop) when full or shut down.
    func enqueue(_ alert: Alert) -> Bool {
        let refusal: WebhookDropReason? = state.withLockedValue { s in
            guard s.accepting else { return .emittedAfterShutdown }
            guard s.queue.append(alert) else { return .queueFull }
            metrics.queueDepth.record(s.queue.count)
            return nil
        }
        guard let refusal else { return true }
        recordDropped(1, reason: refusal)
        return false
    }

    /// Counts `n` drops under `reason` in the statistics, the metric and that reason's log summary.
    private func recordDropped(_ n: Int, reason: WebhookDropReason) {
        state.withLockedValue { $0.stats.drops[reason, default: 0] += n }
        metrics.dropped[reason]?.increment(by: Int64(n))
        let detail = switch reason {
        case .queueFull: "queue full at \(capacity) alerts; the receiver is slow or down"
        case .queuedAtShutdown: "still queued at shutdown"
        case .emittedAfterShutdown: "emitted after the webhook output shut down"
        }
        drops[reason]?.record(count: n, detail: detail)
    }

    /// Moves up to `limit` alerts from the queue to in-flight; nil when the queue is empty.
    func takeBatch(limit: Int) -> [Alert]? {
        state.withLockedValue { s in
            let batch = s.queue.removeFirst(upTo: limit)
            guard !batch.isEmpty else { return nil }
            s.inFlight += batch.count
            s.stats.inFlight = s.inFlight
            metrics.queueDepth.record(s.queue.count)
            metrics.inFlight.record(s.inFlight)
            return batch
        }
    }

    func recordDelivered(_ n: Int) {
        guard n > 0 else { return }
        state.withLockedValue { s in
            s.stats.sent += n
            s.inFlight -= n
            s.stats.inFlight = s.inFlight
            metrics.inFlight.record(s.inFlight)
        }
        metrics.sent.increment(by: Int64(n))
    }

    func recordRetries(_ n: Int) {
        state.withLockedValue { $0.stats.retried += n }
        metrics.retried.increment(by: Int64(n))
    }

    /// Alerts that will not be sent again; `detail` goes into the rate-limited error log.
    func recordFailed(_ n: Int, detail: String) {
        guard n > 0 else { return }
        state.withLockedValue { s in
            s.stats.failed += n
            s.inFlight -= n
            s.stats.inFlight = s.inFlight
            metrics.inFlight.record(s.inFlight)
        }
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

    /// Counts whatever is still queued as dropped, reports all pending summaries, and logs the
    /// totals once (the same numbers as the metrics).
    func discardQueued() {
        let discarded = state.withLockedValue { s in
            let n = s.queue.removeAll()
            metrics.queueDepth.record(0)
            return n
        }
        if discarded > 0 { recordDropped(discarded, reason: .queuedAtShutdown) }
        for reason in WebhookDropReason.allCases { drops[reason]?.reportPending() }
        failures.reportPending()
        let stats = statistics()
        let byReason = WebhookDropReason.allCases.map { "\($0.rawValue) \(stats.drops[$0, default: 0])" }
        logger.info("""
            webhook output totals: sent \(stats.sent), retried \(stats.retried), failed \(stats.failed), \
            dropped \(stats.dropped) (\(byReason.joined(separator: ", ")))
            """)
    }
}
