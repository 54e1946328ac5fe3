// SPDX-License-Identifier: Apache-2.0
// Container and pod metadata, read by capture from the OCI runtime state on the node (the bundle's
// config.json annotations written by the CRI runtime) the first time a container id is seen.

public struct ContainerInfo: Sendable, Hashable, Codable {
    public var id: ContainerID
    /// "docker", "containerd", "cri-o", "podman", "runc" or "unknown".
    public var runtime: String
    public var podUID: String?
    /// "guaranteed", "burstable" or "besteffort" for kubepods.
    public var qosClass: String?
    public var podName: String?
    public var namespace: String?
    public var containerName: String?
    /// Image reference as the runtime recorded it (`repo/name:tag` or `…@sha256:…`).
    public var image: String?
    /// The container's entrypoint (OCI `process.args`), used to recognise the workload's main process.
    public var entrypoint: [String]?
    /// Where the metadata came from (path of config.json or state.json), for debugging.
    public var bundle: String?
    /// The DNS resolvers the container is configured with (`nameserver` lines of its own
    /// /etc/resolv.conf, read by capture when the container is first seen). Nil when they could not
    /// be read: DNS from the container is then not judged by resolver.
    public var resolvers: [String]?
    /// The fields cut to `EventBounds` (by their names here: "image", "entrypoint", …); nil when
    /// nothing was cut.
    public var truncated: [String]?
    public init(id: ContainerID, runtime: String, podUID: String? = nil, qosClass: String? = nil,
                podName: String? = nil, namespace: String? = nil, containerName: String? = nil,
                image: String? = nil, entrypoint: [String]? = nil, bundle: String? = nil, resolvers: [String]? = nil) {
        self.id = id; self.runtime = runtime; self.podUID = podUID; self.qosClass = qosClass
        self.podName = podName; self.namespace = namespace; self.containerName = containerName
        self.image = image; self.entrypoint = entrypoint; self.bundle = bundle; self.resolvers = resolvers
    }

    /// Image repository without tag or digest (`container.image.repository`).
    public var imageRepository: String? {
        guard var ref = image else { return nil }
        if let at = ref.firstIndex(of: "@") { ref = String(ref[..<at]) }
        if let colon = ref.lastIndex(of: ":"), !ref[colon...].contains("/") { ref = String(ref[..<colon]) }
        return ref
    }
}
