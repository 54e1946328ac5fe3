// SPDX-License-Identifier: Apache-2.0
// cgroup path → container runtime, container id, pod UID and QoS class. Pure string parsing over the
// formats the runtimes write (cgroup v1 and v2, cgroupfs and systemd drivers, nested kind paths).

import Foundation

public struct CgroupMatch: Sendable, Hashable {
    public var id: ContainerID
    /// "docker", "containerd", "cri-o", "podman", "runc" or "unknown".
    public var runtime: String
    public var podUID: String?
    /// "guaranteed", "burstable" or "besteffort" when under kubepods.
    public var qosClass: String?
}

public enum CgroupParser {
    /// Parses a cgroup path; nil for host processes (no 64-hex container id in the path).
    public static func parse(_ path: String) -> CgroupMatch? {
        let parts = path.split(separator: "/").map(String.init)
        // The container id is the innermost 64-hex component (nested kind paths have several).
        var match: CgroupMatch?
        for part in parts.reversed() {
            if let (id, runtime) = containerID(in: part) {
                match = CgroupMatch(id: ContainerID(id), runtime: runtime)
                break
            }
        }
        guard var m = match else { return nil }
        for part in parts where part.contains("pod") {
            if let (uid, qos) = pod(in: part) { m.podUID = uid; m.qosClass = qos ?? m.qosClass }
            if part == "burstable" || part == "besteffort" { m.qosClass = part }
        }
        if m.podUID != nil && m.qosClass == nil { m.qosClass = "guaranteed" }
        for part in parts where part.hasPrefix("kubepods") {
            if part.contains("burstable") { m.qosClass = "burstable" }
            if part.contains("besteffort") { m.qosClass = "besteffort" }
        }
        if m.podUID != nil && m.runtime == "unknown" { m.runtime = "containerd" }
        return m
    }

    static func isHex64(_ s: Substring) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    private static let prefixes: [(String, String)] = [
        ("docker-", "docker"), ("cri-containerd-", "containerd"), ("crio-", "cri-o"),
        ("libpod-", "podman"), ("containerd-", "containerd"),
    ]

    private static func containerID(in component: String) -> (String, String)? {
        var s = Substring(component)
        if s.hasSuffix(".scope") { s = s.dropLast(6) }
        // systemd "...slice:cri-containerd:<id>" form
        if let colon = s.lastIndex(of: ":") {
            let id = s[s.index(after: colon)...]
            if isHex64(id) {
                let head = s[..<colon]
                let runtime = head.hasSuffix("cri-containerd") ? "containerd" : head.hasSuffix("crio") ? "cri-o" : head.hasSuffix("docker") ? "docker" : "unknown"
                return (String(id), runtime)
            }
        }
        for (prefix, runtime) in prefixes where s.hasPrefix(prefix) {
            let id = s.dropFirst(prefix.count)
            if isHex64(id) { return (String(id), runtime) }
        }
        if isHex64(s) { return (String(s), "unknown") }
        return nil
    }

    /// `pod<uid>` (cgroupfs) or `kubepods-<qos>-pod<uid_with_underscores>.slice` (systemd).
    private static func pod(in component: String) -> (String, String?)? {
        var s = Substring(component)
        if s.hasSuffix(".slice") { s = s.dropLast(6) }
        guard let r = s.range(of: "pod", options: .backwards) else { return nil }
        let uid = s[r.upperBound...].replacingOccurrences(of: "_", with: "-")
        guard uid.count == 36, uid.split(separator: "-").count == 5 else { return nil }
        var qos: String?
        if s.contains("burstable") { qos = "burstable" } else if s.contains("besteffort") { qos = "besteffort" }
        return (uid, qos)
    }
}
