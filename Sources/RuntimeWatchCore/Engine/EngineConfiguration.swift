// SPDX-License-Identifier: Apache-2.0
// The engine's knobs that do not come from the profile: host name, the node's resolvers, `--disable`,
// fold window and flood burst defaults, bounds, and the drop-alert rate limit.

public struct EngineConfiguration: Sendable {
    /// Written into every alert's `hostname`.
    public var hostname: String
    /// Rule ids switched off on the command line (`--disable`); united with the profile's `disable`.
    public var disabledRules: Set<String>
    /// Fold window when the profile sets no `fold_window_seconds`. 0 turns folding off.
    public var foldWindowNanoseconds: UInt64
    /// Most fold windows open at once; past it the window closing soonest is closed early.
    public var foldCapacity: Int
    /// Distinct alerts one rule and identity may emit per fold window before the rest is summarised
    /// into one alert (AlertFlood), when the profile sets no `flood_burst`. 0 turns it off.
    public var floodBurst: Int = 20
    /// When the internal event-drop alert fires.
    public var dropAlert: DropAlertPolicy
    /// Names a capability number (`21` → `CAP_SYS_ADMIN`). When set, alerts about a process whose
    /// CapEff capture read carry `thread.cap_effective` (names, space-separated, as Falco prints it).
    /// The same fixed table live, in replay and in tests, so a replayed alert is the live one; nil
    /// adds no field.
    public var capabilityName: (@Sendable (Int) -> String?)?
    /// The node's own DNS resolvers (live: its /etc/resolv.conf; replay: the trace header). DNS to
    /// them is expected from every container, like DNS to the container's own resolvers.
    public var nodeResolvers: [String] = []

    public init(hostname: String, disabledRules: Set<String> = [], foldWindowNanoseconds: UInt64 = 60_000_000_000,
                foldCapacity: Int = 4096, dropAlert: DropAlertPolicy = DropAlertPolicy()) {
        self.hostname = hostname; self.disabledRules = disabledRules
        self.foldWindowNanoseconds = foldWindowNanoseconds; self.foldCapacity = max(1, foldCapacity)
        self.dropAlert = dropAlert
        self.capabilityName = CapabilityNames.name(of:)
    }
}

/// Rate limit for `internal-event-drop`: an alert when at least `threshold` events were lost since
/// the last one, at most one per `intervalNanoseconds` of event time (Falco's default is one per
/// 30 s). Drops seen while rate-limited are reported in the next alert, or by `Engine.finish()`.
public struct DropAlertPolicy: Sendable, Hashable {
    public var threshold: UInt64
    public var intervalNanoseconds: UInt64
    public init(threshold: UInt64 = 1, intervalNanoseconds: UInt64 = 30_000_000_000) {
        self.threshold = max(1, threshold); self.intervalNanoseconds = intervalNanoseconds
    }
}
