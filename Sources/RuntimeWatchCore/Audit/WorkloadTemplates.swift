// SPDX-License-Identifier: Apache-2.0
// What k8s-privileged-workload remembers about workloads (issue 16 item 1):
// - Who last wrote each workload object (Deployment, ReplicaSet, DaemonSet, Job, StatefulSet,
//   CronJob, ...) and who owns it, so a pod a controller creates can name its owner, the user
//   behind that owner (a Deployment's pods name their ReplicaSet, whose owner is the Deployment
//   someone applied), and its whole owner chain for allow entries (`owners: [Deployment/x]`).
//   Pods are not remembered: they are the leaves, and in a busy cluster they would push the
//   workloads out of the bound.
// - The risky templates already reported, by workload and template hash (the risks found and the
//   images), so a Deployment, its ReplicaSet and its three pods are one alert, not five, while a
//   second Deployment or a bare pod with the same spec is its own alert.
// Bounds: `capacity` (4096) workload writers and 4096 reported workloads, oldest first out; a
// reported template is forgotten an hour (audit time) after it was last seen (reported or folded),
// so a Deployment that keeps scaling stays one alert, and one idle for an hour is reported anew.

struct WorkloadTemplates: Sendable {
    static let capacity = 4096
    static let templateLifetimeNanoseconds: UInt64 = 3_600_000_000_000
    /// How far up an owner chain is followed (Pod → Job → CronJob is 3).
    static let maxChainLength = 4

    private struct Writer: Sendable { var user: String?; var owner: WorkloadRef? }
    private var writers: [String: Writer] = [:]
    private var writerOrder: [String] = []
    private struct Reported: Sendable { var hash: String; var time: UInt64 }
    private var reported: [String: Reported] = [:]
    private var reportedOrder: [String] = []

    /// `Kind/namespace/name` of a workload object.
    static func key(_ ref: WorkloadRef, namespace: String?) -> String { "\(ref.kind)/\(namespace ?? "")/\(ref.name)" }

    /// The object `e` writes (its kind from the request object, else from the resource).
    static func object(of e: AuditEvent) -> WorkloadRef? {
        guard let ref = e.objectRef, let resource = ref.resource,
              let name = ref.name ?? e.requestObject?.metadata?.name ?? e.requestObject?.metadata?.generateName,
              let kind = e.requestObject?.kind ?? Self.kind(ofResource: resource) else { return nil }
        return WorkloadRef(kind: kind, name: name)
    }

    /// Notes a create/update/patch of a workload object other than a pod by `e`'s user.
    mutating func noteWrite(_ e: AuditEvent) {
        guard e.objectRef?.subresource ?? "" == "", let object = Self.object(of: e), object.kind != "Pod" else { return }
        let key = Self.key(object, namespace: e.objectRef?.namespace)
        if writers[key] == nil {
            writerOrder.append(key)
            if writerOrder.count > Self.capacity { writers[writerOrder.removeFirst()] = nil }
        }
        writers[key] = Writer(user: e.user.username, owner: e.requestObject?.metadata?.owner.flatMap(WorkloadRef.init) ?? writers[key]?.owner)
    }

    /// The owners of what `e` writes: its owner (from the request), then that owner's owners as far
    /// as their writes were seen: `[ReplicaSet/web-5d4f, Deployment/web]` for a Deployment's pod.
    func owners(of e: AuditEvent) -> [WorkloadRef] {
        var out: [WorkloadRef] = []
        var next = e.requestObject?.metadata?.owner.flatMap(WorkloadRef.init)
        while let ref = next, out.count < Self.maxChainLength, !out.contains(ref) {
            out.append(ref)
            next = writers[Self.key(ref, namespace: e.objectRef?.namespace)]?.owner
        }
        return out
    }

    /// The user behind a pod's owners (`owners(of:)`): the last writer of the first owner that a
    /// non-`system:` user wrote (the Deployment someone applied), else the first last writer seen
    /// (a controller); nil when no owner's write was seen.
    func lastWriter(of owners: [WorkloadRef], namespace: String?) -> String? {
        var found: String?
        for ref in owners {
            guard let user = writers[Self.key(ref, namespace: namespace)]?.user else { continue }
            if !user.hasPrefix("system:") { return user }
            found = found ?? user
        }
        return found
    }

    /// The template hash: the risks found and the images, order-free.
    static func hash(_ risk: PodSpecRisk, images: [String]) -> String {
        "\(risk.findings.sorted().joined(separator: ","))|\(images.sorted().joined(separator: ","))"
    }

    /// True when no workload of `chain` (the object and its owners) reported this template within
    /// its lifetime, and then remembers it for every workload of the chain; false when the object
    /// or one of its owners already reported it: a sibling pod, a Deployment's ReplicaSet and pods.
    mutating func isNew(_ hash: String, chain: [WorkloadRef], namespace: String?, at time: UInt64) -> Bool {
        let keys = chain.map { Self.key($0, namespace: namespace) }
        for key in keys {
            if let seen = reported[key], seen.hash == hash, time >= seen.time, time - seen.time < Self.templateLifetimeNanoseconds {
                reported[key]?.time = time
                return false
            }
        }
        for key in keys {
            if reported[key] == nil {
                reportedOrder.append(key)
                if reportedOrder.count > Self.capacity { reported[reportedOrder.removeFirst()] = nil }
            }
            reported[key] = Reported(hash: hash, time: time)
        }
        return true
    }

    static func kind(ofResource resource: String) -> String? {
        ["pods": "Pod", "deployments": "Deployment", "daemonsets": "DaemonSet", "statefulsets": "StatefulSet",
         "replicasets": "ReplicaSet", "jobs": "Job", "cronjobs": "CronJob", "replicationcontrollers": "ReplicationController"][resource]
    }
}

/// A workload object in a namespace the context gives: `Kind/name` (`ReplicaSet/web-5d4f`).
public struct WorkloadRef: Sendable, Hashable, CustomStringConvertible {
    public var kind: String
    public var name: String
    public init(kind: String, name: String) { self.kind = kind; self.name = name }
    init?(_ owner: AuditOwnerReference) {
        guard let kind = owner.kind, let name = owner.name else { return nil }
        self.init(kind: kind, name: name)
    }
    public var description: String { "\(kind)/\(name)" }
}
