// SPDX-License-Identifier: Apache-2.0
// The part of an audit event's `requestObject` the privileged-workload rule reads: a Pod's spec, or
// the pod template of a Deployment, DaemonSet, StatefulSet, ReplicaSet, Job (`spec.template`) or
// CronJob (`spec.jobTemplate.spec.template`). Everything else in the object is ignored.

import Foundation

/// `requestObject`: kind, name and the pod-shaped parts of the spec.
public struct AuditRequestObject: Sendable, Hashable, Codable {
    public var kind: String?
    public var metadata: AuditObjectMetadata?
    public var spec: AuditObjectSpec?
    public init(kind: String? = nil, metadata: AuditObjectMetadata? = nil, spec: AuditObjectSpec? = nil) {
        self.kind = kind; self.metadata = metadata; self.spec = spec
    }

    private enum Keys: String, CodingKey { case kind, metadata, spec }

    /// Reads an object (create, update, merge or strategic-merge patch), or a JSON patch's list of
    /// operations folded into the partial object they write (`JSONPatchFolding`).
    public init(from decoder: Decoder) throws {
        if (try? decoder.unkeyedContainer()) != nil {
            let folded = try JSONPatchFolding.fold(decoder)
            self = try JSONDecoder().decode(AuditRequestObject.self, from: JSONEncoder().encode(folded))
            return
        }
        let c = try decoder.container(keyedBy: Keys.self)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(AuditObjectMetadata.self, forKey: .metadata)
        spec = try c.decodeIfPresent(AuditObjectSpec.self, forKey: .spec)
    }

    /// The pod spec this object creates: the spec itself for a Pod, else the template's.
    public var podSpec: AuditPodSpec? {
        guard let spec else { return nil }
        if let t = spec.template?.spec { return t }
        if let t = spec.jobTemplate?.spec?.template?.spec { return t }
        return kind == nil || kind == "Pod" ? spec.pod : nil
    }
}

public struct AuditObjectMetadata: Sendable, Hashable, Codable {
    public var name: String?
    public var namespace: String?
    public var generateName: String?
    /// Who owns the object (a controller's pods name their ReplicaSet, DaemonSet, Job, ...).
    public var ownerReferences: [AuditOwnerReference]?
    public init(name: String? = nil, namespace: String? = nil, generateName: String? = nil,
                ownerReferences: [AuditOwnerReference]? = nil) {
        self.name = name; self.namespace = namespace; self.generateName = generateName; self.ownerReferences = ownerReferences
    }

    /// The managing owner (`controller: true`), else the first owner.
    public var owner: AuditOwnerReference? {
        ownerReferences?.first { $0.controller == true } ?? ownerReferences?.first
    }
}

public struct AuditOwnerReference: Sendable, Hashable, Codable {
    public var kind: String?
    public var name: String?
    public var controller: Bool?
    public init(kind: String? = nil, name: String? = nil, controller: Bool? = nil) {
        self.kind = kind; self.name = name; self.controller = controller
    }
}

/// A workload's `spec`: pod fields (for a Pod) side by side with `template` / `jobTemplate`.
public struct AuditObjectSpec: Sendable, Hashable, Codable {
    /// The pod-spec fields read from this same object (all nil for a workload).
    public var pod: AuditPodSpec
    public var template: AuditPodTemplate?
    public var jobTemplate: AuditJobTemplate?
    public init(pod: AuditPodSpec = AuditPodSpec(), template: AuditPodTemplate? = nil, jobTemplate: AuditJobTemplate? = nil) {
        self.pod = pod; self.template = template; self.jobTemplate = jobTemplate
    }

    private enum Keys: String, CodingKey { case template, jobTemplate }

    public init(from decoder: Decoder) throws {
        pod = try AuditPodSpec(from: decoder)
        let c = try decoder.container(keyedBy: Keys.self)
        template = try c.decodeIfPresent(AuditPodTemplate.self, forKey: .template)
        jobTemplate = try c.decodeIfPresent(AuditJobTemplate.self, forKey: .jobTemplate)
    }

    public func encode(to encoder: Encoder) throws {
        try pod.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encodeIfPresent(template, forKey: .template)
        try c.encodeIfPresent(jobTemplate, forKey: .jobTemplate)
    }
}

public struct AuditPodTemplate: Sendable, Hashable, Codable {
    public var spec: AuditPodSpec?
    public init(spec: AuditPodSpec? = nil) { self.spec = spec }
}

public struct AuditJobTemplate: Sendable, Hashable, Codable {
    public var spec: AuditJobSpec?
    public init(spec: AuditJobSpec? = nil) { self.spec = spec }
}

public struct AuditJobSpec: Sendable, Hashable, Codable {
    public var template: AuditPodTemplate?
    public init(template: AuditPodTemplate? = nil) { self.template = template }
}

/// The security-relevant fields of a PodSpec.
public struct AuditPodSpec: Sendable, Hashable, Codable {
    public var hostPID: Bool?
    public var hostNetwork: Bool?
    public var hostIPC: Bool?
    public var containers: [AuditContainer]?
    public var initContainers: [AuditContainer]?
    public var ephemeralContainers: [AuditContainer]?
    public var volumes: [AuditVolume]?
    public init(hostPID: Bool? = nil, hostNetwork: Bool? = nil, hostIPC: Bool? = nil, containers: [AuditContainer]? = nil,
                initContainers: [AuditContainer]? = nil, ephemeralContainers: [AuditContainer]? = nil,
                volumes: [AuditVolume]? = nil) {
        self.hostPID = hostPID; self.hostNetwork = hostNetwork; self.hostIPC = hostIPC; self.containers = containers
        self.initContainers = initContainers; self.ephemeralContainers = ephemeralContainers; self.volumes = volumes
    }

    /// Every container of the pod: init, regular, then ephemeral.
    public var allContainers: [AuditContainer] { (initContainers ?? []) + (containers ?? []) + (ephemeralContainers ?? []) }
}

public struct AuditContainer: Sendable, Hashable, Codable {
    public var name: String?
    public var image: String?
    public var securityContext: AuditSecurityContext?
    public init(name: String? = nil, image: String? = nil, securityContext: AuditSecurityContext? = nil) {
        self.name = name; self.image = image; self.securityContext = securityContext
    }
}

public struct AuditSecurityContext: Sendable, Hashable, Codable {
    public var privileged: Bool?
    public var allowPrivilegeEscalation: Bool?
    public var capabilities: AuditCapabilities?
    public init(privileged: Bool? = nil, allowPrivilegeEscalation: Bool? = nil, capabilities: AuditCapabilities? = nil) {
        self.privileged = privileged; self.allowPrivilegeEscalation = allowPrivilegeEscalation; self.capabilities = capabilities
    }
}

public struct AuditCapabilities: Sendable, Hashable, Codable {
    public var add: [String]?
    public var drop: [String]?
    public init(add: [String]? = nil, drop: [String]? = nil) { self.add = add; self.drop = drop }
}

public struct AuditVolume: Sendable, Hashable, Codable {
    public var name: String?
    public var hostPath: AuditHostPath?
    public init(name: String? = nil, hostPath: AuditHostPath? = nil) { self.name = name; self.hostPath = hostPath }
}

/// `hostPath` of a volume. Only the path is kept: the rules do not need `type`, and a nested
/// `"type"` key would read as a second record type tag in a flat trace line.
public struct AuditHostPath: Sendable, Hashable, Codable {
    public var path: String
    public init(path: String) { self.path = path }
}
