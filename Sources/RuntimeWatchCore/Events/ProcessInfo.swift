// SPDX-License-Identifier: Apache-2.0
// What capture read about one process. Everything a detector may need is here, so nothing after
// capture reads the host. Optional fields are nil when the process exited before capture could
// read them (short-lived processes race /proc); `complete` says whether the /proc read succeeded.

import Synchronization

/// What a file descriptor (0, 1 or 2) pointed at when capture looked.
public struct DescriptorInfo: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
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
    public var socket: Socket? {
        get { socketBox?.socket }
        set { socketBox = newValue.map(SocketBox.init) }
    }
    /// The socket, boxed: inline, its strings made every descriptor 137 bytes (48 boxed), and a
    /// descriptor is copied several times as it is decoded and read; most descriptors are not
    /// sockets, so a box is rarely allocated.
    private var socketBox: SocketBox?

    public init(fd: Int32, kind: Kind, target: String, inode: UInt64? = nil, socket: Socket? = nil) {
        self.fd = fd; self.kind = kind; self.target = target; self.inode = inode; self.socket = socket
    }

    /// Equal, hashed and coded as the socket it holds, so the synthesized equality, hashing and
    /// coding of a descriptor are what they were when the socket was a stored property (same
    /// keys, same order, an absent socket left out).
    private final class SocketBox: Sendable, Hashable, Codable {
        let socket: Socket
        init(_ socket: Socket) { self.socket = socket }
        static func == (a: SocketBox, b: SocketBox) -> Bool { a.socket == b.socket }
        func hash(into hasher: inout Hasher) { hasher.combine(socket) }
        init(from decoder: any Decoder) throws { socket = try decoder.singleValueContainer().decode(Socket.self) }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(socket)
        }
    }

    private enum CodingKeys: String, CodingKey { case fd, kind, target, inode, socketBox = "socket" }
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
///
/// A value type whose strings and lists live in one shared, copy-on-write `Image`: the state copies
/// a process's info on every fork (the child runs its parent's image) and detectors copy records
/// to read them, so a copy must cost one reference, not one per string (issue 17's profile:
/// record copies and their reference counting were a third of the engine's time). What changes
/// at fork (pid, ppid, start time, source) is stored inline, so a fork shares its parent's image.
public struct ProcessInfo: Sendable, Hashable, Codable {
    public var pid: ProcessID
    /// Parent pid as /proc reports it (`PPid`), or as the fork event said when /proc was gone.
    public var ppid: ProcessID?
    /// Process start time in clock ticks since boot (/proc/<pid>/stat field 22); tells pid reuse apart.
    public var startTicks: UInt64?
    /// Where the fields came from: "proc" (all read), "partial" (process exited mid-read),
    /// "brief" (cmdline, exe and cgroup only: a host program no detector reads deeper, see
    /// README "What is read for which process"; parent and credentials are the ones it inherited
    /// at fork), "inherited" (nothing readable; cgroup taken from the parent by the state).
    public var source: String?
    private var image: Image

    /// Kernel `comm` (at most 15 bytes).
    public var comm: String? {
        get { image.comm }
        set { uniqueImage().comm = newValue }
    }
    /// Resolved /proc/<pid>/exe.
    public var exe: String? {
        get { image.exe }
        set { uniqueImage().exe = newValue }
    }
    /// Arguments from /proc/<pid>/cmdline (or the audit EXECVE record).
    public var argv: [String]? {
        get { image.argv }
        set { uniqueImage().argv = newValue }
    }
    public var cwd: String? {
        get { image.cwd }
        set { uniqueImage().cwd = newValue }
    }
    public var credentials: Credentials? {
        get { image.credentials }
        set { uniqueImage().credentials = newValue }
    }
    /// The cgroup path that names the process's container (see `CgroupSelection`); "/" for the root.
    public var cgroup: String? {
        get { image.cgroup }
        set { uniqueImage().cgroup = newValue }
    }
    /// Descriptors 0, 1 and 2.
    public var fds: [DescriptorInfo]? {
        get { image.fds }
        set { uniqueImage().fds = newValue }
    }
    /// The fields cut to `EventBounds` where the event entered (`EventRecord.bounded()`): "argv",
    /// "exe", "cwd", "cgroup", "comm", "fds". Nil when nothing was cut (so traces and alerts of
    /// ordinary processes are unchanged). Shown in alerts as `proc.truncated`.
    public var truncated: [String]? {
        get { image.truncated }
        set { uniqueImage().truncated = newValue }
    }

