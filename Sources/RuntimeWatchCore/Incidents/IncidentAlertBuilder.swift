// SPDX-License-Identifier: Apache-2.0
// The `Incident` alert: Falco-shaped like every other alert, priority from the score band, the
// timeline in `output` (time, rule, process, target) and in `rw.incident.timeline`.

enum IncidentAlertBuilder {
    /// - Parameters:
    ///   - trigger: the alert that opened the incident or raised its score (its time is the alert's).
    ///   - opened: true for the opening alert, false when the score entered a higher band.
    static func build(_ incident: Incident, settings: IncidentSettings, trigger: Alert, hostname: String,
                      opened: Bool) -> Alert {
        let score = incident.score(settings)
        let band = settings.band(of: score)
        let rule = Rule.incident
        let lines = incident.timeline.map(\.line)
        var fields: AlertFields = [
            "evt.time": .int(Int64(clamping: trigger.timestamp)),
            "container.id": FieldValue(incident.workload.container),
            "k8s.ns.name": FieldValue(incident.workload.namespace),
            "k8s.pod.name": FieldValue(incident.workload.pod),
            "k8s.pod.uid": FieldValue(incident.workload.podUID),
            "rw.incident.id": .string(incident.id),
            "rw.incident.workload": .string(incident.workload.key),
            "rw.incident.score": .int(Int64(score)),
            "rw.incident.band": .string(band.rawValue),
            "rw.incident.alerts": .int(Int64(incident.alerts)),
            "rw.incident.chain": .int(Int64(incident.chain.length)),
            "rw.incident.production": .string(incident.production ? "true" : "false"),
            "rw.incident.opened": .int(Int64(clamping: incident.openedAt)),
            "rw.incident.timeline": .list(lines),
            "rw.incident.timeline_dropped": .int(Int64(incident.timelineDropped)),
        ]
        fields["rw.incident.reason"] = .string(opened ? "opened" : "score entered band \(band.rawValue)")
        let dropped = incident.timelineDropped > 0 ? "; \(incident.timelineDropped) more not listed" : ""
        let output = "Incident \(incident.id) \(opened ? "opened" : "escalated") for \(incident.workload.description)"
            + " (score=\(score) band=\(band.rawValue) alerts=\(incident.alerts) chain=\(incident.chain.length)/\(AttackChain.steps.count)):"
            + " " + lines.joined(separator: "; ") + dropped
        return Alert(timestamp: trigger.timestamp, ruleID: rule.id, ruleName: rule.name, priority: band.priority,
                     source: trigger.source, hostname: hostname, output: output, tags: rule.tags + incident.tags.filter { !rule.tags.contains($0) },
                     fields: fields, advice: rule.advice)
    }
}
