// SPDX-License-Identifier: Apache-2.0
// The webhook's shared state: the bounded queue, in-flight count, counters and their metrics, and
// the rate-limited drop/failure logs. `emit` (any thread) and the sender task meet here, under one lock.

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
