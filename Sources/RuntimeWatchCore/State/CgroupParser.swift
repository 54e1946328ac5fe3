// SPDX-License-Identifier: Apache-2.0
// cgroup path → container runtime, container id, pod UID and QoS class. Pure string parsing over the
// names the runtimes and the kubelet write; no I/O, no Foundation, no allocation beyond the result.

/// What a cgroup path says about the container a process runs in.
public struct CgroupMatch: Sendable, Hashable {
    /// Full 64-hex container id (lower case, as the runtime names it).
    public var id: ContainerID
    /// "docker", "containerd", "cri-o", "podman", "runc" or "unknown".
    public var runtime: String
    /// Kubernetes pod UID (dashed UUID, or the 32-hex config hash of a static pod).
    public var podUID: String?
    /// "guaranteed", "burstable" or "besteffort" when under kubepods.
    public var qosClass: String?
    public init(id: ContainerID, runtime: String, podUID: String? = nil, qosClass: String? = nil) {
        self.id = id; self.runtime = runtime; self.podUID = podUID; self.qosClass = qosClass
    }
}

/// Recognised forms (one component per `/`; `.scope` is the systemd unit suffix):
///
/// | form | example | runtime |
/// |---|---|---|
/// | Docker, cgroupfs driver | `/docker/<id>` | docker |
/// | Docker, systemd driver | `/system.slice/docker-<id>.scope` | docker |
/// | CRI, cgroupfs driver | `/kubepods/burstable/pod<uid>/<id>` | containerd (¹) |
/// | containerd CRI, systemd | `…/kubepods-burstable-pod<uid_>.slice/cri-containerd-<id>.scope` | containerd |
/// | OCI `cgroupsPath`, systemd | `kubepods-burstable-pod<uid_>.slice:cri-containerd:<id>` | by prefix |
/// | CRI-O | `…/crio-<id>.scope`, `…/pod<uid>/crio-<id>` | cri-o |
/// | Podman | `/machine.slice/libpod-<id>.scope[/container]`, `/libpod_parent/libpod-<id>`, `libpod-payload-<id>` | podman |
/// | nerdctl, runc (systemd) | `nerdctl-<id>.scope`, `runc-<id>.scope` | containerd, runc |
/// | anything else | a component that is exactly 64 lower-case hex, e.g. `/<id>`, `/actions_job/<id>` | unknown |
///
/// (¹) containerd and cri-dockerd both name the container cgroup by its bare id under the pod; the
/// path cannot tell them apart, so the common case (containerd) is reported. Capture's `container`
/// event, read from the OCI state, carries the real runtime and overrides this guess.
///
/// Rules, and why:
/// - **Innermost container wins.** Nested runtimes (kind nodes, Docker-in-Docker) put the inner
///   container's cgroup below the outer one's; the process belongs to the inner one. Pod and QoS
///   are only taken from components between the enclosing container and the chosen one, so a
///   Docker-in-Docker container inside a pod is not mistaken for that pod's container.
/// - **Runtime monitors are not containers.** `crio-conmon-<id>.scope`, `libpod-conmon-<id>.scope`
///   and old Podman's `libpod-<id>/conmon` hold conmon, a host-side helper outside the container's
///   namespaces. Parsing stops there: top-level conmon is a host process (nil); a conmon inside a
///   kind node belongs to the node container. (Tracee made the same call, aquasecurity/tracee#5087.)
/// - **No false positives on hex-looking names.** An id is only taken from a component that is
///   exactly 64 lower-case hex digits, optionally behind one of the runtime prefixes above (then
///   with at most a `.scope` suffix). So these are not containers: upper-case or 63/65-digit hex,
///   `<hex>.service`/`.mount`/`.slice` units, systemd mount units that embed an id
///   (`var-lib-docker-containers-<id>-mounts-shm.mount`), Podman pod slices
///   (`machine-libpod_pod_<podid>.slice`, the pod is not a container), transient units of other
///   tools (`run-r<hex>.scope`), and the colon form with an unknown prefix (`sha256:<digest>`).
/// - `.` and `..` components are skipped, so paths read through a cgroup namespace
///   (`/../../kubepods-…/cri-containerd-<id>.scope`) still parse.
/// - Host paths (`/`, `/init.scope`, `/user.slice/…`, `/system.slice/sshd.service`) give nil.
public enum CgroupParser {
    /// Parses a cgroup path (cgroup v1 or v2; a raw `N:controllers:/path` line of
    /// /proc/<pid>/cgroup is accepted too).
    /// - Returns: the innermost container the path names, or nil for a host process.
    public static func parse(_ path: String) -> CgroupMatch? {
        var text = Substring(path)
        if let colonForm = parseColonForm(text) { return colonForm }
        if let pathPart = procLinePath(text) { text = pathPart }

        var best: CgroupMatch?       // innermost container so far
        var outer: CgroupMatch?      // the container enclosing `best`
        var levelPod: (uid: String, qos: String?)?
        var levelKubepods = false
        var previous: Component = .other
        var previousName: Substring = ""
        for name in text.split(separator: "/", omittingEmptySubsequences: true) {
            if name == "." || name == ".." { continue }
            let component = classify(name, previous: previous, previousName: previousName, kubepods: levelKubepods)
            switch component {
            case .container(let id, let runtime):
                outer = best
                best = CgroupMatch(id: ContainerID(id), runtime: runtime, podUID: levelPod?.uid, qosClass: levelPod?.qos)
                // A new nesting level starts below a container: its pod, if any, is its own.
                levelPod = nil
                levelKubepods = false
            case .conmon(let insideMonitoredContainer):
                // Everything below is conmon's; it belongs to whatever encloses it.
                return insideMonitoredContainer ? outer : best
            case .pod(let uid, let qos):
                levelPod = (uid, qos)
            case .kubepods:
                levelKubepods = true
            case .qos, .other:
                break
            }
            previous = component
            previousName = name
        }
        return best
    }

