// SPDX-License-Identifier: Apache-2.0
// Event kinds as small integers, so the engine counts events in a fixed array (no dictionary lookup
// or string hashing per event), and the capture facility each kind comes from (the `source`
// dimension of runtime_watch_events_total).

enum EventKindTable {
    /// Kind names, indexed by `index(of:)`; each equals `Event.kind` of its case.
    static let kinds = ["snapshot", "fork", "exec", "exit", "uid", "gid", "sid", "comm", "ptrace", "coredump",
                        "container", "drop", "open", "connect", "fds", "k8s_audit"]
    /// Capture facility per kind: the proc connector reports process lifecycle, /proc reads give
    /// snapshots and descriptors, OCI state gives container metadata, fanotify gives opens.
    static let sources = ["procfs", "proc_connector", "proc_connector", "proc_connector", "proc_connector",
                          "proc_connector", "proc_connector", "proc_connector", "proc_connector", "proc_connector",
                          "oci", "capture", "fanotify", "connect", "procfs", "k8s_audit"]
    static var count: Int { kinds.count }

    @inline(__always)
    static func index(of event: Event) -> Int {
        switch event {
        case .snapshot: 0
        case .fork: 1
        case .exec: 2
        case .exit: 3
        case .uid: 4
        case .gid: 5
        case .sid: 6
        case .comm: 7
        case .ptrace: 8
        case .coredump: 9
        case .container: 10
        case .drop: 11
        case .fileOpen: 12
        case .connect: 13
        case .descriptors: 14
        case .k8sAudit: 15
        }
    }
}
