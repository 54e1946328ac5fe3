// SPDX-License-Identifier: Apache-2.0
// Groups delivered alerts into incidents per workload (see IncidentWorkload.swift), stamps `rw.incident.id`
// on each, scores the incident (Incident.swift) and raises an `Incident` alert when one opens and
// each time its score enters a higher band.
//
// Contract (event time throughout, never the wall clock, so replay gives the incidents live gave):
// - An alert joins the open incident of its workload unless that incident has been quiet for the
//   window (its last alert at or before the alert's time minus the window); then that one closes
//   and a new one opens with this alert. The engine also closes quiet incidents as its clock moves.
// - The id comes from the workload key and the opening alert's time (IncidentID).
// - Bounded: at most `max_open` open incidents (past it the one quiet longest closes early, and is
//   counted as evicted) and `max_timeline` timeline entries each (later entries are counted).

public struct IncidentTracker: Sendable {
    /// What the tracker has done, for stats and tests.
    public struct Counts: Sendable, Hashable {
        public var opened: UInt64 = 0
        public var closed: UInt64 = 0
        /// Closed early to stay under `max_open` (also counted in `closed`).
        public var evicted: UInt64 = 0
        /// Alerts that joined an incident whose timeline was full.
        public var timelineDropped: UInt64 = 0
        public init() {}
    }

    /// The gauge key of an open incident: its namespace (`<none>` outside pods) and band.
    public struct OpenKey: Sendable, Hashable {
        public var namespace: String
        public var band: IncidentBand
    }

    public private(set) var counts = Counts()
    /// Open incidents by workload key.
    private var open: [String: Incident] = [:]
    /// The soonest time an open incident goes quiet; lets the engine skip `expire`.
    public private(set) var nextClose: UInt64 = .max

    public init() {}

    public var openCount: Int { open.count }

    /// Stamps `alert` with its incident's id, if its workload is grouped.
    /// - Returns: the alert to deliver, then the `Incident` alerts to deliver after it (none, or one
    ///   when the incident opened or entered a higher band).
    public mutating func track(_ alert: Alert, profile: Profile, hostname: String) -> (alert: Alert, raised: [Alert]) {
        guard let workload = IncidentWorkload(alert) else { return (alert, []) }
        let settings = profile.incidents
        let window = settings.quietWindowNanoseconds
        if let current = open[workload.key], isQuiet(current, at: alert.timestamp, window: window) {
            close(workload.key)
        }
        if open[workload.key] == nil {
            if open.count >= settings.effectiveMaxOpen, let victim = open.values.min(by: { ($0.lastSeen, $0.workload) < ($1.lastSeen, $1.workload) }) {
                close(victim.workload.key)
                counts.evicted &+= 1
            }
            open[workload.key] = Incident(workload: workload, openedAt: alert.timestamp,
                                          production: profile.isIncidentProduction(namespace: workload.namespace))
            counts.opened &+= 1
        }
        var incident = open[workload.key]!
        var stamped = alert
        stamped.fields["rw.incident.id"] = .string(incident.id)
        let timelineWasFull = incident.timeline.count >= settings.effectiveMaxTimeline
        incident.add(stamped, settings: settings, maxTimeline: settings.effectiveMaxTimeline)
        if timelineWasFull { counts.timelineDropped &+= 1 }

        var raised: [Alert] = []
        let band = settings.band(of: incident.score(settings))
        if incident.alertedBand.map({ band > $0 }) ?? true {
            raised.append(IncidentAlertBuilder.build(incident, settings: settings, trigger: stamped, hostname: hostname,
                                                     opened: incident.alertedBand == nil))
            incident.alertedBand = band
        }
        open[workload.key] = incident
        nextClose = min(nextClose, incident.lastSeen &+ window)
        return (stamped, raised)
    }

    /// Closes every incident quiet for the window as of `now`.
    public mutating func expire(now: UInt64, settings: IncidentSettings) {
        guard now >= nextClose else { return }
        let window = settings.quietWindowNanoseconds
        for key in open.filter({ isQuiet($0.value, at: now, window: window) }).keys { close(key) }
        nextClose = open.values.lazy.map { $0.lastSeen &+ window }.min() ?? .max
    }

    /// Open incidents by namespace and band (the band of each one's score now).
    public func openByNamespaceBand(_ settings: IncidentSettings) -> [OpenKey: Int] {
        var out: [OpenKey: Int] = [:]
        for incident in open.values {
            let key = OpenKey(namespace: incident.workload.namespace ?? "<none>", band: settings.band(of: incident.score(settings)))
            out[key, default: 0] += 1
        }
        return out
    }

    private func isQuiet(_ incident: Incident, at time: UInt64, window: UInt64) -> Bool {
        time >= incident.lastSeen && time - incident.lastSeen >= window
    }

    private mutating func close(_ key: String) {
        guard open.removeValue(forKey: key) != nil else { return }
        counts.closed &+= 1
    }
}
