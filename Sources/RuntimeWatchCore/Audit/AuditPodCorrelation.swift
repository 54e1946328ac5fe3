// SPDX-License-Identifier: Apache-2.0
// Links an audit event to a pod the runtime side knows. Exact: a bound service-account token names
// its pod (`user.extra` pod-uid), when that pod runs here; or a source IP that is a pod's own
// address on this node (learned from its connects). Heuristic, and labelled so: the requester is a
// service account `system:serviceaccount:NS:NAME` and exactly one pod of namespace NS is known
// (CRI annotations do not carry the service-account name, so with several pods we cannot tell).

public enum AuditPodCorrelation {
    /// The pod link for `event`, or nil when nothing on this node can be tied to it.
    public static func link(_ event: AuditEvent, state: SystemState) -> AuditPodLink? {
        if let uid = event.user.extraValue(K8sTokenUseDetector.podUIDExtra),
           let pod = state.containers.values.filter({ $0.podUID == uid }).min(by: { $0.id.rawValue < $1.id.rawValue }) {
            return AuditPodLink(container: pod.id, method: "token-pod-uid")
        }
        for ip in event.sourceIPs ?? [] {
            if let id = state.podAddresses.container(forAddress: ip) { return AuditPodLink(container: id, method: "source-ip") }
        }
        guard let ns = serviceAccountNamespace(event.user.username) else { return nil }
        var pods: Set<String> = []
        var first: ContainerInfo?
        for c in state.containers.values where c.namespace == ns {
            pods.insert(c.podUID ?? c.podName ?? c.id.rawValue)
            if first == nil || c.id.rawValue < first!.id.rawValue { first = c }
            if pods.count > 1 { return nil }
        }
        guard pods.count == 1, let c = first else { return nil }
        return AuditPodLink(container: c.id, method: "service-account-namespace")
    }

    /// NS of `system:serviceaccount:NS:NAME`, or nil for any other user name.
    public static func serviceAccountNamespace(_ username: String?) -> String? {
        guard let username, username.hasPrefix("system:serviceaccount:") else { return nil }
        let parts = username.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, !parts[2].isEmpty else { return nil }
        return String(parts[2])
    }
}
