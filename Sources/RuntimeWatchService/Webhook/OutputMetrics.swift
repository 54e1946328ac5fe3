// SPDX-License-Identifier: Apache-2.0
// The metrics every network output exports, labelled `output="<name>"`, so dashboards can compare
// outputs and alert on drops. Names end in `_total` for counters, as Prometheus conventions ask.

import CoreMetrics

/// Counters and gauges of one output, created through an injected factory.
struct OutputMetrics: Sendable {
    let sent: Counter
    let retried: Counter
    let failed: Counter
    /// One counter per drop reason (`reason` label).
    let dropped: [WebhookDropReason: Counter]
    let queueDepth: Gauge
    /// Alerts being sent now: with a hung receiver, this (not `sent`) is what moves.
    let inFlight: Gauge

    init(output: String, factory: any MetricsFactory) {
        let labels = [("output", output)]
        sent = Counter(label: "runtime_watch_output_sent_total", dimensions: labels, factory: factory)
        retried = Counter(label: "runtime_watch_output_retries_total", dimensions: labels, factory: factory)
        failed = Counter(label: "runtime_watch_output_failures_total", dimensions: labels, factory: factory)
        var dropped: [WebhookDropReason: Counter] = [:]
        for reason in WebhookDropReason.allCases {
            dropped[reason] = Counter(label: "runtime_watch_output_drops_total", dimensions: labels + [("reason", reason.rawValue)],
                                      factory: factory)
        }
        self.dropped = dropped
        queueDepth = Gauge(label: "runtime_watch_output_queue_depth", dimensions: labels, factory: factory)
        inFlight = Gauge(label: "runtime_watch_output_in_flight", dimensions: labels, factory: factory)
    }
}
