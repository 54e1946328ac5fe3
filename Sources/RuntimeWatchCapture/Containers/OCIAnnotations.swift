// SPDX-License-Identifier: Apache-2.0
// Reads pod and container identity out of OCI annotations. Each CRI runtime spells the same facts with
// its own keys (containerd `io.kubernetes.cri.*`, CRI-O `io.kubernetes.pod.*` and
// `io.kubernetes.cri-o.*`, dockershim labels with the same `io.kubernetes.*` keys); this file is the
// one place that knows the spellings. Pure: no I/O.

import Foundation

/// Whether a container is a pod's sandbox (the pause container holding its namespaces) or a workload.
public enum OCIContainerKind: String, Sendable, Hashable, Codable {
    case sandbox
    case container
    /// No CRI annotation said (plain runc, docker, podman without a pod).
    case unknown
}

/// What the annotations of one container say about it. Every field is nil when no key carried it.
public struct OCIAnnotatedIdentity: Sendable, Hashable {
    public var podName: String?
    public var namespace: String?
    public var podUID: String?
    public var containerName: String?
    public var image: String?
    public var kind: OCIContainerKind = .unknown
    public var sandboxID: String?
    /// The runtime whose keys were found ("containerd", "cri-o", "podman"), or nil.
    public var runtime: String?
}

public enum OCIAnnotations {
    // containerd's CRI plugin.
    static let criSandboxName = "io.kubernetes.cri.sandbox-name"
    static let criSandboxNamespace = "io.kubernetes.cri.sandbox-namespace"
    static let criSandboxUID = "io.kubernetes.cri.sandbox-uid"
    static let criSandboxID = "io.kubernetes.cri.sandbox-id"
    static let criContainerName = "io.kubernetes.cri.container-name"
    static let criContainerType = "io.kubernetes.cri.container-type"
    static let criImageName = "io.kubernetes.cri.image-name"

    // Kubelet labels, which CRI-O (and dockershim before it) copy into annotations.
    static let kubePodName = "io.kubernetes.pod.name"
    static let kubePodNamespace = "io.kubernetes.pod.namespace"
    static let kubePodUID = "io.kubernetes.pod.uid"
    static let kubeContainerName = "io.kubernetes.container.name"
    static let dockershimType = "io.kubernetes.docker.type"
    static let dockershimSandboxID = "io.kubernetes.sandbox.id"

    // CRI-O's own keys (Podman writes some of them too).
    static let crioImageName = "io.kubernetes.cri-o.ImageName"
    static let crioImage = "io.kubernetes.cri-o.Image"
    static let crioContainerType = "io.kubernetes.cri-o.ContainerType"
    static let crioSandboxID = "io.kubernetes.cri-o.SandboxID"
    /// A JSON object (as a string) holding the kubelet labels; used when the flat keys are missing.
    static let crioLabels = "io.kubernetes.cri-o.Labels"
    static let containerManager = "io.container.manager"

    /// Interprets one container's annotations. Empty values count as absent. A malformed
    /// `io.kubernetes.cri-o.Labels` value is ignored (the flat keys, when present, say the same).
    public static func identity(from annotations: [String: String]) -> OCIAnnotatedIdentity {
        func value(_ keys: String...) -> String? {
            for key in keys { if let v = annotations[key], !v.isEmpty { return v } }
            return nil
        }
        let labels = crioLabelObject(annotations[crioLabels])
        func label(_ key: String) -> String? { labels[key].flatMap { $0.isEmpty ? nil : $0 } }

        var id = OCIAnnotatedIdentity()
        id.podName = value(criSandboxName, kubePodName) ?? label(kubePodName)
        id.namespace = value(criSandboxNamespace, kubePodNamespace) ?? label(kubePodNamespace)
        id.podUID = value(criSandboxUID, kubePodUID) ?? label(kubePodUID)
        id.containerName = value(criContainerName, kubeContainerName) ?? label(kubeContainerName)
        id.image = value(criImageName, crioImageName, crioImage)
        id.sandboxID = value(criSandboxID, crioSandboxID, dockershimSandboxID)

        switch value(criContainerType, crioContainerType, dockershimType) {
        case "sandbox", "podsandbox": id.kind = .sandbox
        case "container": id.kind = .container
        default: id.kind = .unknown
        }

        if annotations.keys.contains(where: { $0.hasPrefix("io.kubernetes.cri.") }) {
            id.runtime = "containerd"
        } else if annotations[containerManager] == "libpod" {
            id.runtime = "podman"
        } else if annotations.keys.contains(where: { $0.hasPrefix("io.kubernetes.cri-o.") }) {
            id.runtime = "cri-o"
        }
        return id
    }

    /// Annotations recovered from a runc `state.json` `config.labels` list (`key=value` strings, which
    /// also hold runc's own `bundle=<path>`). Entries without `=` are skipped.
    public static func fromRuncLabels(_ labels: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for entry in labels {
            guard let eq = entry.firstIndex(of: "=") else { continue }
            out[String(entry[..<eq])] = String(entry[entry.index(after: eq)...])
        }
        return out
    }

    private static func crioLabelObject(_ text: String?) -> [String: String] {
        guard let text, let labels = try? JSONDecoder().decode([String: String].self, from: Data(text.utf8)) else { return [:] }
        return labels
    }
}
