// SPDX-License-Identifier: Apache-2.0
// The profile: what a cluster expects, so detectors stay quiet about it. Built by `ProfileLoader`
// from YAML (schema in profiles/README.md); an empty profile allows nothing and disables nothing.
//
//     version: 1
//     disable: [rule-id, ...]            # switch rules off
//     settings:                          # knobs detectors read (see ProfileSettings)
//       fold_window_seconds: 60
//       kubernetes_api: {cidrs: [10.96.0.1/32], ports: "443,6443"}
//       production_namespaces: ["prod-*"]
//     allow:                             # an event is allowed if ANY entry matches
//       - rules: [service-account-token-read]      # required
//         namespace: kube-system                    # globs; all scope keys optional, all given must match
//         pod: "kube-proxy-*"
//         container: kube-proxy
//         image: "registry.k8s.io/kube-proxy*"      # reference or repository
//         executable: /usr/local/bin/kube-proxy     # exe path, not process name
//         host: false                               # true: host processes only; false: containers only
//         paths: ["/var/run/secrets/**"]            # file targets
//         destinations:                             # network targets
//           - {cidr: 10.96.0.0/12, ports: "443,6443,8000-9000"}
//           - {host: api.example.com, ports: "443"} # resolved at load by the injected resolver
//         reason: "why this is expected"
//     audit:                             # k8s_audit rules: expected API requests (AuditProfile.swift)
//       production_namespaces: ["prod-*"]
//       allow: [{rules: [k8s-secret-read], users: ["system:serviceaccount:monitoring:*"], namespaces: [monitoring]}]
//     incidents:                         # grouping and risk scoring (IncidentSettings.swift)
//       quiet_window_seconds: 600
//       weights: {critical: 40, chain_step: 25, production: 20}
//       thresholds: {medium: 30, high: 60, critical: 100}
//     responses:                         # opt-in actions per rule (ResponseSettings.swift)
//       rules: {service-account-token-read: {respond: freeze, respond_dry_run: true}}
//       namespaces_allowed: [kube-system]

/// A non-fatal note from loading (a host name that did not resolve).
public struct ProfileWarning: Sendable, Hashable, CustomStringConvertible {
    public var location: ProfileLocation
    public var message: String
    public init(location: ProfileLocation, message: String) { self.location = location; self.message = message }
    public var description: String { "\(location): \(message)" }
}

public struct Profile: Sendable {
    /// Schema version; only 1 exists.
    public var version: Int
    /// Rules switched off by the profile (the engine adds `--disable`).
    public var disabledRules: Set<String>
    public var settings: ProfileSettings
    /// Allowlist entries in file order.
    public private(set) var allow: [AllowEntry]
    /// Names of the files (or "<embedded default>") this profile was built from, in load order.
    public var sources: [String]
    public var warnings: [ProfileWarning]
    /// The `audit:` section: expected API-server requests for the k8s_audit rules.
    public var audit = AuditProfile()
    /// The `incidents:` section: grouping window, score weights and bands (IncidentSettings.swift).
    public var incidents = IncidentSettings()
    /// The `responses:` section: which rules freeze or kill what they alert about (ResponseSettings.swift).
    public var responses = ResponseSettings()
    /// Entries by rule id, so a lookup scans only the entries that name the rule.
    private var index: [String: [IndexedAllowEntry]]
    /// The scoped entries of `index` alone: `scopes` is asked of every connect, and most entries
    /// are not scoped (working out `isScoped` per entry per connect was 1% of a replay).
    private var scopedIndex: [String: [IndexedAllowEntry]]

    /// The empty profile: allows nothing, disables nothing.
    public init() {
        self.init(allow: [])
    }

    public init(version: Int = 1, disabledRules: Set<String> = [], settings: ProfileSettings = ProfileSettings(),
                allow: [AllowEntry], sources: [String] = [], warnings: [ProfileWarning] = []) {
        self.version = version; self.disabledRules = disabledRules; self.settings = settings
        self.allow = allow; self.sources = sources; self.warnings = warnings
        var index: [String: [IndexedAllowEntry]] = [:]
        var scopedIndex: [String: [IndexedAllowEntry]] = [:]
        for entry in allow {
            let indexed = IndexedAllowEntry(entry)
            for rule in entry.rules {
                index[rule, default: []].append(indexed)
                if entry.isScoped { scopedIndex[rule, default: []].append(indexed) }
            }
        }
        self.index = index
        self.scopedIndex = scopedIndex
    }

    /// The first entry (in load order) that allows `rule` for `subject` acting on `target`, or nil if
    /// the event is not expected and the detector should alert.
    public func allows(rule: String, subject: ProfileSubject, target: ProfileTarget = .none) -> AllowEntry? {
        guard let candidates = index[rule] else { return nil }
        for c in candidates where c.admits(subject: subject) && c.admits(target: target) {
            return c.entry
        }
        return nil
    }

    /// Whether an entry expects `rule` for `subject` acting on `target` (`allows` without handing
    /// the entry back: detectors only ask whether to stay quiet, and a returned entry is a copy of
    /// a dozen reference-counted fields per check).
    public func expects(rule: String, subject: ProfileSubject, target: ProfileTarget = .none) -> Bool {
        guard let candidates = index[rule] else { return false }
        return candidates.contains { $0.admits(subject: subject) && $0.admits(target: target) }
    }

    /// Whether an entry for `rule` is scoped to `subject` (names its namespace, pod, container, image
    /// or executable, or host processes): such a workload is profiled, and judged strictly. Walks
    /// only the rule's scoped entries, each held by reference (`IndexedAllowEntry`).
    public func scopes(rule: String, to subject: ProfileSubject) -> Bool {
        guard let candidates = scopedIndex[rule] else { return false }
        return candidates.contains { $0.admits(subject: subject) }
    }

    /// This profile extended by `later`: disables are united, entries appended, settings overridden
    /// key by key, sources and warnings concatenated.
    public func merged(with later: Profile) -> Profile {
        var p = Profile(version: later.version, disabledRules: disabledRules.union(later.disabledRules),
                        settings: settings.overridden(by: later.settings), allow: allow + later.allow,
                        sources: sources + later.sources, warnings: warnings + later.warnings)
        p.audit = audit.merged(with: later.audit)
        p.incidents = incidents.overridden(by: later.incidents)
        p.responses = responses.overridden(by: later.responses)
        return p
    }
}

/// An allow entry held by reference in the rule index, with the fields it is matched by stored
/// apart: read out of an array, every check copied the entry's dozen reference-counted fields (a
/// retain and a release each); through a class holding the entry the optimizer still copied the
/// whole entry per check (about twice per replayed event), so a check reads only the fields it
/// needs, in place.
private final class IndexedAllowEntry: AllowMatching, Sendable {
    /// The entry, handed back by `allows`.
    let entry: AllowEntry
    let host: Bool
    let namespace: Glob?
    let pod: Glob?
    let container: Glob?
    let image: Glob?
    let executable: Glob?
    let paths: [Glob]
    let destinations: [Destination]

    init(_ entry: AllowEntry) {
        self.entry = entry
        host = entry.host; namespace = entry.namespace; pod = entry.pod; container = entry.container
        image = entry.image; executable = entry.executable; paths = entry.paths; destinations = entry.destinations
    }
}
