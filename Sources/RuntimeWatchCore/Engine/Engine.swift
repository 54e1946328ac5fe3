// SPDX-License-Identifier: Apache-2.0
// The detection engine: event → state → detectors → (disable, fold) → sink, with counters. The same
// code runs live and in replay; it reads only the events, never the host or the wall clock.
//
// Hot path (`process`): one state update, two counter bumps (an array slot and a pre-made metric),
// and one `inspect` per active detector that says it needs the event (`needsInspection`). No per-event allocation of its own: alert handling,
// folding and dictionary-keyed counters only run when a detector returns an alert.

import CoreMetrics

public struct Engine: Sendable {
    public let configuration: EngineConfiguration
    /// Process, container and pod state, updated by every event before detectors run.
    public var state: SystemState { context.state }
    public var profile: Profile { context.profile }
    /// Holds `state` and `profile`; the one context every detector is handed (see
    /// `DetectionContext`). Changed only through `ownedContext`, which keeps `Engine` a value.
    private var context: DetectionContext
    /// Every rule known: built-ins plus what the detectors declare.
    public let catalog: RuleCatalog
    /// Where alerts go (use `MultiplexSink` for several).
    public let sink: any AlertSink
    /// Rules switched off: `--disable` united with the profile's `disable`.
    public private(set) var disabledRules: Set<String>

    private var detectors: [any Detector]
    /// Indices of detectors with at least one enabled rule (or no declared rules).
    private var activeDetectors: [Int] = []
    private var folder: AlertFolder
    /// k8s_audit alerts fold on the clock of the audit events, which can be days behind the node's
    /// (an old log read from its start, a backlog the API server resends): on the node's clock every
    /// window of theirs would be closed by the next process event, so live would fold nothing where
    /// replay of the same log folds it all. One clock per source, the same live and in replay.
    private var auditFolder: AlertFolder
    /// The latest audit event time seen.
    private var auditNow: UInt64 = 0
    /// Folds a shell's own egress alert into the shell's alert (see `ShellEgressJoin`).
    private var join = ShellEgressJoin()
    /// `thread.cap_effective` of the last alert's mask, reused while the mask repeats.
    private var capabilityNames = CapabilityNameMemo()
    /// Groups delivered alerts into incidents and stamps `rw.incident.id` on them.
    public private(set) var incidents = IncidentTracker()
    private var drops: DropMonitor
    private var metrics: EngineMetrics
    /// Latest event time seen: the engine's clock (events may arrive slightly out of order).
    private var now: UInt64 = 0
    private var nextGaugeUpdate: UInt64 = 0

    private var eventCounts: [UInt64]
    private var dropsByCause: [String: UInt64] = [:]
    private var alertsByRule: [String: UInt64] = [:]
    private var alertsByPriority: [String: UInt64] = [:]
    private var alertsEmitted: UInt64 = 0
    private var alertsDisabled: UInt64 = 0
    private var alertsRejected: UInt64 = 0
    private var reloadsOK: UInt64 = 0
    private var reloadsFailed: UInt64 = 0

    /// - Parameters:
    ///   - metrics: factory for the runtime_watch_* metrics; defaults to the global one, so bootstrap
    ///     `MetricsSystem` before creating the engine (tests pass their own factory instead).
    public init(configuration: EngineConfiguration, detectors: [any Detector], profile: Profile = Profile(),
                sink: any AlertSink, state: SystemState = SystemState(),
                metrics: any MetricsFactory = MetricsSystem.factory) {
        self.configuration = configuration
        self.context = DetectionContext(state: state, profile: profile, hostname: configuration.hostname,
                                        nodeResolvers: configuration.nodeResolvers.compactMap(IPAddress.init))
        self.sink = sink
        self.detectors = detectors
        var catalog = RuleCatalog.builtin
        catalog.register(detectors: detectors)
        self.catalog = catalog
        self.disabledRules = []
        self.folder = AlertFolder(windowNanoseconds: Self.foldWindow(configuration, profile), capacity: configuration.foldCapacity,
                                  floodBurst: Self.floodBurst(configuration, profile))
        self.auditFolder = folder
        self.drops = DropMonitor(policy: configuration.dropAlert)
        self.metrics = EngineMetrics(factory: metrics)
        self.eventCounts = Array(repeating: 0, count: EventKindTable.count)
        applyProfileSwitches()
    }

