// SPDX-License-Identifier: Apache-2.0
// Turns capture's DropEvents into the rate-limited `internal-event-drop` alert (Falco's "syscall event
// drop" alert, source `internal`). Lost events mean the state and the detections have a blind spot,
// and operators must hear about it, but a storm of drops must not become a storm of alerts.

struct DropMonitor: Sendable {
    let policy: DropAlertPolicy
    /// Events lost since the last report, in total and by source.
    private(set) var pending: UInt64 = 0
    private var pendingByCause: [String: UInt64] = [:]
    private var reasons: Set<String> = []
    /// Events processed since the last report (Falco's n_evts).
    var eventsSinceReport: UInt64 = 0
    private(set) var lastReportAt: UInt64?

    init(policy: DropAlertPolicy) { self.policy = policy }

    mutating func record(_ drop: DropEvent) {
        pending &+= drop.count
        pendingByCause[drop.key, default: 0] &+= drop.count   // "source/cause", as the metric is labelled
        if !drop.reason.isEmpty, reasons.count < 16 { reasons.insert(drop.reason) }
    }

    /// True when enough drops are pending and the rate limit allows a report at `now`.
    func isDue(now: UInt64) -> Bool {
        guard pending >= policy.threshold else { return false }
        guard let last = lastReportAt else { return true }
        return now >= last &+ policy.intervalNanoseconds
    }

    /// True when there is something worth a final report (used by `finish`, which ignores the rate limit).
    var hasReportablePending: Bool { pending >= policy.threshold }

    static let template = "runtime-watch internal: event drop. %n_drops events lost since the last report (%drop.causes; %drop.reasons) while %n_evts events were processed"

    /// The alert for what is pending, and resets the tally.
    mutating func report(at now: UInt64, hostname: String) -> Alert {
        let causes = pendingByCause.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let fields: AlertFields = [
            "evt.time": .int(Int64(clamping: now)),
            "evt.type": .string("drop"),
            "n_drops": .int(Int64(clamping: pending)),
            "n_evts": .int(Int64(clamping: eventsSinceReport)),
            "drop.causes": .list(causes),
            "drop.reasons": .list(reasons.sorted()),
        ]
        let rule = Rule.internalEventDrop
        let alert = Alert(timestamp: now, ruleID: rule.id, ruleName: rule.name, priority: rule.priority, source: rule.source,
                          hostname: hostname, output: AlertBuilder.render(Self.template, fields: fields), tags: rule.tags,
                          fields: fields, advice: rule.advice)
        pending = 0
        pendingByCause.removeAll(keepingCapacity: true)
        reasons.removeAll(keepingCapacity: true)
        eventsSinceReport = 0
        lastReportAt = now
        return alert
    }
}
