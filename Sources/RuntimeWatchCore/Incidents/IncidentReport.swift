// SPDX-License-Identifier: Apache-2.0
// `runtime-watch incidents`: the incidents of a list of alerts (a replay's, or an `--output` file's)
// as readable blocks, one per incident, the timeline in event order. Built only from what the alerts
// carry (`rw.incident.id` on members, the `Incident` alerts' score), so an alert file read back
// prints what the live run decided.

public struct IncidentReport: Sendable {
    public struct Block: Sendable, Hashable {
        public var id: String
        /// "pod shop/web-0", "container f53ae3ad0430".
        public var workload: String
        /// Member alerts (not the `Incident` alerts), in event order.
        public var members: [Alert]
        /// The latest `Incident` alert of this id, if the input has one (the `incident` rule may be disabled).
        public var latestIncidentAlert: Alert?

        public var openedAt: UInt64 { members.first?.timestamp ?? latestIncidentAlert?.timestamp ?? 0 }
    }

    /// Incidents by the time of their first alert (then id).
    public private(set) var blocks: [Block] = []
    /// Alerts that belong to no incident (host processes, internal alerts, unlinked audit events).
    public private(set) var ungrouped = 0

    public init(alerts: [Alert]) {
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
        blocks = byID.values.map { b in
            var sorted = b
            // Stable: alerts with the same time keep the order they were delivered in.
            sorted.members = b.members.enumerated().sorted { ($0.element.timestamp, $0.offset) < ($1.element.timestamp, $1.offset) }.map(\.element)
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
            var summary = "  "
            if let a = block.latestIncidentAlert {
                summary += "score \(a.fields["rw.incident.score"] ?? .null) (\(a.fields["rw.incident.band"] ?? .null)), "
                summary += "chain \(a.fields["rw.incident.chain"] ?? .null)/\(AttackChain.steps.count), "
            } else {
                summary += "score unknown (no Incident alert in the input), "
            }
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