    public init(pid: ProcessID, ppid: ProcessID? = nil, comm: String? = nil, exe: String? = nil,
                argv: [String]? = nil, cwd: String? = nil, credentials: Credentials? = nil,
                cgroup: String? = nil, fds: [DescriptorInfo]? = nil, startTicks: UInt64? = nil,
                source: String? = nil) {
        self.pid = pid; self.ppid = ppid; self.startTicks = startTicks; self.source = source
        self.image = Image(comm: comm, exe: exe, argv: argv, cwd: cwd, credentials: credentials, cgroup: cgroup,
                           fds: fds, truncated: nil)
    }

    /// The image, copied first if another value shares it (copy on write).
    private mutating func uniqueImage() -> Image {
        if !isKnownUniquelyReferenced(&image) { image = image.copy() }
        return image
    }

    /// Bytes of strings this process holds (what the process table's byte budget counts); an
    /// argument or descriptor also costs its array slot and fixed fields.
    var stringBytes: Int { image.stringBytes }

    /// Inodes of the pipes and sockets on descriptors 0-2 (what `ProcessTable.holders(ofInode:)`
    /// indexes).
    var standardStreamInodes: StreamInodes { image.streamInodes }

    /// Whether every string and list is within `EventBounds` (`bounded()` then returns this as it is).
    var isWithinBounds: Bool { image.withinBounds }

    /// Whether two values share one image (then every field of it is equal without comparing).
    func sharesImage(with other: ProcessInfo) -> Bool { image === other.image }

    /// What program the image runs (`ProgramClassifier`), worked out on the first question and kept
    /// until comm, exe or argv change: several detectors ask it for every event of a process
    /// (issue 17's replay profile: 5.3% of the time went to working it out again).
    var program: ProgramIdentity { image.program() }

    /// The strings and lists of a process. Changed only through `uniqueImage()`, i.e. only while a
    /// single value holds it; shared images are never written, which is what makes it Sendable.
    private final class Image: @unchecked Sendable {
        var comm: String? { didSet { measure(); forgetProgram() } }
        var exe: String? { didSet { measure(); forgetProgram() } }
        var argv: [String]? { didSet { measure(); forgetProgram() } }
        var cwd: String? { didSet { measure() } }
        var credentials: Credentials?
        var cgroup: String? { didSet { measure() } }
        var fds: [DescriptorInfo]? { didSet { measure() } }
        var truncated: [String]?
        /// `ProcessInfo.stringBytes`, `standardStreamInodes` and `isWithinBounds`, kept with the
        /// fields they come from: the process table reads the first two before and after every
        /// change of a record, and every event entering is bounded.
        private(set) var stringBytes = 0
        private(set) var streamInodes = StreamInodes()
        private(set) var withinBounds = true
        /// `ProcessInfo.program`, once asked. Behind a lock, unlike the fields: a shared image is
        /// never written by its holders, but this is filled by whichever thread asks first (the
        /// capture thread deciding how deep to read, or the engine), when the image may be shared.
        private let knownProgram = Mutex<ProgramIdentity?>(nil)

        init(comm: String?, exe: String?, argv: [String]?, cwd: String?, credentials: Credentials?, cgroup: String?,
             fds: [DescriptorInfo]?, truncated: [String]?) {
            self.comm = comm; self.exe = exe; self.argv = argv; self.cwd = cwd; self.credentials = credentials
            self.cgroup = cgroup; self.fds = fds; self.truncated = truncated
            measure()
        }

