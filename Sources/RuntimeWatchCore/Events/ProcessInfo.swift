// SPDX-License-Identifier: Apache-2.0
// What capture read about one process. Everything a detector may need is here, so nothing after
// capture reads the host. Optional fields are nil when the process exited before capture could
// read them (short-lived processes race /proc); `complete` says whether the /proc read succeeded.

/// What a file descriptor (0, 1 or 2) pointed at when capture looked.
public struct DescriptorInfo: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case file, pipe, socket, tty, anon, deleted, devnull, other
    }
    /// Socket details, read from /proc/net/{tcp,tcp6,udp,udp6,unix} by inode.
    public struct Socket: Sendable, Hashable, Codable {
        /// "inet", "inet6", "unix", "netlink" or "unknown".
        public var family: String
        /// "tcp", "udp", "stream", "dgram" or "unknown".
        public var proto: String
        public var localAddress: String?
        public var localPort: UInt16?
        public var remoteAddress: String?
        public var remotePort: UInt16?
        /// TCP state name as the kernel numbers it ("ESTABLISHED", "LISTEN", "SYN_SENT", …).
        public var state: String?
        /// True for an accepted (inbound) TCP connection: its local port has a listener in the same
        /// table. Nil otherwise (outbound, UDP, or not read), so traces of outbound sockets are unchanged.
        public var inbound: Bool?
        public init(family: String, proto: String, localAddress: String? = nil, localPort: UInt16? = nil,
                    remoteAddress: String? = nil, remotePort: UInt16? = nil, state: String? = nil, inbound: Bool? = nil) {
            self.family = family; self.proto = proto
            self.localAddress = localAddress; self.localPort = localPort
            self.remoteAddress = remoteAddress; self.remotePort = remotePort; self.state = state; self.inbound = inbound
        }
        /// A socket with a remote peer on the network (not a unix socket, not a listener).
        public var isConnectedInet: Bool {
            (family == "inet" || family == "inet6") && remoteAddress != nil && (remotePort ?? 0) != 0
        }
    }
    public var fd: Int32
    public var kind: Kind
    /// The readlink target of /proc/<pid>/fd/<n>: a path, `pipe:[123]`, `socket:[456]`, …
    public var target: String
    /// Inode for pipes and sockets, so the two ends of a pipe can be matched across processes.
    public var inode: UInt64?
    public var socket: Socket?
    public init(fd: Int32, kind: Kind, target: String, inode: UInt64? = nil, socket: Socket? = nil) {
        self.fd = fd; self.kind = kind; self.target = target; self.inode = inode; self.socket = socket
    }
}

/// Process credentials and capabilities, from /proc/<pid>/status.
public struct Credentials: Sendable, Hashable, Codable {
    public var uid: UInt32
    public var euid: UInt32
    public var gid: UInt32
    public var egid: UInt32
    /// Effective capability mask (CapEff), bit n = capability n.
    public var capEff: UInt64?
    public init(uid: UInt32, euid: UInt32, gid: UInt32, egid: UInt32, capEff: UInt64? = nil) {
        self.uid = uid; self.euid = euid; self.gid = gid; self.egid = egid; self.capEff = capEff
    }
}

/// A process as read from /proc at exec time or during the startup snapshot.
public struct ProcessInfo: Sendable, Hashable, Codable {
    public var pid: ProcessID
    /// Parent pid as /proc reports it (`PPid`), or as the fork event said when /proc was gone.
    public var ppid: ProcessID?
    /// Kernel `comm` (at most 15 bytes).
    public var comm: String?
    /// Resolved /proc/<pid>/exe.
    public var exe: String?
    /// Arguments from /proc/<pid>/cmdline (or the audit EXECVE record).
    public var argv: [String]?
    public var cwd: String?
    public var credentials: Credentials?
    /// The cgroup path that names the process's container (see `CgroupSelection`); "/" for the root.
    public var cgroup: String?
    /// Descriptors 0, 1 and 2.
    public var fds: [DescriptorInfo]?
    /// Process start time in clock ticks since boot (/proc/<pid>/stat field 22); tells pid reuse apart.
    public var startTicks: UInt64?
    /// Where the fields came from: "proc" (all read), "partial" (process exited mid-read),
    /// "brief" (cmdline, exe and cgroup only: a host program no detector reads deeper, see
    /// README "What is read for which process"; parent and credentials are the ones it inherited
    /// at fork), "inherited" (nothing readable; cgroup taken from the parent by the state).
    public var source: String?
    /// The fields cut to `EventBounds` where the event entered (`EventRecord.bounded()`): "argv",
    /// "exe", "cwd", "cgroup", "comm", "fds". Nil when nothing was cut (so traces and alerts of
    /// ordinary processes are unchanged). Shown in alerts as `proc.truncated`.
    public var truncated: [String]?
    public init(pid: ProcessID, ppid: ProcessID? = nil, comm: String? = nil, exe: String? = nil,
                argv: [String]? = nil, cwd: String? = nil, credentials: Credentials? = nil,
                cgroup: String? = nil, fds: [DescriptorInfo]? = nil, startTicks: UInt64? = nil,
                source: String? = nil) {
        self.pid = pid; self.ppid = ppid; self.comm = comm; self.exe = exe; self.argv = argv
        self.cwd = cwd; self.credentials = credentials; self.cgroup = cgroup; self.fds = fds
        self.startTicks = startTicks; self.source = source
    }

    /// Base name of the executable, falling back to comm.
    public var name: String? {
        if let exe, let last = exe.split(separator: "/").last { return String(last) }
        return comm
    }
    /// argv joined by spaces, as Falco's `proc.cmdline` shows it (name then args).
    public var cmdline: String? {
        guard let argv, !argv.isEmpty else { return nil }
        return argv.joined(separator: " ")
    }
}
