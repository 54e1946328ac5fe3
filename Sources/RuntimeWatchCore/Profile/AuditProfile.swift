// SPDX-License-Identifier: Apache-2.0
// The profile's `audit:` section: who and what the k8s_audit rules expect. Audit events come from
// the API server, not from a process, so they are scoped by identity (user name, groups), user
// agent and target namespace rather than by pod/container/executable like `allow:` entries.
//
//     audit:
//       production_namespaces: ["prod-*"]          # exec/attach there is raised in priority
//       allow:
//         - rules: [k8s-secret-read]                # optional: absent = every k8s_audit rule
//           users: ["system:serviceaccount:monitoring:prometheus"]   # globs
//           groups: ["system:nodes"]                # globs; users OR groups must match
//           user_agents: ["kubelet/*"]              # globs; if given, must match
//           namespaces: ["monitoring"]              # target namespace globs; if given, must match
//           reason: "why"

/// One `audit.allow` entry.
public struct AuditAllowEntry: Sendable, Hashable {
    /// k8s_audit rule ids this entry applies to; empty = every k8s_audit rule.
    public var rules: Set<String>
    public var users: [Glob]
    public var groups: [Glob]
    public var userAgents: [Glob]
    /// Target (objectRef) namespaces; a cluster-wide request (no namespace) never matches a
    /// non-empty list.
    public var namespaces: [Glob]
    /// Workload entries (`k8s-privileged-workload`): globs on the pod's container images (every
    /// container must match one) and on the workload, `Kind/name`: the object written or any owner
    /// up its chain (`DaemonSet/kube-proxy` covers its pods, `Deployment/x` its ReplicaSets' pods).
    public var images: [Glob] = []
    public var owners: [Glob] = []
    /// Who is behind the request (`AuditActor`); if given, must be one of these.
    public var actors: Set<AuditActor> = []
    public var reason: String?
    public var origin: ProfileLocation

    public init(rules: Set<String> = [], users: [Glob] = [], groups: [Glob] = [], userAgents: [Glob] = [],
                namespaces: [Glob] = [], reason: String? = nil,
                origin: ProfileLocation = ProfileLocation(file: "<code>", line: 0, column: 0)) {
        self.rules = rules; self.users = users; self.groups = groups; self.userAgents = userAgents
        self.namespaces = namespaces; self.reason = reason; self.origin = origin
    }

    /// True if this entry expects `event` for `rule`: the rule is covered (an identity-scoped entry
    /// never covers k8s-privileged-workload), the requesting user
    /// (`user.username`) or one of its groups matches (when any are given), and the user agent,
    /// actor, target namespace, images and workloads match (when given). `workloads`: `Kind/name`
    /// of the object written and its owners (k8s-privileged-workload only; empty for other rules).
    public func matches(rule: String, event: AuditEvent, workloads: [String] = []) -> Bool {
        guard rules.isEmpty || rules.contains(rule) else { return false }
        // Workload risk is allowed by the workload, never by who created it (a controller creates
        // every pod of a Deployment): an entry scoped by identity does not cover it.
        if rule == Rule.k8sPrivilegedWorkload.id, !users.isEmpty || !groups.isEmpty || !userAgents.isEmpty || !actors.isEmpty { return false }
        if !users.isEmpty || !groups.isEmpty {
            let name = event.user.username ?? ""
            let byName = users.contains { $0.matches(name) }
            let byGroup = !byName && groups.contains { g in (event.user.groups ?? []).contains { g.matches($0) } }
            guard byName || byGroup else { return false }
        }
        if !actors.isEmpty, !actors.contains(AuditActor(event)) { return false }
        if !userAgents.isEmpty {
            guard let agent = event.userAgent, userAgents.contains(where: { $0.matches(agent) }) else { return false }
        }
        if !namespaces.isEmpty {
            guard let ns = event.objectRef?.namespace, !ns.isEmpty, namespaces.contains(where: { $0.matches(ns) }) else { return false }
        }
        if !images.isEmpty {
            let podImages = event.requestObject?.podSpec?.allContainers.map { $0.image ?? "" } ?? []
            guard !podImages.isEmpty, podImages.allSatisfy({ image in images.contains { $0.matches(image) } }) else { return false }
        }
        if !owners.isEmpty {
            guard workloads.contains(where: { w in owners.contains { $0.matches(w) } }) else { return false }
        }
        return true
    }
}

/// The `audit:` section.
public struct AuditProfile: Sendable, Hashable {
    /// `audit.production_namespaces`; nil falls back to `settings.production_namespaces`.
    public var productionNamespaces: [Glob]?
    /// Entries in load order.
    public var allow: [AuditAllowEntry]
    /// `audit.rate_factor`: k8s-abnormal-rate fires above this many times an identity's busiest
    /// learned hour (default 3).
    public var rateFactor: Double?

    public init(productionNamespaces: [Glob]? = nil, allow: [AuditAllowEntry] = []) {
        self.productionNamespaces = productionNamespaces; self.allow = allow
    }

    /// The first entry expecting `event` for `rule`, or nil (then alert). `workloads`: see
    /// `AuditAllowEntry.matches`.
    public func allows(rule: String, event: AuditEvent, workloads: [String] = []) -> AuditAllowEntry? {
        allow.first { $0.matches(rule: rule, event: event, workloads: workloads) }
    }

    /// This section extended by `later`: entries appended, production namespaces overridden if set.
    public func merged(with later: AuditProfile) -> AuditProfile {
        var out = AuditProfile(productionNamespaces: later.productionNamespaces ?? productionNamespaces, allow: allow + later.allow)
        out.rateFactor = later.rateFactor ?? rateFactor
        return out
    }
}

extension Profile {
    /// True if `namespace` is a production namespace for the k8s_audit rules (`audit.production_namespaces`,
    /// else `settings.production_namespaces`).
    public func isAuditProduction(namespace: String?) -> Bool {
        guard let namespace else { return false }
        if let globs = audit.productionNamespaces { return globs.contains { $0.matches(namespace) } }
        return settings.isProduction(namespace: namespace)
    }
}