        private func measure() {
            stringBytes = (argv?.reduce(0) { $0 + $1.utf8.count + 16 } ?? 0) + (exe?.utf8.count ?? 0) + (cwd?.utf8.count ?? 0)
                + (cgroup?.utf8.count ?? 0) + (comm?.utf8.count ?? 0) + (fds?.reduce(0) { $0 + $1.stringBytes } ?? 0)
            var inodes = StreamInodes()
            for fd in fds ?? [] where (0...2).contains(fd.fd) && (fd.kind == .pipe || fd.kind == .socket) {
                if let inode = fd.inode { inodes.insert(inode) }
            }
            streamInodes = inodes
            withinBounds = ProcessInfo.fieldsWithinBounds(comm: comm, exe: exe, argv: argv, cwd: cwd, cgroup: cgroup, fds: fds)
        }

        func program() -> ProgramIdentity {
            if let known = knownProgram.withLock({ $0 }) { return known }
            let identity = ProgramIdentity(exe: exe, argv: argv, comm: comm)
            knownProgram.withLock { $0 = identity }
            return identity
        }

        private func forgetProgram() {
            knownProgram.withLock { $0 = nil }
        }

        func copy() -> Image {
            Image(comm: comm, exe: exe, argv: argv, cwd: cwd, credentials: credentials, cgroup: cgroup, fds: fds, truncated: truncated)
        }

        func hasSameFields(as other: Image) -> Bool {
            comm == other.comm && exe == other.exe && argv == other.argv && cwd == other.cwd && credentials == other.credentials
                && cgroup == other.cgroup && fds == other.fds && truncated == other.truncated
        }
    }

    // Equality, hashing and coding see the fields, never the image's identity: the same as when
    // they were stored properties (same keys, same order, absent optionals left out).

    public static func == (lhs: ProcessInfo, rhs: ProcessInfo) -> Bool {
        lhs.pid == rhs.pid && lhs.ppid == rhs.ppid && lhs.startTicks == rhs.startTicks && lhs.source == rhs.source
            && (lhs.image === rhs.image || lhs.image.hasSameFields(as: rhs.image))
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(pid); hasher.combine(ppid); hasher.combine(comm); hasher.combine(exe); hasher.combine(argv)
        hasher.combine(cwd); hasher.combine(credentials); hasher.combine(cgroup); hasher.combine(fds)
        hasher.combine(startTicks); hasher.combine(source); hasher.combine(truncated)
    }

    private enum CodingKeys: String, CodingKey {
        case pid, ppid, comm, exe, argv, cwd, credentials, cgroup, fds, startTicks, source, truncated
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(pid: try c.decode(ProcessID.self, forKey: .pid),
                  ppid: try c.decodeIfPresent(ProcessID.self, forKey: .ppid),
                  comm: try c.decodeIfPresent(String.self, forKey: .comm),
                  exe: try c.decodeIfPresent(String.self, forKey: .exe),
                  argv: try c.decodeIfPresent([String].self, forKey: .argv),
                  cwd: try c.decodeIfPresent(String.self, forKey: .cwd),
                  credentials: try c.decodeIfPresent(Credentials.self, forKey: .credentials),
                  cgroup: try c.decodeIfPresent(String.self, forKey: .cgroup),
                  fds: try c.decodeIfPresent([DescriptorInfo].self, forKey: .fds),
                  startTicks: try c.decodeIfPresent(UInt64.self, forKey: .startTicks),
                  source: try c.decodeIfPresent(String.self, forKey: .source))
        if let truncated = try c.decodeIfPresent([String].self, forKey: .truncated) { self.truncated = truncated }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pid, forKey: .pid)
        try c.encodeIfPresent(ppid, forKey: .ppid)
        try c.encodeIfPresent(comm, forKey: .comm)
        try c.encodeIfPresent(exe, forKey: .exe)
        try c.encodeIfPresent(argv, forKey: .argv)
        try c.encodeIfPresent(cwd, forKey: .cwd)
        try c.encodeIfPresent(credentials, forKey: .credentials)
        try c.encodeIfPresent(cgroup, forKey: .cgroup)
        try c.encodeIfPresent(fds, forKey: .fds)
        try c.encodeIfPresent(startTicks, forKey: .startTicks)
        try c.encodeIfPresent(source, forKey: .source)
        try c.encodeIfPresent(truncated, forKey: .truncated)
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
