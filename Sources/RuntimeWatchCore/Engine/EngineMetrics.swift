// SPDX-License-Identifier: Apache-2.0
// swift-metrics handles for the engine's counters. Counters per event kind are created once up front
// so the hot path is an array index and one handler call; alert counters are created on first use
// (alerts are rare). The factory is injected: the CLI passes the bootstrapped one, tests their own.

import CoreMetrics

struct EngineMetrics: Sendable {
    static let events = "runtime_watch_events_total"
    static let drops = "runtime_watch_drops_total"
    static let alerts = "runtime_watch_alerts_total"
    static let processTableSize = "runtime_watch_process_table_size"
    static let profileReloads = "runtime_watch_profile_reloads_total"
    static let incidentsOpen = "runtime_watch_incidents_open"

    let factory: any MetricsFactory
    let eventsByKind: [Counter]
    let tableSize: Gauge
    let reloadsOK: Counter
    let reloadsFailed: Counter
    private var dropsByCause: [String: Counter] = [:]
    private var alertsByRulePriority: [String: Counter] = [:]
    /// Gauges of open incidents, and the value each last recorded (a key gone from the open set is
    /// recorded as 0 once, so a scrape does not keep showing a closed incident).
    private var openIncidentGauges: [IncidentTracker.OpenKey: (gauge: Gauge, value: Int)] = [:]

    init(factory: any MetricsFactory) {
        self.factory = factory
        eventsByKind = EventKindTable.kinds.indices.map { i in
            Counter(label: Self.events, dimensions: [("source", EventKindTable.sources[i]), ("kind", EventKindTable.kinds[i])],
                    factory: factory)
        }
        tableSize = Gauge(label: Self.processTableSize, factory: factory)
        reloadsOK = Counter(label: Self.profileReloads, dimensions: [("result", "ok")], factory: factory)
        reloadsFailed = Counter(label: Self.profileReloads, dimensions: [("result", "failed")], factory: factory)
    }

    /// `runtime_watch_drops_total{source,cause}`: the same count the drop event carried.
    mutating func drop(_ d: DropEvent) {
        let key = d.key
        let counter = dropsByCause[key] ?? {
            let c = Counter(label: Self.drops, dimensions: [("source", d.source), ("cause", d.cause ?? "unspecified")],
                            factory: factory)
            dropsByCause[key] = c
            return c
        }()
        let count = d.count
        counter.increment(by: Int64(clamping: count))
    }

    /// `runtime_watch_incidents_open{namespace,band}`: open incidents by namespace and risk band.
    mutating func openIncidents(_ open: [IncidentTracker.OpenKey: Int]) {
        for (key, entry) in openIncidentGauges where open[key] == nil && entry.value != 0 {
            entry.gauge.record(0)
            openIncidentGauges[key]!.value = 0
        }
        for (key, n) in open where openIncidentGauges[key]?.value != n {
            let gauge = openIncidentGauges[key]?.gauge
                ?? Gauge(label: Self.incidentsOpen, dimensions: [("namespace", key.namespace), ("band", key.band.rawValue)], factory: factory)
            gauge.record(n)
            openIncidentGauges[key] = (gauge, n)
        }
    }

    mutating func alert(rule: String, priority: Priority, count: Int) {
        let key = rule + "\u{0}" + priority.rawValue
        let counter = alertsByRulePriority[key] ?? {
            let c = Counter(label: Self.alerts, dimensions: [("rule", rule), ("priority", priority.rawValue)], factory: factory)
            alertsByRulePriority[key] = c
            return c
        }()
        counter.increment(by: Int64(count))
    }
}
