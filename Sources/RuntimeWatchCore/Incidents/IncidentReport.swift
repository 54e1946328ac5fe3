// SPDX-License-Identifier: Apache-2.0
// `runtime-watch incidents`: the incidents of a list of alerts (a replay's, or an `--output` file's)
// as readable blocks, one per incident, the timeline in event order. Grouped only by what the alerts
// carry (`rw.incident.id`), so an alert file read back prints the incidents the live run made. The
// summary is the incident's final state, scored by the same code as live (`Incident`) over all its
// members: an `Incident` alert is raised only when a band is entered, so the last one may predate
// later steps (a chain that reaches the critical band at step 2 raises nothing at steps 3 and 4).

public struct IncidentReport: Sendable {
    public struct Block: Sendable, Hashable {
        public var id: String
        /// "pod shop/web-0", "container f53ae3ad0430".
        public var workload: String
        /// Member alerts (not the `Incident` alerts), in event order.
        public var members: [Alert]
        /// The latest `Incident` alert of this id, if the input has one (the `incident` rule may be disabled).
        public var latestIncidentAlert: Alert?
        /// Score, band and chain length over all members, with the profile's incident settings.
        public var score = 0
        public var band = IncidentBand.low
        public var chain = 0

        public var openedAt: UInt64 { members.first?.timestamp ?? latestIncidentAlert?.timestamp ?? 0 }
    }

    /// Incidents by the time of their first alert (then id).
    public private(set) var blocks: [Block] = []
    /// Alerts that belong to no incident (host processes, internal alerts, unlinked audit events).
    public private(set) var ungrouped = 0

    /// - Parameter profile: weights, thresholds and production namespaces to score with (the live
    ///   run's profile gives the live run's scores).
    public init(alerts: [Alert], profile: Profile) {
        var byID: [String: Block] = [:]
        for alert in alerts {
            guard case .string(let id)? = alert.fields["rw.incident.id"] else { ungrouped += 1; continue }
            var block = byID[id] ?? Block(id: id, workload: "", members: [], latestIncidentAlert: nil)
            if alert.ruleID == Rule.incident.id {
                block.latestIncidentAlert = alert
            } else {
                block.members.append(alert)
            }
            if block.workload.isEmpty, let w = IncidentWorkload(alert) { block.workload = w.description }
            byID[id] = block
        }
        let settings = profile.incidents
        blocks = byID.values.map { b in
            var sorted = b
            // Stable: alerts with the same time keep the order they were delivered in.
            sorted.members = b.members.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)
            if let first = sorted.members.first, let workload = IncidentWorkload(first) {
                var incident = Incident(workload: workload, openedAt: first.timestamp,
                                        production: profile.isIncidentProduction(namespace: workload.namespace))
                for alert in sorted.members { incident.add(alert, settings: settings, maxTimeline: settings.effectiveMaxTimeline) }
                sorted.score = incident.score(settings)
                sorted.band = settings.band(of: sorted.score)
                sorted.chain = incident.chain.length
            }
            return sorted
        }.sorted { ($0.openedAt, $0.id) < ($1.openedAt, $1.id) }
    }

    /// One block per incident, separated by blank lines:
    ///
    ///     Incident inc-… pod shop/web-0
    ///       score 105 (critical), 2 alerts, chain 2/4, opened 2026-11-22T11:59:20.1Z
    ///       2026-11-22T11:59:20.1Z service-account-token-read cat(10270) /var/run/…/token (Critical)
    ///       …
    public func text() -> String {
        var out: [String] = []
        for block in blocks {
            var lines = ["Incident \(block.id) \(block.workload)"]
            var summary = "  score \(block.score) (\(block.band.rawValue)), chain \(block.chain)/\(AttackChain.steps.count), "
            summary += "\(block.members.count) alert\(block.members.count == 1 ? "" : "s"), opened \(RFC3339.format(nanoseconds: block.openedAt))"
            lines.append(summary)
            for alert in block.members {
                lines.append("  \(IncidentTimelineEntry(alert).line) (\(alert.priority.rawValue))")
            }
            out.append(lines.joined(separator: "\n"))
        }
        if blocks.isEmpty { out.append("No incidents.") }
        if ungrouped > 0 { out.append("\(ungrouped) alert\(ungrouped == 1 ? "" : "s") outside any incident (host processes, internal alerts, audit events not tied to a pod).") }
        return out.joined(separator: "\n\n") + "\n"
    }
}
