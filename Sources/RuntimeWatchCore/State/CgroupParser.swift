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
        var path = path
        // Works on the UTF-8 bytes: this runs for every exec, and String's Unicode-aware
        // comparisons cost more than the whole parse.
        return path.withUTF8 { parse(span: ByteSpan($0)) }
    }

    static func parse(span: ByteSpan) -> CgroupMatch? {
        if let colonForm = parseColonForm(span) { return colonForm }
        let text = procLinePath(span) ?? span

        var best: CgroupMatch?       // innermost container so far
        var outer: CgroupMatch?      // the container enclosing `best`
        var levelPod: (uid: String, qos: String)?
        var levelKubepods = false
        var previous: Component = .other
        var previousName = ByteSpan.empty
        var cursor = 0
        while let name = text.nextComponent(from: &cursor, separator: Ascii.slash) {
            if name.equals(Ascii.dot) || name.equals(Ascii.dotDot) { continue }
            let component = classify(name, previous: previous, previousName: previousName, kubepods: levelKubepods)
            switch component {
            case .container(let id, let runtime):
                outer = best
                best = CgroupMatch(id: ContainerID(id.string), runtime: runtime, podUID: levelPod?.uid, qosClass: levelPod?.qos)
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
        case container(id: ByteSpan, runtime: String)
        /// A conmon cgroup; `insideMonitoredContainer` when it sits inside the container it monitors.
        case conmon(insideMonitoredContainer: Bool)
        case pod(uid: String, qos: String)
        case kubepods
        case qos(String)
        case other
    }

    /// Prefixes of container scopes and cgroupfs directories. A nil runtime marks a runtime
    /// monitor (conmon). Order does not matter: a prefix only counts when exactly 64 hex follow.
    private static let prefixes: [(prefix: [UInt8], runtime: String?)] = [
        ("crio-conmon-", nil), ("libpod-conmon-", nil),
        ("docker-", "docker"), ("cri-containerd-", "containerd"), ("containerd-", "containerd"),
        ("nerdctl-", "containerd"), ("crio-", "cri-o"), ("libpod-payload-", "podman"),
        ("libpod-", "podman"), ("runc-", "runc"),
    ].map { (Array($0.0.utf8), $0.1) }

    /// The runtime a colon-form prefix (`slice:prefix:id`) names; nil runtime for conmon.
    private static let colonPrefixes: [(prefix: [UInt8], runtime: String?)] = [
        ("docker", "docker"), ("cri-containerd", "containerd"), ("containerd", "containerd"),
        ("nerdctl", "containerd"), ("crio", "cri-o"), ("libpod", "podman"), ("runc", "runc"),
        ("crio-conmon", nil), ("libpod-conmon", nil),
    ].map { (Array($0.0.utf8), $0.1) }

    /// Parent directories whose bare-hex children are known to belong to one runtime.
    private static let bareParents: [(name: [UInt8], runtime: String)] = [
        (Array("docker".utf8), "docker"), (Array("libpod_parent".utf8), "podman"),
    ]

    static func classify(_ name: ByteSpan, previous: Component, previousName: ByteSpan, kubepods: Bool) -> Component {
        if name.isHex64 {
            if case .pod = previous { return .container(id: name, runtime: "containerd") }
            let runtime = bareParents.first { previousName.equals($0.name) }?.runtime ?? "unknown"
            return .container(id: name, runtime: runtime)
        }
        // Old Podman (cgroupfs): libpod-<id>/ctr is the container, libpod-<id>/conmon its monitor.
        if name.equals(Ascii.conmon), case .container = previous { return .conmon(insideMonitoredContainer: true) }
        if name.equals(Ascii.kubepods) || name.equals(Ascii.kubepodsSlice) || name.hasSuffix(Ascii.dashKubepodsSlice) { return .kubepods }
        if name.equals(Ascii.burstable) { return kubepods ? .qos("burstable") : .other }
        if name.equals(Ascii.besteffort) { return kubepods ? .qos("besteffort") : .other }
        if name.hasSuffix(Ascii.burstableSlice) { return .qos("burstable") }
        if name.hasSuffix(Ascii.besteffortSlice) { return .qos("besteffort") }
        if let pod = podComponent(name, previous: previous, kubepods: kubepods) { return pod }
        let unit = name.hasSuffix(Ascii.scope) ? name.dropLast(Ascii.scope.count) : name
        guard unit.count > 64 else { return .other }
        let id = unit.dropFirst(unit.count - 64)
        guard id.isHex64 else { return .other }
        let prefix = unit.dropLast(64)
        guard let known = prefixes.first(where: { prefix.equals($0.prefix) }) else { return .other }
        guard let runtime = known.runtime else { return .conmon(insideMonitoredContainer: false) }
        return .container(id: id, runtime: runtime)
    }

    // MARK: - Pods

    /// `pod<uid>` (cgroupfs, under kubepods) or `…kubepods[-<qos>]-pod<uid_with_underscores>.slice`
    /// (systemd driver; kind prefixes the slices with `kubelet-`).
    private static func podComponent(_ name: ByteSpan, previous: Component, kubepods: Bool) -> Component? {
        if kubepods, name.hasPrefix(Ascii.pod) {
            guard let uid = podUID(name.dropFirst(3)) else { return nil }
            switch previous {
            case .qos(let q): return .pod(uid: uid, qos: q)
            case .kubepods: return .pod(uid: uid, qos: "guaranteed")
            default: return nil
            }
        }
        guard name.hasSuffix(Ascii.slice), let marker = name.lastIndex(of: Ascii.dashPod) else { return nil }
        let head = name.prefix(marker)
        guard let uid = podUID(name.dropFirst(marker + Ascii.dashPod.count).dropLast(Ascii.slice.count)) else { return nil }
        if head.hasSuffix(Ascii.kubepodsBurstable) { return .pod(uid: uid, qos: "burstable") }
        if head.hasSuffix(Ascii.kubepodsBesteffort) { return .pod(uid: uid, qos: "besteffort") }
        if head.hasSuffix(Ascii.kubepods) { return .pod(uid: uid, qos: "guaranteed") }
        return nil
    }

    /// A dashed UUID (systemd writes `_` for `-`) or the 32-hex config hash kubelet gives static pods.
    /// - Returns: the UID in its API form (dashes), or nil.
    static func podUID(_ text: Substring) -> String? {
        var text = String(text)
        return text.withUTF8 { podUID(ByteSpan($0)) }
    }

    static func podUID(_ span: ByteSpan) -> String? {
        if span.count == 32 { return span.allLowerHex ? span.string : nil }
        guard span.count == 36 else { return nil }
        var out = [UInt8](repeating: 0, count: 36)
        for i in 0..<36 {
            let b = span[i]
            if i == 8 || i == 13 || i == 18 || i == 23 {
                guard b == UInt8(ascii: "-") || b == UInt8(ascii: "_") else { return nil }
                out[i] = UInt8(ascii: "-")
            } else {
                guard ByteSpan.isLowerHex(b) else { return nil }
                out[i] = b
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Whole-string forms

    /// The runc systemd `cgroupsPath` form `slice:prefix:id` (as OCI config.json carries it).
    /// - Returns: nil when `span` is not in that form; `.some(nil)` for a conmon scope.
    private static func parseColonForm(_ span: ByteSpan) -> CgroupMatch?? {
        guard !span.contains(Ascii.slash) else { return nil }
        var cursor = 0
        var fields: [ByteSpan] = []
        while let field = span.nextField(from: &cursor, separator: Ascii.colon) {
            fields.append(field)
            if fields.count > 3 { return nil }
        }
        guard fields.count == 3, fields[2].isHex64 else { return nil }
        guard fields[0].count == 0 || fields[0].hasSuffix(Ascii.slice) else { return nil }
        guard let known = colonPrefixes.first(where: { fields[1].equals($0.prefix) }) else { return nil }
        guard let runtime = known.runtime else { return .some(nil) }  // conmon: a host process
        var match = CgroupMatch(id: ContainerID(fields[2].string), runtime: runtime)
        if case .pod(let uid, let qos)? = podComponent(fields[0], previous: .other, kubepods: false) {
            match.podUID = uid; match.qosClass = qos
        }
        return .some(match)
    }

    /// The path of a raw /proc/<pid>/cgroup line (`12:memory:/docker/<id>`, `0::/…`), else nil.
    private static func procLinePath(_ span: ByteSpan) -> ByteSpan? {
        var i = 0
        while i < span.count, span[i] >= UInt8(ascii: "0"), span[i] <= UInt8(ascii: "9") { i += 1 }
        guard i > 0, i < span.count, span[i] == Ascii.colon else { return nil }
        i += 1
        while i < span.count, span[i] != Ascii.colon { i += 1 }
        guard i + 1 < span.count, span[i + 1] == Ascii.slash else { return nil }
        return span.dropFirst(i + 1)
    }
}

/// Byte constants the parser compares against.
private enum Ascii {
    static let slash = UInt8(ascii: "/")
    static let colon = UInt8(ascii: ":")
    static let dot = Array(".".utf8)
    static let dotDot = Array("..".utf8)
    static let conmon = Array("conmon".utf8)
    static let kubepods = Array("kubepods".utf8)
    static let kubepodsSlice = Array("kubepods.slice".utf8)
    static let dashKubepodsSlice = Array("-kubepods.slice".utf8)
    static let burstable = Array("burstable".utf8)
    static let besteffort = Array("besteffort".utf8)
    static let burstableSlice = Array("kubepods-burstable.slice".utf8)
    static let besteffortSlice = Array("kubepods-besteffort.slice".utf8)
    static let kubepodsBurstable = Array("kubepods-burstable".utf8)
    static let kubepodsBesteffort = Array("kubepods-besteffort".utf8)
    static let pod = Array("pod".utf8)
    static let dashPod = Array("-pod".utf8)
    static let slice = Array(".slice".utf8)
    static let scope = Array(".scope".utf8)
}

/// A window on UTF-8 bytes that stay alive for the duration of a parse.
struct ByteSpan {
    static var empty: ByteSpan { ByteSpan(UnsafeBufferPointer(start: nil, count: 0)) }

    private let base: UnsafeBufferPointer<UInt8>
    private let lower: Int
    let count: Int

    init(_ base: UnsafeBufferPointer<UInt8>) { self.base = base; self.lower = 0; self.count = base.count }
    private init(base: UnsafeBufferPointer<UInt8>, lower: Int, count: Int) { self.base = base; self.lower = lower; self.count = count }

    subscript(i: Int) -> UInt8 { base[lower + i] }

    var string: String { String(decoding: UnsafeBufferPointer(rebasing: base[lower..<lower + count]), as: UTF8.self) }

    func dropFirst(_ n: Int) -> ByteSpan { ByteSpan(base: base, lower: lower + n, count: count - n) }
    func dropLast(_ n: Int) -> ByteSpan { ByteSpan(base: base, lower: lower, count: count - n) }
    func prefix(_ n: Int) -> ByteSpan { ByteSpan(base: base, lower: lower, count: n) }

    func equals(_ other: [UInt8]) -> Bool { count == other.count && hasPrefix(other) }

    func hasPrefix(_ p: [UInt8]) -> Bool {
        guard count >= p.count else { return false }
        for i in 0..<p.count where self[i] != p[i] { return false }
        return true
    }

    func hasSuffix(_ p: [UInt8]) -> Bool {
        guard count >= p.count else { return false }
        let offset = count - p.count
        for i in 0..<p.count where self[offset + i] != p[i] { return false }
        return true
    }

    func contains(_ byte: UInt8) -> Bool {
        for i in 0..<count where self[i] == byte { return true }
        return false
    }

    /// Start of the last occurrence of `p`, or nil.
    func lastIndex(of p: [UInt8]) -> Int? {
        guard count >= p.count else { return nil }
        var start = count - p.count
        while start >= 0 {
            var hit = true
            for i in 0..<p.count where self[start + i] != p[i] { hit = false; break }
            if hit { return start }
            start -= 1
        }
        return nil
    }

    /// The next non-empty component after `cursor`, advancing it; nil at the end.
    func nextComponent(from cursor: inout Int, separator: UInt8) -> ByteSpan? {
        while cursor < count, self[cursor] == separator { cursor += 1 }
        guard cursor < count else { return nil }
        let start = cursor
        while cursor < count, self[cursor] != separator { cursor += 1 }
        return ByteSpan(base: base, lower: lower + start, count: cursor - start)
    }

    /// The next field (possibly empty) after `cursor`; nil once past the end.
    func nextField(from cursor: inout Int, separator: UInt8) -> ByteSpan? {
        guard cursor <= count else { return nil }
        let start = cursor
        while cursor < count, self[cursor] != separator { cursor += 1 }
        defer { cursor += 1 }
        return ByteSpan(base: base, lower: lower + start, count: cursor - start)
    }

    var isHex64: Bool { count == 64 && allLowerHex }

    var allLowerHex: Bool {
        for i in 0..<count where !Self.isLowerHex(self[i]) { return false }
        return true
    }

    static func isLowerHex(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 97 && b <= 102) }
}

extension ContainerInfo {
    /// What is known of a container from its cgroup path alone (no runtime metadata read yet, or
    /// none found): the one fallback every source and the state use.
    public init(cgroupOnly match: CgroupMatch) {
        self.init(id: match.id, runtime: match.runtime, podUID: match.podUID, qosClass: match.qosClass)
    }
}
