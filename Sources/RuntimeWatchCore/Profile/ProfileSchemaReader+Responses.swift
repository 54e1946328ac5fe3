// SPDX-License-Identifier: Apache-2.0
// Reads the profile's `responses:` section (see ResponseSettings.swift), with the same
// file:line:column errors as the rest of the schema.

import Yams

extension ProfileSchemaReader {
    static let responseKeys = ["rules", "namespaces_allowed"]
    static let ruleResponseKeys = ["respond", "respond_dry_run"]

    func responses(from node: Node) throws(ProfileError) -> ResponseSettings {
        let fields = try mapping(node, what: "'responses'", allowed: Self.responseKeys)
        var s = ResponseSettings()
        if let n = fields["rules"] {
            guard case .mapping(let map) = n else {
                throw error(at: n, "'responses.rules' must map rule ids to {respond: freeze|kill}, found \(kind(of: n))")
            }
            for (keyNode, value) in map {
                guard case .scalar(let k) = keyNode else { throw error(at: keyNode, "keys in 'responses.rules' must be rule ids") }
                let id = try ruleID(k.string, at: keyNode)
                guard let rule = RuleCatalog.builtin.rule(id: id), rule.source == .syscall, id != Rule.incident.id else {
                    throw error(at: keyNode, "rule '\(id)' cannot have a response: only rules about a process in a container can (not k8s_audit, internal or incident rules)")
                }
                s.rules[id] = try ruleResponse(from: value, rule: id)
            }
        }
        if let n = fields["namespaces_allowed"] {
            for (namespace, itemNode) in try stringList(n, what: "'namespaces_allowed'") {
                guard ResponseSettings.protectedNamespaces.contains(namespace) else {
                    throw error(at: itemNode, "'\(namespace)' is not a protected namespace; responses already act there (protected: \(ResponseSettings.protectedNamespaces.sorted().joined(separator: ", ")))")
                }
                s.namespacesAllowed.insert(namespace)
            }
        }
        return s
    }

    private func ruleResponse(from node: Node, rule: String) throws(ProfileError) -> RuleResponse {
        let fields = try mapping(node, what: "the response of '\(rule)'", allowed: Self.ruleResponseKeys)
        guard let actionNode = fields["respond"] else {
            throw error(at: node, "the response of '\(rule)' has no 'respond' (freeze or kill)")
        }
        let text = try string(actionNode, what: "'respond'")
        guard let action = ResponseAction(rawValue: text) else {
            throw error(at: actionNode, "unknown response '\(text)'\(ClosestMatch.hint(for: text, among: ResponseAction.allCases.map(\.rawValue))) (valid: freeze, kill)")
        }
        let dryRun = try fields["respond_dry_run"].map { n throws(ProfileError) in try boolean(n, what: "'respond_dry_run'") } ?? false
        return RuleResponse(action: action, dryRun: dryRun)
    }
}
