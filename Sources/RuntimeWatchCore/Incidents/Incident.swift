// SPDX-License-Identifier: Apache-2.0
// One open incident: the alerts about one workload since it opened, their timeline and its score.

/// One line of an incident's timeline: when, which rule, which process, on what.
public struct IncidentTimelineEntry: Sendable, Hashable {
    public var time: UInt64
    public var rule: String
    /// `name(pid)` for process alerts, `user NAME` for audit alerts, `<NA>` when neither is known.
    public var process: String
    /// `Alert.target`: the file, the remote address or the API request.
    public var target: String
    /// How many identical alerts the entry stands for (folding).
    public var count: Int

    public init(_ alert: Alert) {
        time = alert.timestamp
        rule = alert.ruleID
        target = alert.target
        count = alert.count
        if let pid = alert.fields["proc.pid"], pid != .null {
            process = "\(alert.fields["proc.name"] ?? .null)(\(pid))"
        } else if let user = alert.fields["ka.user.name"], user != .null {
            process = "user \(user)"
        } else {
            process = "<NA>"
        }
    }

    /// "2026-11-22T10:00:01.123456789Z service-account-token-read cat(10270) /var/run/…/token" (and
    /// " x3" when folded).
    public var line: String {
        "\(RFC3339.format(nanoseconds: time)) \(rule) \(process) \(target)" + (count > 1 ? " x\(count)" : "")
    }
}

struct Incident: Sendable {
    let id: String
    let workload: IncidentWorkload
    let openedAt: UInt64
    /// Latest alert time: the quiet window runs from here.
    var lastSeen: UInt64
    /// Alerts (lines, a folded alert is one) that joined the incident.
    var alerts = 0
    /// Points per distinct rule: the weight of the highest priority it alerted at, plus the
    /// first-seen bonus if one of its alerts said so. Repeats of a rule add nothing: a looping
    /// process is one behaviour, not many.
    var rulePoints: [String: Int] = [:]
    var chain = AttackChain()
    /// Whether the workload's namespace was production when the incident opened.
    let production: Bool
    /// The first `max_timeline` entries delivered, in event time order.
    var timeline: [IncidentTimelineEntry] = []
    var timelineDropped = 0
    /// Tags of every member alert, first seen first.
    var tags: [String] = []
    /// The band of the last `Incident` alert (nil before the opening one).
    var alertedBand: IncidentBand?

    init(workload: IncidentWorkload, openedAt: UInt64, production: Bool) {
        self.id = IncidentID.make(workloadKey: workload.key, openedAt: openedAt)
        self.workload = workload
        self.openedAt = openedAt
        self.lastSeen = openedAt
        self.production = production
    }

    /// Adds `alert` (already stamped with this incident's id).
    mutating func add(_ alert: Alert, settings: IncidentSettings, maxTimeline: Int) {
        alerts += 1
        lastSeen = max(lastSeen, alert.timestamp)
        var points = settings.weight(of: alert.priority)
        if alert.fields["rw.first_seen"] == .string("true") { points += settings.bonus("first_seen") }
        rulePoints[alert.ruleID] = max(rulePoints[alert.ruleID] ?? 0, points)
        chain.record(alert.ruleID, at: alert.timestamp, cap: maxTimeline)
        // A shell alert that took in the egress alert of its own connection (`rw.folded_rules`,
        // ShellEgressJoin) stands for both: the connection came before the shell ran on it, so it
        // counts as the step just before, with its rule's default priority.
        if case .list(let folded)? = alert.fields["rw.folded_rules"] {
            for rule in folded {
                chain.record(rule, at: alert.timestamp &- 1, cap: maxTimeline)
                let foldedPoints = RuleCatalog.builtin.rule(id: rule).map { settings.weight(of: $0.priority) } ?? 0
                rulePoints[rule] = max(rulePoints[rule] ?? 0, foldedPoints)
            }
        }
        if timeline.count < maxTimeline {
            // In event time order: an alert can arrive after a later one (audit reports connects late).
            let at = timeline.firstIndex { $0.time > alert.timestamp } ?? timeline.count
            timeline.insert(IncidentTimelineEntry(alert), at: at)
        } else {
            timelineDropped += 1
        }
        for tag in alert.tags where !tags.contains(tag) { tags.append(tag) }
    }

    /// Rule points + the chain bonus (per in-order step past the first) + the production bonus.
    func score(_ settings: IncidentSettings) -> Int {
        rulePoints.values.reduce(0, +)
            + max(0, chain.length - 1) * settings.bonus("chain_step")
            + (production ? settings.bonus("production") : 0)
    }
}
