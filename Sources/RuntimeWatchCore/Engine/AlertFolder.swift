// SPDX-License-Identifier: Apache-2.0
// Folds repeats of the same alert so a looping process cannot flood the outputs.
//
// Contract (event time throughout, never the wall clock, so replay folds exactly as live did):
// - Key: rule id, `container.id`, `proc.exepath`, and the target (`fd.rip`:`fd.rport` for network
//   alerts, else `fd.name`). Alerts that differ in any of these are never folded together.
// - The first alert of a key is emitted at once and opens a window [t, t + window).
// - Further alerts of that key inside the window are not emitted; they are counted, and the latest
//   one is kept.
// - When the window closes (an event at or past its end is processed, or `flushAll` at the end),
//   if it held N >= 1 repeats, ONE alert is emitted: the latest repeat with `count = N`.
//   So 1 + 3 occurrences in a window give two alerts: count 1 (not serialised) and count 3.
// - An alert after the window closed starts a new window and is emitted at once.
// - At most `capacity` windows are open; a new key past that closes the window ending soonest.
// - Windows closing together are emitted in (end time, key) order, so output is deterministic.
// - A new window is opened only if its rule and identity have not opened `AlertFlood.burst` windows
//   already in their own window; past that, the alert goes into that identity's summary (AlertFlood).

struct AlertFolder: Sendable {
    struct Key: Hashable, Sendable, Comparable {
        var rule: String
        var container: String
        var executable: String
        var target: String

        init(_ alert: Alert) {
            rule = alert.ruleID
            container = alert.fields["container.id"]?.description ?? "<NA>"
            executable = alert.fields["proc.exepath"]?.description ?? "<NA>"
            // k8s_audit repeats are the same user making the same request with the same outcome.
            target = alert.target
        }

        static func < (a: Key, b: Key) -> Bool {
            (a.rule, a.container, a.executable, a.target) < (b.rule, b.container, b.executable, b.target)
        }
    }

    struct Window: Sendable {
        var end: UInt64
        var repeats: Int = 0
        var latest: Alert?
    }

    var windowNanoseconds: UInt64
    let capacity: Int
    private(set) var windows: [Key: Window] = [:]
    private(set) var flood: AlertFlood
    /// The soonest window end (fold or flood), or UInt64.max with none open. Lets the engine skip `expire`.
    var nextEnd: UInt64 { min(nextFoldEnd, flood.nextEnd) }
    private var nextFoldEnd: UInt64 = .max

    /// Fold windows one rule and identity may open per window before the rest is summarised (0: never).
    var floodBurst: Int {
        get { flood.burst }
        set { flood.burst = newValue }
    }

    init(windowNanoseconds: UInt64, capacity: Int, floodBurst: Int = 0) {
        self.windowNanoseconds = windowNanoseconds
        self.capacity = capacity
        self.flood = AlertFlood(burst: floodBurst, capacity: capacity)
    }

    /// Offers an alert. Returns the alerts to emit now, in order: folded alerts of windows closed early
    /// to make room, then `alert` itself if it is the first of its window.
    mutating func offer(_ alert: Alert) -> [Alert] {
        guard windowNanoseconds > 0 else { return [alert] }
        let key = Key(alert)
        if var w = windows[key] {
            w.repeats += 1
            w.latest = alert
            windows[key] = w
            return []
        }
        let admitted = flood.admit(alert, window: windowNanoseconds)
        var out = admitted.closed
        guard admitted.emit else { return out }
        if windows.count >= capacity, let victim = windows.min(by: { ($0.value.end, $0.key) < ($1.value.end, $1.key) }) {
            if let folded = Self.folded(victim.value) { out.append(folded) }
            windows[victim.key] = nil
        }
        let end = alert.timestamp &+ windowNanoseconds
        windows[key] = Window(end: end < alert.timestamp ? .max : end)
        nextFoldEnd = windows.values.lazy.map(\.end).min() ?? .max
        out.append(alert)
        return out
    }

    /// Closes every window (fold or flood) whose end is at or before `now`.
    /// - Returns: the folded alerts of closed windows that held repeats, in (end, key) order, and the
    ///   flood summaries; at the same end, folded alerts come first.
    mutating func expire(now: UInt64) -> [Alert] {
        guard now >= nextEnd else { return [] }
        var out: [(end: UInt64, alert: Alert)] = []
        if now >= nextFoldEnd {
            let closing = windows.filter { $0.value.end <= now }.sorted { ($0.value.end, $0.key) < ($1.value.end, $1.key) }
            for (key, _) in closing { windows[key] = nil }
            nextFoldEnd = windows.values.lazy.map(\.end).min() ?? .max
            out = closing.compactMap { entry in Self.folded(entry.value).map { (entry.value.end, $0) } }
        }
        let summaries = flood.expire(now: now)
        guard !summaries.isEmpty else { return out.map(\.alert) }
        // Stable merge by end: each list is already in order.
        return (out + summaries).enumerated().sorted { ($0.element.end, $0.offset) < ($1.element.end, $1.offset) }.map(\.element.alert)
    }

    /// Closes every window (end of input).
    mutating func flushAll() -> [Alert] { expire(now: .max) }

    private static func folded(_ w: Window) -> Alert? {
        guard w.repeats > 0, var a = w.latest else { return nil }
        a.count = w.repeats
        return a
    }
}
