// SPDX-License-Identifier: Apache-2.0
// The engine's counters as a plain value: what tests assert on and what `replay` prints at the end.
// The same numbers go to swift-metrics (see EngineMetrics) for the Prometheus endpoint.

public struct EngineStats: Sendable, Hashable {
    /// Events processed, by `Event.kind`.
    public var eventsByKind: [String: UInt64] = [:]
    /// Events capture reported lost, by `DropEvent.source`.
    public var dropsByCause: [String: UInt64] = [:]
    /// Detections delivered, by rule id. A folded alert counts as its `count`.
    public var alertsByRule: [String: UInt64] = [:]
    /// Detections delivered, by priority name. A folded alert counts as its `count`.
    public var alertsByPriority: [String: UInt64] = [:]
    /// Alert lines written to the sink (a folded alert is one line).
    public var alertsEmitted: UInt64 = 0
    /// Alerts dropped because their rule is disabled.
    public var alertsDisabled: UInt64 = 0
    /// Alerts refused by `AlertGate` (no rule, no time).
    public var alertsRejected: UInt64 = 0
    /// Egress alerts folded into the reverse-shell or bind-shell alert of the same connection.
    public var egressFoldedIntoShells: UInt64 = 0
    /// Processes in the state's table.
    public var processTableSize: Int = 0
    public var profileReloadsOK: UInt64 = 0
    public var profileReloadsFailed: UInt64 = 0
    /// Incidents opened, closed, evicted, and timeline entries not kept.
    public var incidents = IncidentTracker.Counts()
    /// Incidents open now.
    public var incidentsOpen = 0

    public init() {}

    /// Total events processed.
    public var events: UInt64 { eventsByKind.values.reduce(0, +) }
}