    /// The context, first copied if another engine value shares it (a copied `Engine` stays
    /// independent, as a struct should). Detectors do not keep it past `inspect`, so here it is
    /// normally the one reference and nothing is copied.
    private var ownedContext: DetectionContext {
        mutating get {
            if !isKnownUniquelyReferenced(&context) { context = context.copy() }
            return context
        }
    }

    // MARK: - Events

    /// Applies `record` to the state, runs the active detectors and delivers their alerts. Closes fold
    /// windows and reports pending drops that are due by this event's time first, so output order
    /// follows event time.
    public mutating func process(_ record: EventRecord) {
        if record.timestamp > now { now = record.timestamp }
        if now >= incidents.nextClose {
            incidents.expire(now: now, settings: profile.incidents)
            updateIncidentGauge()
        }
        if now >= join.nextDeadline { for a in join.expire(now: now) { fold(a) } }
        if now >= folder.nextEnd { for a in folder.expire(now: now) { deliver(a) } }
        if case .k8sAudit = record.event {
            if record.timestamp > auditNow { auditNow = record.timestamp }
            if auditNow >= auditFolder.nextEnd { for a in auditFolder.expire(now: auditNow) { deliver(a) } }
        }
        if drops.pending > 0, drops.isDue(now: now) { reportDrops() }

        ownedContext.state.apply(record)
        let kind = EventKindTable.index(of: record.event)
        eventCounts[kind] &+= 1
        metrics.eventsByKind[kind].increment()
        drops.eventsSinceReport &+= 1
        if case .drop(let d) = record.event { recordDrop(d) }
        if now >= nextGaugeUpdate { updateGauge() }

        // Most events interest no detector (forks, comm changes): they skip the loop's body.
        for i in activeDetectors {
            guard let alerts = detectors[i].inspectIfNeeded(record, context: context) else { continue }
            for alert in alerts {
                if let namer = configuration.capabilityName {
                    var memo = capabilityNames
                    let named = AlertBuilder.addingCapabilityNames(to: alert, record: record, state: state) { memo.names(of: $0, name: namer) }
                    capabilityNames = memo
                    submit(named)
                } else {
                    submit(alert)
                }
            }
        }
    }

    /// A heartbeat from a live source with the wall-clock time `at` (the clock events are stamped
    /// with): egress alerts held for a shell alert that are due by then are written, so a quiet node
    /// does not keep them. Replay has no heartbeats; its events and `finish()` release them.
    /// Quiet incidents close too, so the open-incidents gauge falls on a quiet node; ids do not
    /// depend on it (an alert after the quiet window opens a new incident either way).
    public mutating func tick(at: UInt64) {
        collectDue(now: at)
        if at >= join.nextDeadline { for a in join.expire(now: at) { fold(a) } }
        if at >= incidents.nextClose {
            incidents.expire(now: at, settings: profile.incidents)
            updateIncidentGauge()
        }
    }

    /// End of input (replay end, shutdown): emits every folded alert still open and a final drop
    /// report if drops are pending, regardless of the rate limit. The engine stays usable.
    public mutating func finish() {
        collectDue(now: .max)
        for a in join.flushAll() { fold(a) }
        for a in folder.flushAll() { deliver(a) }
        for a in auditFolder.flushAll() { deliver(a) }
        if drops.hasReportablePending { reportDrops() }
        updateGauge()
    }

    // MARK: - Profile

    /// Swaps in a new profile (SIGHUP reload) and counts a successful reload. Fold windows already
    /// open keep their end; new windows use the new fold window.
    public mutating func replaceProfile(_ newProfile: Profile) {
        ownedContext.profile = newProfile
        folder.windowNanoseconds = Self.foldWindow(configuration, newProfile)
        auditFolder.windowNanoseconds = folder.windowNanoseconds
        folder.floodBurst = Self.floodBurst(configuration, newProfile)
        auditFolder.floodBurst = folder.floodBurst
        applyProfileSwitches()
        reloadsOK &+= 1
        metrics.reloadsOK.increment()
    }

    /// Counts a reload whose profile was refused (the caller keeps the running profile).
    public mutating func recordProfileReloadFailure() {
        reloadsFailed &+= 1
        metrics.reloadsFailed.increment()
    }

    /// True if alerts of `ruleID` are delivered.
    public func isEnabled(_ ruleID: String) -> Bool { !disabledRules.contains(ruleID) }

