// SPDX-License-Identifier: Apache-2.0
// Summarises floods of DISTINCT alerts from one rule and one identity (issue 19): a user reading
// secrets one by one, a container scanning ports. Folding (AlertFolder) merges only repeats of the
// same target, so such a flood would still write one line per target. Here each (rule, identity)
// may open `burst` fold windows within a fold window of its own; past that, its further alerts are
// not emitted but summed into ONE summary alert, emitted when the identity's window closes.
//
// Contract (event time, like folding, so replay summarises exactly as live did):
// - Identity: `ka.user.name` for k8s_audit alerts; else the container (`container.id`); else, for
//   host processes, the executable (`proc.exepath`).
// - The summary is the latest summarised alert with `count` = the sum of the counts it stands for,
//   `rw.summary.distinct_targets` (counted up to `distinctLimit`), `rw.summary.targets` (the first
//   `sampleLimit` distinct targets) and an output that says so. Every count is kept: the summary's
//   `count` is what the rule/priority counters and metrics add.
// - At most `capacity` identities are tracked; past it the one whose window ends soonest closes early.

struct AlertFlood: Sendable {
    struct Identity: Hashable, Sendable, Comparable {
        var rule: String
        var who: String

        init(_ alert: Alert) {
            rule = alert.ruleID
            if alert.source == .k8sAudit {
                who = "user \(alert.fields["ka.user.name"]?.description ?? "<NA>")"
            } else if let container = alert.fields["container.id"], container != .null, container.description != "host" {
                who = "container \(container)"
            } else {
                who = "host process \(alert.fields["proc.exepath"]?.description ?? "<NA>")"
            }
        }

        static func < (a: Identity, b: Identity) -> Bool { (a.rule, a.who) < (b.rule, b.who) }
    }

    struct Window: Sendable {
        var end: UInt64
        var opened = 0
        var summarised = 0
        var latest: Alert?
        var targets: [String] = []
        var distinct: Set<String> = []
    }

    static let sampleLimit = 10
    static let distinctLimit = 1000

    /// Fold windows one identity may open per window before its alerts are summarised; 0: never.
    var burst: Int
    let capacity: Int
    private(set) var windows: [Identity: Window] = [:]
    private(set) var nextEnd: UInt64 = .max

    init(burst: Int, capacity: Int) {
        self.burst = burst
        self.capacity = capacity
    }

    /// Decides for `alert`, which would open a new fold window (its target is new in this window).
    /// - Returns: whether it may be emitted, and the summaries of identities closed early for room.
    mutating func admit(_ alert: Alert, window length: UInt64) -> (emit: Bool, closed: [Alert]) {
        guard burst > 0 else { return (true, []) }
        let who = Identity(alert)
        var closed: [Alert] = []
        var w: Window
        if let open = windows[who] {
            w = open
        } else {
            if windows.count >= capacity, let victim = windows.min(by: { ($0.value.end, $0.key) < ($1.value.end, $1.key) }) {
                if let summary = Self.summary(victim.key, victim.value) { closed.append(summary) }
                windows[victim.key] = nil
            }
            let end = alert.timestamp &+ length
            w = Window(end: end < alert.timestamp ? .max : end)
            nextEnd = min(nextEnd, w.end)
        }
        let emit = w.opened < burst
        if emit {
            w.opened += 1
        } else {
            summarise(alert, into: &w)
        }
        windows[who] = w
        return (emit, closed)
    }

    /// Counts a repeat of a target that was summarised, not emitted (it has no fold window).
    private func summarise(_ alert: Alert, into w: inout Window) {
        w.summarised += max(1, alert.count)
        w.latest = alert
        let target = alert.target
        if w.distinct.count < Self.distinctLimit, w.distinct.insert(target).inserted, w.targets.count < Self.sampleLimit {
            w.targets.append(target)
        }
    }

    /// Closes every identity window ending at or before `now`.
    /// - Returns: summaries of those that summarised anything, in (end, identity) order.
    mutating func expire(now: UInt64) -> [(end: UInt64, alert: Alert)] {
        guard now >= nextEnd else { return [] }
        let closing = windows.filter { $0.value.end <= now }.sorted { ($0.value.end, $0.key) < ($1.value.end, $1.key) }
        for (key, _) in closing { windows[key] = nil }
        nextEnd = windows.values.lazy.map(\.end).min() ?? .max
        return closing.compactMap { entry in Self.summary(entry.key, entry.value).map { (entry.value.end, $0) } }
    }

    private static func summary(_ who: Identity, _ w: Window) -> Alert? {
        guard w.summarised > 0, var a = w.latest else { return nil }
        let distinct = w.distinct.count >= distinctLimit ? "\(distinctLimit) or more" : String(w.distinct.count)
        a.count = w.summarised
        a.fields["rw.summary.distinct_targets"] = .int(Int64(w.distinct.count))
        a.fields["rw.summary.targets"] = .list(w.targets)
        a.output = "Summary: \(w.summarised) more \(a.ruleName) alerts from \(who.who) after the first \(w.opened) of its window, "
            + "\(distinct) distinct targets (first: \(w.targets.joined(separator: ", "))); latest: \(a.output)"
        return a
    }
}
