// SPDX-License-Identifier: Apache-2.0
// What the capture sources met that is neither an event nor a loss: a datagram or record that did
// not decode, a /proc file that made no sense, a permission event the watchdog had to answer.
// Each source keeps running totals; this turns them into one Prometheus counter,
// `runtime_watch_capture_anomalies_total{source,kind}`, on every heartbeat, so an operator sees
// them without reading logs. Losses stay in `runtime_watch_drops_total` (the drop events).

import CoreMetrics

/// A running total of one kind of anomaly of one source, as the source counts it.
public struct CaptureAnomaly: Sendable, Hashable {
    /// The source's name in drop events too: "proc_connector", "fanotify", "connect".
    public var source: String
    /// What happened, snake_case ("malformed_datagram", "watchdog_answer", …).
    public var kind: String
    /// Since the source started; never decreases.
    public var total: UInt64

    public init(source: String, kind: String, total: UInt64) {
        self.source = source; self.kind = kind; self.total = total
    }
}

/// Publishes anomaly totals as counter increments (a counter only goes up: each publish adds what
/// the total grew by since the last one). Used from one task (the drive loop's heartbeat).
public final class CaptureAnomalyMetrics {
    public static let label = "runtime_watch_capture_anomalies_total"

    private let factory: any MetricsFactory
    private var counters: [Key: (counter: Counter, published: UInt64)] = [:]

    private struct Key: Hashable {
        var source: String
        var kind: String
    }

    public init(factory: any MetricsFactory) {
        self.factory = factory
    }

    /// Adds to each counter what its total grew by. Every anomaly kind a source reports gets its
    /// counter on the first publish, at 0 when nothing happened yet, so a scrape shows that it is
    /// watched. A total below the one published (a source restarted) is taken as a new start.
    public func publish(_ anomalies: [CaptureAnomaly]) {
        for anomaly in anomalies {
            let key = Key(source: anomaly.source, kind: anomaly.kind)
            let entry = counters[key] ?? (Counter(label: Self.label, dimensions: [("source", anomaly.source), ("kind", anomaly.kind)],
                                                  factory: factory), 0)
            let growth = anomaly.total >= entry.published ? anomaly.total - entry.published : anomaly.total
            if growth > 0 { entry.counter.increment(by: Int64(clamping: growth)) }
            counters[key] = (entry.counter, anomaly.total)
        }
    }
}
