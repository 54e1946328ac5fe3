// SPDX-License-Identifier: Apache-2.0
// The profile's `incidents:` section: how alerts are grouped into incidents and scored. Every key is
// optional so layered profiles override key by key; the accessors below give the defaults.
//
//     incidents:
//       quiet_window_seconds: 600          # an incident closes after this long without an alert (event time)
//       weights:
//         critical: 40                      # points for each distinct rule, by the highest priority it alerted at
//         chain_step: 25                    # per step of token read → API contact → egress → shell, in order, past the first
//         production: 20                    # once, if the workload's namespace is production
//         first_seen: 10                    # per distinct rule whose alert says rw.first_seen: "true"
//       thresholds: {medium: 30, high: 60, critical: 100}   # score bands; crossing one re-alerts
//       production_namespaces: ["prod-*"]   # absent: settings.production_namespaces
//       max_open: 1024                      # open incidents kept; past it the quietest closes early
//       max_timeline: 64                    # timeline entries kept per incident; later ones are counted

/// A risk band: the score range an incident is in. Its `Incident` alert's priority follows it.
public enum IncidentBand: String, Sendable, Hashable, CaseIterable, Comparable {
    case low, medium, high, critical

    /// The priority of the `Incident` alert for an incident in this band.
    public var priority: Priority {
        switch self {
        case .low: .notice
        case .medium: .warning
        case .high: .error
        case .critical: .critical
        }
    }

    public static func < (a: IncidentBand, b: IncidentBand) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

public struct IncidentSettings: Sendable, Hashable {
    /// Weight names under `weights:` that are not priorities.
    public static let bonusWeightKeys = ["chain_step", "production", "first_seen"]

    public static let defaultQuietWindowSeconds = 600.0
    public static let defaultPriorityWeights: [Priority: Int] = [
        .emergency: 60, .alert: 50, .critical: 40, .error: 25, .warning: 15, .notice: 5, .informational: 1, .debug: 0,
    ]
    public static let defaultBonusWeights = ["chain_step": 25, "production": 20, "first_seen": 10]
    public static let defaultThresholds: [IncidentBand: Int] = [.medium: 30, .high: 60, .critical: 100]
    public static let defaultMaxOpen = 1024
    public static let defaultMaxTimeline = 64

    /// `quiet_window_seconds`.
    public var quietWindowSeconds: Double?
    /// `weights:` priority keys (`critical: 40`).
    public var priorityWeights: [Priority: Int] = [:]
    /// `weights:` bonus keys (`chain_step`, `production`, `first_seen`).
    public var bonusWeights: [String: Int] = [:]
    /// `thresholds:` (`medium`, `high`, `critical`): the lowest score of each band.
    public var thresholds: [IncidentBand: Int] = [:]
    /// `production_namespaces`; nil falls back to `settings.production_namespaces`.
    public var productionNamespaces: [Glob]?
    public var maxOpen: Int?
    public var maxTimeline: Int?

    public init() {}

    /// These settings with every key that `later` sets taken from `later`.
    public func overridden(by later: IncidentSettings) -> IncidentSettings {
        var s = self
        s.quietWindowSeconds = later.quietWindowSeconds ?? quietWindowSeconds
        s.priorityWeights.merge(later.priorityWeights) { $1 }
        s.bonusWeights.merge(later.bonusWeights) { $1 }
        s.thresholds.merge(later.thresholds) { $1 }
        s.productionNamespaces = later.productionNamespaces ?? productionNamespaces
        s.maxOpen = later.maxOpen ?? maxOpen
        s.maxTimeline = later.maxTimeline ?? maxTimeline
        return s
    }

    // MARK: - Effective values

    public var quietWindowNanoseconds: UInt64 {
        UInt64(((quietWindowSeconds ?? Self.defaultQuietWindowSeconds) * 1e9).rounded())
    }

    /// Points for a rule that alerted at `priority`.
    public func weight(of priority: Priority) -> Int {
        priorityWeights[priority] ?? Self.defaultPriorityWeights[priority] ?? 0
    }

    /// Points of a bonus (`chain_step`, `production`, `first_seen`).
    public func bonus(_ key: String) -> Int { bonusWeights[key] ?? Self.defaultBonusWeights[key] ?? 0 }

    /// The band a score falls in.
    public func band(of score: Int) -> IncidentBand {
        for band in IncidentBand.allCases.reversed() where band != .low {
            if score >= threshold(band) { return band }
        }
        return .low
    }

    /// The lowest score of `band` (0 for low).
    public func threshold(_ band: IncidentBand) -> Int {
        band == .low ? 0 : thresholds[band] ?? Self.defaultThresholds[band] ?? 0
    }

    public var effectiveMaxOpen: Int { max(1, maxOpen ?? Self.defaultMaxOpen) }
    public var effectiveMaxTimeline: Int { max(1, maxTimeline ?? Self.defaultMaxTimeline) }
}

extension Profile {
    /// True if `namespace` counts as production for incident scoring (`incidents.production_namespaces`,
    /// else `settings.production_namespaces`).
    public func isIncidentProduction(namespace: String?) -> Bool {
        guard let namespace else { return false }
        if let globs = incidents.productionNamespaces { return globs.contains { $0.matches(namespace) } }
        return settings.isProduction(namespace: namespace)
    }
}