    /// Picks, from the contents of /proc/<pid>/cgroup, the path that names the process's container.
    /// - Returns: the first path that `parse` recognises, trying the v2 unified line (`0::`) first,
    ///   then `name=systemd`, then the other v1 lines in file order; when none names a container,
    ///   the unified path, else the `name=systemd` path, else the first path; nil for empty text.
    public static func selectPath(fromProcCgroup text: String) -> String? {
        var unified: Substring?, systemd: Substring?
        var others: [Substring] = []
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "0" && fields[1].isEmpty { unified = fields[2] }
            else if fields[1] == "name=systemd" { systemd = fields[2] }
            else { others.append(fields[2]) }
        }
        let ordered = [unified, systemd].compactMap { $0 } + others
        if let named = ordered.first(where: { parse(String($0)) != nil }) { return String(named) }
        return ordered.first.map(String.init)
    }

    // MARK: - Components

    enum Component {
        case container(id: String, runtime: String)
        /// A conmon cgroup; `insideMonitoredContainer` when it sits inside the container it monitors.
        case conmon(insideMonitoredContainer: Bool)
        case pod(uid: String, qos: String?)
        case kubepods
        case qos(String)
        case other
    }

    /// Prefixes of container scopes and cgroupfs directories, longest first where one is a prefix
    /// of another. A nil runtime marks a runtime monitor (conmon).
    private static let prefixes: [(prefix: String, runtime: String?)] = [
        ("crio-conmon-", nil), ("libpod-conmon-", nil),
        ("docker-", "docker"), ("cri-containerd-", "containerd"), ("containerd-", "containerd"),
        ("nerdctl-", "containerd"), ("crio-", "cri-o"), ("libpod-payload-", "podman"),
        ("libpod-", "podman"), ("runc-", "runc"),
    ]

    /// The runtime a colon-form prefix (`slice:prefix:id`) names; nil runtime for conmon.
    private static let colonPrefixes: [Substring: String?] = [
        "docker": "docker", "cri-containerd": "containerd", "containerd": "containerd",
        "nerdctl": "containerd", "crio": "cri-o", "libpod": "podman", "runc": "runc",
        "crio-conmon": nil, "libpod-conmon": nil,
    ]

    /// Parent directories whose bare-hex children are known to belong to one runtime.
    private static let bareParents: [Substring: String] = ["docker": "docker", "libpod_parent": "podman"]

    static func classify(_ name: Substring, previous: Component, previousName: Substring, kubepods: Bool) -> Component {
        if isHex64(name) {
            if case .pod = previous { return .container(id: String(name), runtime: "containerd") }
            return .container(id: String(name), runtime: bareParents[previousName] ?? "unknown")
        }
        // Old Podman (cgroupfs): libpod-<id>/ctr is the container, libpod-<id>/conmon its monitor.
        if name == "conmon", case .container = previous { return .conmon(insideMonitoredContainer: true) }
        if name == "kubepods" || name == "kubepods.slice" || name.hasSuffix("-kubepods.slice") { return .kubepods }
        if name == "burstable" || name == "besteffort" { return kubepods ? .qos(String(name)) : .other }
        if name.hasSuffix("kubepods-burstable.slice") { return .qos("burstable") }
        if name.hasSuffix("kubepods-besteffort.slice") { return .qos("besteffort") }
        if let pod = podComponent(name, previous: previous, kubepods: kubepods) { return pod }
        var unit = name
        if unit.hasSuffix(".scope") { unit = unit.dropLast(6) }
        for (prefix, runtime) in prefixes where unit.hasPrefix(prefix) {
            let id = unit.dropFirst(prefix.count)
            guard isHex64(id) else { continue }
            guard let runtime else { return .conmon(insideMonitoredContainer: false) }
            return .container(id: String(id), runtime: runtime)
        }
        return .other
    }

    // MARK: - Pods

    /// `pod<uid>` (cgroupfs, under kubepods) or `…kubepods[-<qos>]-pod<uid_with_underscores>.slice`
    /// (systemd driver; kind prefixes the slices with `kubelet-`).
    private static func podComponent(_ raw: Substring, previous: Component, kubepods: Bool) -> Component? {
        if raw.hasPrefix("pod"), kubepods {
            guard let uid = podUID(raw.dropFirst(3)) else { return nil }
            let qos: String
            switch previous {
            case .qos(let q): qos = q
            case .kubepods: qos = "guaranteed"
            default: return nil
            }
            return .pod(uid: uid, qos: qos)
        }
        guard raw.hasSuffix(".slice"), let marker = lastPodMarker(in: raw) else { return nil }
        let head = raw[..<marker.lowerBound]
        guard let uid = podUID(raw[marker.upperBound...].dropLast(6)) else { return nil }
        if head.hasSuffix("kubepods-burstable") { return .pod(uid: uid, qos: "burstable") }
        if head.hasSuffix("kubepods-besteffort") { return .pod(uid: uid, qos: "besteffort") }
        if head.hasSuffix("kubepods") { return .pod(uid: uid, qos: "guaranteed") }
        return nil
    }

    /// The last `-pod` in a slice name (the UID follows it).
    private static func lastPodMarker(in name: Substring) -> Range<Substring.Index>? {
        let marker = Array("-pod".utf8)
        let bytes = Array(name.utf8)
        guard bytes.count >= marker.count else { return nil }
        for start in stride(from: bytes.count - marker.count, through: 0, by: -1)
        where bytes[start..<start + marker.count].elementsEqual(marker) {
            let lower = name.utf8.index(name.startIndex, offsetBy: start)
            let upper = name.utf8.index(lower, offsetBy: marker.count)
            return lower..<upper
        }
        return nil
    }

    /// A dashed UUID (systemd writes `_` for `-`) or the 32-hex config hash kubelet gives static pods.
    /// - Returns: the UID in its API form (dashes), or nil.
    static func podUID(_ text: Substring) -> String? {
        let bytes = Array(text.utf8)
        if bytes.count == 32, bytes.allSatisfy(isLowerHex) { return String(text) }
        guard bytes.count == 36 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(36)
        for (i, b) in bytes.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard b == UInt8(ascii: "-") || b == UInt8(ascii: "_") else { return nil }
                out.append(UInt8(ascii: "-"))
            } else {
                guard isLowerHex(b) else { return nil }
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Whole-string forms

    /// The runc systemd `cgroupsPath` form `slice:prefix:id` (as OCI config.json carries it).
    private static func parseColonForm(_ text: Substring) -> CgroupMatch?? {
        guard !text.contains("/") else { return nil }
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 3, isHex64(fields[2]) else { return nil }
        guard fields[0].isEmpty || fields[0].hasSuffix(".slice") else { return nil }
        guard let known = colonPrefixes[fields[1]] else { return nil }
        guard let runtime = known else { return .some(nil) }  // conmon: a host process
        var match = CgroupMatch(id: ContainerID(String(fields[2])), runtime: runtime)
        if case .pod(let uid, let qos)? = podComponent(fields[0], previous: .other, kubepods: false) {
            match.podUID = uid; match.qosClass = qos
        }
        return .some(match)
    }

    /// The path of a raw /proc/<pid>/cgroup line (`12:memory:/docker/<id>`, `0::/…`), else nil.
    private static func procLinePath(_ text: Substring) -> Substring? {
        guard let first = text.utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
        let fields = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard fields.count == 3, fields[0].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), fields[2].hasPrefix("/") else { return nil }
        return fields[2]
    }

    static func isHex64(_ s: Substring) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy(isLowerHex)
    }

    private static func isLowerHex(_ b: UInt8) -> Bool {
        (b >= 48 && b <= 57) || (b >= 97 && b <= 102)
    }
}
