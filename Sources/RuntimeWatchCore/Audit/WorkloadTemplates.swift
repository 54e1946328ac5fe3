// SPDX-License-Identifier: Apache-2.0
// What k8s-privileged-workload remembers about workloads (issue 16 item 1):
// - Who last wrote each workload object (Deployment, ReplicaSet, DaemonSet, ...) and who owns it,
//   so a pod a controller creates can name its owner and the user behind that owner (a Deployment's
//   pods name their ReplicaSet, whose owner is the Deployment someone applied).
// - The risky pod templates already reported, by a hash of the risk and the images in a namespace,
//   so a Deployment, its ReplicaSet and its three pods are one alert, not five.
// Both bounded (oldest first out), and a template is forgotten an hour (audit time) after it was seen.

struct WorkloadTemplates: Sendable {
    static let capacity = 4096
    static let templateLifetimeNanoseconds: UInt64 = 3_600_000_000_000

    private struct Writer: Sendable { var user: String?; var owner: String? }
    private var writers: [String: Writer] = [:]
    private var writerOrder: [String] = []
    private var templates: [String: UInt64] = [:]
    private var templateOrder: [String] = []

    /// `Kind/namespace/name` of a workload object.
    static func key(kind: String, namespace: String?, name: String) -> String { "\(kind)/\(namespace ?? "")/\(name)" }

    /// Notes a create/update/patch of a workload object (its kind from the request object, else
    /// from the resource) by `e`'s user.
    mutating func noteWrite(_ e: AuditEvent) {
        guard let ref = e.objectRef, let resource = ref.resource, ref.subresource == nil || ref.subresource == "",
              let name = ref.name ?? e.requestObject?.metadata?.name,
              let kind = e.requestObject?.kind ?? Self.kind(ofResource: resource) else { return }
        let key = Self.key(kind: kind, namespace: ref.namespace, name: name)
        let owner = e.requestObject?.metadata?.owner.flatMap { o in
            o.kind.flatMap { k in o.name.map { Self.key(kind: k, namespace: ref.namespace, name: $0) } }
        }
        if writers[key] == nil {
            writerOrder.append(key)
            if writerOrder.count > Self.capacity { writers[writerOrder.removeFirst()] = nil }
        }
        writers[key] = Writer(user: e.user.username, owner: owner ?? writers[key]?.owner)
    }

    /// The user behind the owner `Kind/name` of a pod in `namespace`: the last writer of the owner,
    /// or, when that was a controller (a ReplicaSet written by the deployment controller), of the
    /// owner's own owner. Nil when none was seen.
    func lastWriter(ofOwner owner: AuditOwnerReference, namespace: String?) -> String? {
        guard let kind = owner.kind, let name = owner.name else { return nil }
        var key = Self.key(kind: kind, namespace: namespace, name: name)
        var found: String?
        for _ in 0..<3 {
            guard let w = writers[key] else { break }
            found = w.user ?? found
            guard let user = w.user, user.hasPrefix("system:"), let next = w.owner else { break }
            key = next
        }
        return found
    }

    /// True the first time this risky template is seen in `namespace` within its lifetime, and
    /// remembers it; false for a template already reported (the owner's, or a sibling pod's).
    mutating func isNew(_ risk: PodSpecRisk, images: [String], namespace: String?, at time: UInt64) -> Bool {
        let hash = "\(namespace ?? "")|\(risk.findings.sorted().joined(separator: ","))|\(images.sorted().joined(separator: ","))"
        if let seen = templates[hash], time >= seen, time - seen < Self.templateLifetimeNanoseconds { return false }
        if templates[hash] == nil {
            templateOrder.append(hash)
            if templateOrder.count > Self.capacity { templates[templateOrder.removeFirst()] = nil }
        }
        templates[hash] = time
        return true
    }

    static func kind(ofResource resource: String) -> String? {
        ["pods": "Pod", "deployments": "Deployment", "daemonsets": "DaemonSet", "statefulsets": "StatefulSet",
         "replicasets": "ReplicaSet", "jobs": "Job", "cronjobs": "CronJob", "replicationcontrollers": "ReplicationController"][resource]
    }
}
