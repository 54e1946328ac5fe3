// SPDX-License-Identifier: Apache-2.0
// Who is behind an API request, from its identity, groups and user agent (issue 16, "human versus
// workload"):
// - a human: a request whose user agent is kubectl, whatever credential it carries (components and
//   workload clients name their own binary; a person driving kubectl with a node's or a service
//   account's credential is still a person, and worth knowing), and every identity that is not a
//   system one (OIDC, certificate and cloud IAM users, `system:masters` members such as
//   kubernetes-admin);
// - the control plane: its components (`system:kube-*`, `system:apiserver`), the kubelets
//   (`system:node:*`, group `system:nodes`), kube-system's controllers and add-ons
//   (`system:serviceaccount:kube-system:*`) and EKS's components (`eks:*`);
// - a workload: any other service account (`system:serviceaccount:*`, group `system:serviceaccounts`).

public enum AuditActor: String, Sendable, CaseIterable {
    case human
    case workload
    case controlPlane = "control-plane"

    public init(_ event: AuditEvent) { self.init(user: event.user, userAgent: event.userAgent) }

    public init(user: AuditUser, userAgent: String?) {
        let name = user.username ?? ""
        let groups = user.groups ?? []
        if let userAgent, userAgent.hasPrefix("kubectl/") || userAgent.hasPrefix("kubectl.exe/") {
            self = .human
        } else if name.hasPrefix("system:kube-") || name == "system:apiserver" || name.hasPrefix("system:node:")
            || name.hasPrefix("system:serviceaccount:kube-system:") || name.hasPrefix("eks:") || groups.contains("system:nodes") {
            self = .controlPlane
        } else if name.hasPrefix("system:serviceaccount:") || groups.contains("system:serviceaccounts") {
            self = .workload
        } else {
            self = .human
        }
    }
}
