// SPDX-License-Identifier: Apache-2.0
// The capabilities the running monitor keeps after start-up, each with the reason it is needed.
// Everything else (CAP_SYS_ADMIN for fanotify_init, CAP_NET_ADMIN for the proc connector, CAP_AUDIT_READ
// for the audit multicast group, CAP_SYS_NICE, CAP_SYS_RESOURCE, ...) is only needed to OPEN the
// sources and is dropped once they are open. Measured: tests/RuntimeWatchSystemTests/HardeningLiveTests.

/// One capability kept in the steady state and why.
public struct KeptCapability: Sendable, Hashable {
    /// Upper-case name (`CAP_SYS_PTRACE`).
    public var name: String
    public var reason: String
}

public enum SteadyStateCapabilities {
    /// The capabilities kept, by name, with their reason. `connectCapture`: the audit connect capture
    /// is running (it must delete its audit rule and restore the audit settings at exit).
    /// `killResponse`: the profile configures a `respond: kill` (freezing needs no capability: the
    /// cgroup control files are root's own, see ResponseActions.swift).
    public static func kept(connectCapture: Bool, killResponse: Bool = false) -> [KeptCapability] {
        var kept = [
            KeptCapability(name: "CAP_DAC_READ_SEARCH",
                           reason: "read files and directories whatever their mode: token files and kubelet pod directories, OCI runtime state, /proc/<pid>/root paths; fanotify_mark on the 2 s token rescan needs read permission on the marked file"),
            KeptCapability(name: "CAP_SYS_PTRACE",
                           reason: "read other processes' /proc entries (exe, fd/*, cwd, root, status, net tables of their netns): ptrace_may_access refuses them when the target holds capabilities the monitor no longer has"),
        ]
        if connectCapture {
            kept.append(KeptCapability(name: "CAP_AUDIT_CONTROL",
                                       reason: "at exit, delete the connect audit rule and restore the audit enabled flag and backlog limit (otherwise the kernel keeps auditing every connect)"))
        }
        if killResponse {
            kept.append(KeptCapability(name: "CAP_KILL",
                                       reason: "respond: kill in the profile: SIGKILL a container process whatever its uid"))
        }
        return kept
    }

    /// The kept capabilities as a set (names libcap does not know are skipped; a unit test checks
    /// that none is).
    public static func set(connectCapture: Bool, killResponse: Bool = false) -> CapabilitySet {
        CapabilitySet(numbers: kept(connectCapture: connectCapture, killResponse: killResponse).compactMap { Capabilities.number(named: $0.name) })
    }
}

/// The capabilities `run` needs at start-up, before hardening, each with the reason: what the
/// DaemonSet adds (`capabilities.add`, without the CAP_ prefix) and the systemd unit's
/// CapabilityBoundingSet. A test checks deploy/ lists exactly these.
public enum StartupCapabilities {
    public static let required: [KeptCapability] = [
        KeptCapability(name: "CAP_SYS_ADMIN", reason: "fanotify_init with permission events (token reads), marks in other mount namespaces"),
        KeptCapability(name: "CAP_NET_ADMIN", reason: "subscribe to the netlink proc connector; SO_RCVBUFFORCE for its receive buffer"),
        KeptCapability(name: "CAP_AUDIT_CONTROL", reason: "add the connect audit rule, enable audit, raise the backlog limit (and undo it all at exit)"),
        KeptCapability(name: "CAP_AUDIT_READ", reason: "join the audit netlink multicast group the connect records arrive on"),
        KeptCapability(name: "CAP_SYS_PTRACE", reason: "read other processes' /proc entries (exe, fd links, cwd, root)"),
        KeptCapability(name: "CAP_DAC_READ_SEARCH", reason: "read token files, kubelet pod directories and OCI runtime state whatever their mode"),
        KeptCapability(name: "CAP_SYS_NICE", reason: "raise the capture thread's priority (negative nice) so exec bursts are read in time"),
    ]
}
