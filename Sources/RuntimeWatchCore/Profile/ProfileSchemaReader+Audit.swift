// SPDX-License-Identifier: Apache-2.0
// Reads the profile's `audit:` section (see AuditProfile.swift), with the same file:line:column
// errors as the rest of the schema.

import Yams

extension ProfileSchemaReader {
    static let auditKeys = ["production_namespaces", "allow", "rate_factor"]
    static let auditEntryKeys = ["rules", "users", "groups", "user_agents", "namespaces", "images", "owners", "actors", "reason"]

    func audit(from node: Node) throws(ProfileError) -> AuditProfile {
        let fields = try mapping(node, what: "'audit'", allowed: Self.auditKeys)
        var section = AuditProfile()
        if let n = fields["production_namespaces"] {
            section.productionNamespaces = try globList(n, what: "'production_namespaces'")
        }
        if let n = fields["rate_factor"] {
            let factor = try number(n, what: "'rate_factor'")
            guard factor >= 1, factor <= 1000 else { throw error(at: n, "'rate_factor' must be between 1 and 1000, found \(factor)") }
            section.rateFactor = factor
        }
        if let n = fields["allow"] {
            guard case .sequence(let seq) = n else {
                throw error(at: n, "'audit.allow' must be a list of entries, found \(kind(of: n))")
            }
            for item in seq { section.allow.append(try auditEntry(from: item)) }
        }
        return section
    }

    func auditEntry(from node: Node) throws(ProfileError) -> AuditAllowEntry {
        let fields = try mapping(node, what: "an audit allow entry", allowed: Self.auditEntryKeys)
        var entry = AuditAllowEntry(origin: location(of: node))
        let auditRules = Set(RuleCatalog.builtin.rules.filter { $0.source == .k8sAudit }.map(\.id))
        if let n = fields["rules"] {
            for (id, idNode) in try stringList(n, what: "'rules'") {
                let known = try ruleID(id, at: idNode)
                guard auditRules.contains(known) else {
                    throw error(at: idNode, "rule '\(known)' is not a k8s_audit rule; audit entries apply to: \(auditRules.sorted().joined(separator: ", "))")
                }
                entry.rules.insert(known)
            }
        }
        func globs(_ key: String) throws(ProfileError) -> [Glob] {
            guard let n = fields[key] else { return [] }
            var out: [Glob] = []
            for (text, itemNode) in try stringList(n, what: "'\(key)'") {
                guard !text.isEmpty else { throw error(at: itemNode, "empty value in '\(key)'") }
                out.append(try glob(text, at: itemNode))
            }
            return out
        }
        entry.users = try globs("users")
        entry.groups = try globs("groups")
        entry.userAgents = try globs("user_agents")
        entry.namespaces = try globs("namespaces")
        entry.images = try globs("images")
        entry.owners = try globs("owners")
        if let n = fields["actors"] {
            for (text, itemNode) in try stringList(n, what: "'actors'") {
                guard let actor = AuditActor(rawValue: text) else {
                    throw error(at: itemNode, "unknown actor '\(text)'; actors are: \(AuditActor.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                entry.actors.insert(actor)
            }
        }
        let workload = Rule.k8sPrivilegedWorkload.id
        if entry.rules.contains(workload) {
            // Pods of a Deployment, DaemonSet or Job are created by a kube-system controller: an
            // identity would allow every workload those controllers create.
            for key in ["users", "groups", "user_agents", "actors"] where fields[key] != nil {
                throw error(at: fields[key]!, "'\(key)' cannot scope \(workload): workload risk is allowed by the workload (namespaces, images, owners), not by who created it; put \(workload) in an entry of its own")
            }
        } else if !entry.rules.isEmpty, !entry.images.isEmpty || !entry.owners.isEmpty {
            throw error(at: fields["images"] ?? fields["owners"]!, "'images' and 'owners' scope only \(workload)")
        }
        if entry.users.isEmpty && entry.groups.isEmpty && entry.userAgents.isEmpty && entry.namespaces.isEmpty
            && entry.images.isEmpty && entry.owners.isEmpty && entry.actors.isEmpty {
            throw error(at: node, "audit allow entry matches every request; give at least one of users, groups, user_agents, actors, namespaces, images, owners")
        }
        if let n = fields["reason"] { entry.reason = try string(n, what: "'reason'") }
        return entry
    }
}