    // MARK: - Counters

    public var stats: EngineStats {
        var s = EngineStats()
        for (i, n) in eventCounts.enumerated() where n > 0 { s.eventsByKind[EventKindTable.kinds[i]] = n }
        s.dropsByCause = dropsByCause
        s.alertsByRule = alertsByRule
        s.alertsByPriority = alertsByPriority
        s.alertsEmitted = alertsEmitted
        s.alertsDisabled = alertsDisabled
        s.alertsRejected = alertsRejected
        s.egressFoldedIntoShells = join.folded
        s.processTableSize = state.processes.count
        s.profileReloadsOK = reloadsOK
        s.profileReloadsFailed = reloadsFailed
        s.incidents = incidents.counts
        s.incidentsOpen = incidents.openCount
        return s
    }

    // MARK: - Internals

    private static func foldWindow(_ configuration: EngineConfiguration, _ profile: Profile) -> UInt64 {
        guard let seconds = profile.settings.foldWindowSeconds else { return configuration.foldWindowNanoseconds }
        return UInt64((seconds * 1e9).rounded())
    }

    private static func floodBurst(_ configuration: EngineConfiguration, _ profile: Profile) -> Int {
        profile.settings.floodBurst ?? configuration.floodBurst
    }

    private mutating func applyProfileSwitches() {
        disabledRules = configuration.disabledRules.union(profile.disabledRules)
        activeDetectors = detectors.indices.filter { i in
            let rules = detectors[i].rules
            return rules.isEmpty || rules.contains { !disabledRules.contains($0.id) }
        }
    }

    /// Every alert enters here: gate, disable filter, fold (unless `foldable` is false), deliver.
    private mutating func submit(_ alert: Alert, foldable: Bool = true) {
        let admitted: Alert
        switch AlertGate.admit(alert, catalog: catalog, hostname: configuration.hostname) {
        case .success(let a): admitted = a
        case .failure: alertsRejected &+= 1; return
        }
        guard !disabledRules.contains(admitted.ruleID) else { alertsDisabled &+= 1; return }
        guard foldable else { deliver(admitted); return }
        for a in join.offer(admitted, now: now) { fold(a) }
    }

    /// Alerts the detectors hold that are due by `now` (see `Detector.due`).
    private mutating func collectDue(now: UInt64) {
        for i in activeDetectors {
            for alert in detectors[i].due(now: now, context: context) { submit(alert) }
        }
    }

    private mutating func fold(_ alert: Alert) {
        let out = alert.source == .k8sAudit ? auditFolder.offer(alert) : folder.offer(alert)
        for a in out { deliver(a) }
    }

    /// Every admitted alert leaves here: incident tracking stamps it, then it goes to the sink,
    /// followed by the `Incident` alert it raised, if any (unless the `incident` rule is disabled).
    private mutating func deliver(_ alert: Alert) {
        let tracked = incidents.track(alert, profile: profile, hostname: configuration.hostname)
        emit(tracked.alert)
        if !disabledRules.contains(Rule.incident.id) { for raised in tracked.raised { emit(raised) } }
        updateIncidentGauge()
    }

    private mutating func emit(_ alert: Alert) {
        var alert = alert
        alert.renderOutput()   // once, here: a repeat the folder only counted was never rendered
        sink.emit(alert)
        alertsEmitted &+= 1
        let n = UInt64(max(1, alert.count))
        alertsByRule[alert.ruleID, default: 0] &+= n
        alertsByPriority[alert.priority.rawValue, default: 0] &+= n
        metrics.alert(rule: alert.ruleID, priority: alert.priority, count: Int(n))
    }

    private mutating func recordDrop(_ d: DropEvent) {
        dropsByCause[d.key, default: 0] &+= d.count
        metrics.drop(d)
        drops.record(d)
        if drops.isDue(now: now) { reportDrops() }
    }

    private mutating func reportDrops() {
        // Already rate-limited, so not folded.
        submit(drops.report(at: now, hostname: configuration.hostname), foldable: false)
    }

    private mutating func updateIncidentGauge() {
        metrics.openIncidents(incidents.openByNamespaceBand(profile.incidents))
    }

    private mutating func updateGauge() {
        metrics.tableSize.record(state.processes.count)
        nextGaugeUpdate = now &+ 1_000_000_000
    }
}
