// SPDX-License-Identifier: Apache-2.0
// Which workload an alert is about, for grouping alerts into incidents. A pod (by uid, else by
// namespace/name) groups every container of it; a container outside any pod groups alone. Host
// processes and alerts that name no container (internal alerts, audit events not tied to a pod on
// this node) are not grouped: on a host every unrelated daemon would fall into one "incident".

public struct IncidentWorkload: Sendable, Hashable, Comparable {
    /// `pod:<uid>`, `pod:<namespace>/<name>` or `container:<12 hex>`: stable across live and replay.
    public var key: String
    public var namespace: String?
    public var pod: String?
    public var podUID: String?
    public var container: String?

    /// The workload `alert` is about, or nil when it is not grouped (see above).
    public init?(_ alert: Alert) {
        func text(_ name: String) -> String? {
            guard case .string(let s)? = alert.fields[name], !s.isEmpty else { return nil }
            return s
        }
        namespace = text("k8s.ns.name")
        pod = text("k8s.pod.name")
        podUID = text("k8s.pod.uid")
        container = text("container.id").flatMap { $0 == "host" ? nil : $0 }
        if let podUID { key = "pod:" + podUID }
        else if let namespace, let pod { key = "pod:\(namespace)/\(pod)" }
        else if let container { key = "container:" + container }
        else { return nil }
    }

    /// "pod shop/web-0", "container f53ae3ad0430": how the incident names its workload.
    public var description: String {
        if let pod { return "pod \(namespace ?? "<NA>")/\(pod)" }
        return "container \(container ?? key)"
    }

    public static func < (a: IncidentWorkload, b: IncidentWorkload) -> Bool { a.key < b.key }
}
