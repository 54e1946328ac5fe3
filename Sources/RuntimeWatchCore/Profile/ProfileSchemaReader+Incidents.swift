// SPDX-License-Identifier: Apache-2.0
// Reads the profile's `incidents:` section (see IncidentSettings.swift), with the same
// file:line:column errors as the rest of the schema.

import Yams

extension ProfileSchemaReader {
    static let incidentKeys = ["quiet_window_seconds", "weights", "thresholds", "production_namespaces", "max_open", "max_timeline"]
    static let incidentWeightKeys = Priority.allCases.map { $0.rawValue.lowercased() } + IncidentSettings.bonusWeightKeys
    static let incidentThresholdKeys = IncidentBand.allCases.filter { $0 != .low }.map(\.rawValue)

    func incidents(from node: Node) throws(ProfileError) -> IncidentSettings {
        let fields = try mapping(node, what: "'incidents'", allowed: Self.incidentKeys)
        var s = IncidentSettings()
        if let n = fields["quiet_window_seconds"] {
            let seconds = try number(n, what: "'quiet_window_seconds'")
            // 0 would close every incident at its next event: nothing would ever be grouped.
            guard seconds > 0, seconds <= 86_400 else {
                throw error(at: n, "'quiet_window_seconds' must be more than 0 and at most 86400, found \(seconds)")
            }
            s.quietWindowSeconds = seconds
        }
        if let n = fields["weights"] {
            let weights = try mapping(n, what: "'incidents.weights'", allowed: Self.incidentWeightKeys)
            for item in weights.items {
                let points = try points(item.value, what: "weight '\(item.key)'")
                if let priority = Priority(name: item.key) { s.priorityWeights[priority] = points }
                else { s.bonusWeights[item.key] = points }
            }
        }
        if let n = fields["thresholds"] {
            let thresholds = try mapping(n, what: "'incidents.thresholds'", allowed: Self.incidentThresholdKeys)
            for item in thresholds.items {
                s.thresholds[IncidentBand(rawValue: item.key)!] = try points(item.value, what: "threshold '\(item.key)'")
            }
            // Bands must nest: with defaults filling what the file leaves out, each band starts higher.
            let bands = Self.incidentThresholdKeys.compactMap(IncidentBand.init(rawValue:))
            for (lower, upper) in zip(bands, bands.dropFirst()) where s.threshold(lower) >= s.threshold(upper) {
                let at = thresholds[upper.rawValue] ?? thresholds[lower.rawValue] ?? n
                throw error(at: at, "threshold '\(upper.rawValue)' (\(s.threshold(upper))) must be above '\(lower.rawValue)' (\(s.threshold(lower)))")
            }
        }
        if let n = fields["production_namespaces"] {
            s.productionNamespaces = try globList(n, what: "'production_namespaces'")
        }
        if let n = fields["max_open"] { s.maxOpen = try bound(n, what: "'max_open'", limit: 100_000) }
        if let n = fields["max_timeline"] { s.maxTimeline = try bound(n, what: "'max_timeline'", limit: 1_000) }
        return s
    }

    /// A score weight or threshold: an integer from 0 to 10000.
    private func points(_ node: Node, what: String) throws(ProfileError) -> Int {
        let v = try integer(node, what: what)
        guard v >= 0, v <= 10_000 else { throw error(at: node, "\(what) must be between 0 and 10000, found \(v)") }
        return v
    }

    /// A size bound: an integer from 1 to `limit`.
    private func bound(_ node: Node, what: String, limit: Int) throws(ProfileError) -> Int {
        let v = try integer(node, what: what)
        guard v >= 1, v <= limit else { throw error(at: node, "\(what) must be between 1 and \(limit), found \(v)") }
        return v
    }
}
