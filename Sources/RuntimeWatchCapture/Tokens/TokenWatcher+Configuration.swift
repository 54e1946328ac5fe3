// SPDX-License-Identifier: Apache-2.0
// The token watcher's knobs, with defaults for a Kubernetes node.

extension TokenWatcher {
    /// How openers are observed.
    public enum Mode: String, Sendable, Hashable {
        /// FAN_OPEN_PERM: the opener is held until the monitor answers (always "allow"), so its
        /// /proc entries are read before it can exit. Needs CONFIG_FANOTIFY_ACCESS_PERMISSIONS.
        case permission
        /// FAN_OPEN notifications: nothing is held, so a short-lived opener may have exited before
        /// /proc is read (attribution races: `process.source` is then "partial") and the open flags
        /// are unknown (`write` is false). The kernel also merges identical notifications still
        /// queued (same file, same process), so repeated opens by one process may yield one record.
        case notification
    }

    public struct Configuration: Sendable {
        /// The kubelet's state directory; pod volumes are under `<kubeletRoot>/pods`.
        public var kubeletRoot: String = "/var/lib/kubelet"
        /// File names inside a projected or secret volume that hold a token.
        public var tokenFileNames: [String] = ["token"]
        /// Token files of the host itself (the monitor's own pod, when it runs as a DaemonSet).
        public var hostTokenPaths: [String] = TokenWatcher.serviceAccountTokenPaths
        /// Token paths looked up inside every container root passed to `watchContainer(rootPID:)`.
        public var containerTokenPaths: [String] = TokenWatcher.serviceAccountTokenPaths
        /// How often the token locations are scanned again (new pods, rotated tokens, gone pods).
        public var rescanInterval: Duration = .seconds(2)
        /// Preferred mode; `permission` falls back to `notification` when the kernel refuses it
        /// and `allowNotificationFallback` is set.
        public var mode: Mode = .permission
        public var allowNotificationFallback: Bool = true
        /// Capacity of the event stream; beyond it records are dropped and counted.
        public var bufferCapacity: Int = 4096
        /// Time the /proc capture of one opener may take before its mount namespace and root are
        /// skipped. What attribution needs (status, cmdline, exe, cgroup) and the open's flags
        /// (whether it is a read at all) are always read; the budget only bites when the monitor
        /// is preempted or /proc is slow.
        public var captureBudget: Duration = .milliseconds(5)
        /// Time one read batch may take: later events of an overrun batch get no mount namespace
        /// or root.
        public var batchBudget: Duration = .milliseconds(20)
        /// The watchdog answers any permission event still unanswered this long after it was read.
        public var answerDeadline: Duration = .milliseconds(250)
        /// Scan caps.
        public var maxPods: Int = 4096
        public var maxVolumesPerPod: Int = 64
        public var maxMarks: Int = 16384
        /// Open /proc/<pid> directories of openers, kept for the next open by the same process (a
        /// loop reading the token); nil: the watcher keeps a small one of its own.
        public var directories: ProcDirectoryCache?
        /// An opener that opens again within this time of its last complete read, still running the
        /// same exe with the same argv (no exec since), is read for cmdline, exe and the open flags only;
        /// status, cgroup, mount namespace and root come from that read (a loop reading the token was a whole read per open;
        /// a change of uid or comm without exec reaches the state through proc connector events).
        /// nil: every open reads fully.
        public var identityReuseWindow: Duration? = .seconds(1)
        /// Longest an open waits in the capture queue before the drive loop is woken for it (zero:
        /// woken for every open; see `DeferredHandOff`). Waking it per open cost a token storm more
        /// CPU than judging it (BENCHMARKS section 22); this adds at most this much to an alert, and
        /// nothing to the time the opener is held (it is answered before its open is queued).
        public var handOffWindow: Duration = .milliseconds(1)

        public init() {}
    }

    /// The two in-container locations of the service-account token.
    public static let serviceAccountTokenPaths = [
        "/var/run/secrets/kubernetes.io/serviceaccount/token",
        "/run/secrets/kubernetes.io/serviceaccount/token",
    ]
}
