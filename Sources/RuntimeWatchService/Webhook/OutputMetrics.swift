// SPDX-License-Identifier: Apache-2.0
// The metrics every network output exports, labelled `output="<name>"`, so dashboards can compare
// outputs and alert on drops. Names end in `_total` for counters, as Prometheus conventions ask.

import CoreMetrics

/// Counters and the queue-depth gauge of one output, created through an injected factory.
struct OutputMetrics: Sendable {
    let sent: Counter
    let retried: Counter
    let failed: Counter
    let dropped: Counter
    let queueDepth: Gauge

    init(output: String, factory: any MetricsFactory) {
        let labels = [("output", output)]
        sent = Counter(label: "runtime_watch_output_sent_total", dimensions: labels, factory: factory)
        retried = Counter(label: "runtime_watch_output_retries_total", dimensions: labels, factory: factory)
        failed = Counter(label: "runtime_watch_output_failures_total", dimensions: labels, factory: factory)
        dropped = Counter(label: "runtime_watch_output_drops_total", dimensions: labels, factory: factory)
        queueDepth = Gauge(label: "runtime_watch_output_queue_depth", dimensions: labels, factory: factory)
    }
}
