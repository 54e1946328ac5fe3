// SPDX-License-Identifier: Apache-2.0
// The profile's `responses:` section: which rules act on the workload they alert about, and how.
// Responses are opt-in per rule; a profile without the section never acts.
//
//     responses:
//       rules:
//         service-account-token-read: {respond: freeze}
//         reverse-shell: {respond: kill, respond_dry_run: true}
//       namespaces_allowed: [kube-system]   # protected namespaces responses may touch (default: none)

/// What a response does to the workload an alert is about.
public enum ResponseAction: String, Sendable, Hashable, CaseIterable {
    /// Freeze the container's cgroup (cgroup v2 `cgroup.freeze`, v1 freezer); `runtime-watch thaw` undoes it.
    case freeze
    /// SIGKILL the offending process (`proc.pid`).
    case kill
}

/// One rule's configured response.
public struct RuleResponse: Sendable, Hashable {
    public var action: ResponseAction
    /// `respond_dry_run: true`: say what would be done, do nothing.
    public var dryRun: Bool
    public init(action: ResponseAction, dryRun: Bool = false) { self.action = action; self.dryRun = dryRun }
}

public struct ResponseSettings: Sendable, Hashable {
    /// Namespaces no response touches unless `namespaces_allowed` names them: the cluster's own
    /// control plane and add-ons run there, and freezing them can take the node or cluster down.
    public static let protectedNamespaces: Set<String> = ["kube-system", "kube-public", "kube-node-lease"]

    /// Configured responses by rule id.
    public var rules: [String: RuleResponse]
    /// Protected namespaces the profile explicitly lets responses touch.
    public var namespacesAllowed: Set<String>

    public init(rules: [String: RuleResponse] = [:], namespacesAllowed: Set<String> = []) {
        self.rules = rules; self.namespacesAllowed = namespacesAllowed
    }

    /// True if a `kill` response is configured (dry runs included: a reload may turn dry-run off,
    /// but not give back a dropped capability). Hardening keeps CAP_KILL only then.
    public var configuresKill: Bool { rules.values.contains { $0.action == .kill } }

    /// True if responses may act on a workload in `namespace` (nil: not in a pod).
    public func mayTouch(namespace: String?) -> Bool {
        guard let namespace, Self.protectedNamespaces.contains(namespace) else { return true }
        return namespacesAllowed.contains(namespace)
    }

    /// These settings extended by a later file: its rules replace same-id rules, namespaces are united.
    public func overridden(by later: ResponseSettings) -> ResponseSettings {
        ResponseSettings(rules: rules.merging(later.rules) { _, new in new },
                         namespacesAllowed: namespacesAllowed.union(later.namespacesAllowed))
    }
}
