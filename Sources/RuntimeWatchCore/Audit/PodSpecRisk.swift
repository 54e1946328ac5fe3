// SPDX-License-Identifier: Apache-2.0
// What in a pod spec lets a container escape to its node (T1611): a privileged container, the
// host's PID, network or IPC namespace, a hostPath mount of `/` or of a container-runtime socket,
// or an added capability that amounts to root on the host.

/// The escape-enabling settings found in one pod spec.
public struct PodSpecRisk: Sendable, Hashable {
    /// Names of privileged containers (`securityContext.privileged: true`).
    public var privilegedContainers: [String] = []
    public var hostPID = false
    public var hostNetwork = false
    public var hostIPC = false
    /// Dangerous hostPath volumes' paths, as written in the spec.
    public var hostPaths: [String] = []
    /// Dangerous added capabilities as `container:CAP` (CAP without the `CAP_` prefix, upper case).
    public var addedCapabilities: [String] = []

    public init() {}

    /// True when nothing risky was found.
    public var isEmpty: Bool {
        privilegedContainers.isEmpty && !hostPID && !hostNetwork && !hostIPC && hostPaths.isEmpty && addedCapabilities.isEmpty
    }

    /// One short phrase per finding, in a fixed order (`privileged container shell`, `hostPID`,
    /// `hostPath /var/run/docker.sock`, `capability SYS_ADMIN (container app)`).
    public var findings: [String] {
        var out = privilegedContainers.map { "privileged container \($0)" }
        if hostPID { out.append("hostPID") }
        if hostNetwork { out.append("hostNetwork") }
        if hostIPC { out.append("hostIPC") }
        out += hostPaths.map { "hostPath \($0)" }
        out += addedCapabilities.map { item in
            let parts = item.split(separator: ":", maxSplits: 1)
            return parts.count == 2 ? "capability \(parts[1]) (container \(parts[0]))" : "capability \(item)"
        }
        return out
    }

    /// Host paths whose mount gives the node away: the root file system and the runtime sockets
    /// (and the directories that hold them).
    public static let dangerousHostPaths: Set<String> = [
        "/", "/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd/containerd.sock",
        "/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "/run/crio/crio.sock",
        "/var/run/cri-dockerd.sock", "/run/cri-dockerd.sock", "/run/podman/podman.sock",
        "/var/run/containerd", "/run/containerd", "/var/run/crio", "/run/crio", "/var/run", "/run",
        "/proc", "/etc", "/root", "/var/lib/kubelet", "/etc/kubernetes",
    ]

    /// Added capabilities that give the host away (`ALL` included).
    public static let dangerousCapabilities: Set<String> = [
        "ALL", "SYS_ADMIN", "SYS_PTRACE", "SYS_MODULE", "SYS_RAWIO", "SYS_BOOT", "NET_ADMIN", "DAC_READ_SEARCH",
        "BPF", "PERFMON", "SYS_CHROOT", "MKNOD",
    ]

    /// Analyses `spec`. Never fails; absent fields are not risky.
    public static func analyse(_ spec: AuditPodSpec) -> PodSpecRisk {
        var r = PodSpecRisk()
        r.hostPID = spec.hostPID == true
        r.hostNetwork = spec.hostNetwork == true
        r.hostIPC = spec.hostIPC == true
        for (i, c) in spec.allContainers.enumerated() {
            let name = c.name ?? "#\(i)"
            if c.securityContext?.privileged == true { r.privilegedContainers.append(name) }
            for cap in c.securityContext?.capabilities?.add ?? [] {
                var normalized = cap.uppercased()
                if normalized.hasPrefix("CAP_") { normalized.removeFirst(4) }
                if dangerousCapabilities.contains(normalized) { r.addedCapabilities.append("\(name):\(normalized)") }
            }
        }
        for v in spec.volumes ?? [] {
            guard let path = v.hostPath?.path else { continue }
            if dangerousHostPaths.contains(normalize(path)) { r.hostPaths.append(path) }
        }
        return r
    }

    /// `path` without trailing slashes and repeated slashes (`//var/run/` → `/var/run`); `/` stays.
    static func normalize(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        return "/" + parts.joined(separator: "/")
    }
}
