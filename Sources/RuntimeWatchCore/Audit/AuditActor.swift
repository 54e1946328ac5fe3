// SPDX-License-Identifier: Apache-2.0
// Who is behind an API request, from its identity, groups and user agent (issue 16, "human versus
// workload"): the control plane (its components, the kubelets, kube-system's controllers and
// add-ons, EKS's components), a workload (a service account elsewhere), or a human (everything
// else: OIDC, certificate and cloud IAM users, usually through kubectl).

public enum AuditActor: String, Sendable, CaseIterable {
    case human
    case workload
    case controlPlane = "control-plane"

    static let controlPlaneUsers: Set<String> = [
        "system:kube-controller-manager", "system:kube-scheduler", "system:apiserver", "system:kube-proxy",
    ]

    public init(_ user: AuditUser) {
        let name = user.username ?? ""
        let groups = user.groups ?? []
        if Self.controlPlaneUsers.contains(name) || name.hasPrefix("system:node:") || name.hasPrefix("system:serviceaccount:kube-system:")
            || name.hasPrefix("eks:") || groups.contains("system:nodes") {
            self = .controlPlane
        } else if name.hasPrefix("system:serviceaccount:") || groups.contains("system:serviceaccounts") {
            self = .workload
        } else {
            self = .human
        }
    }
}
