// SPDX-License-Identifier: Apache-2.0
// Reads one process from /proc into Core's ProcessInfo. Short-lived processes race this read, so
// the order matters: cmdline, exe and cgroup (what detectors need most) come FIRST, then status,
// stat, cwd and descriptors. All reads go through one /proc/<pid> directory descriptor, so they
// describe one process even if the pid is reused. A process that vanishes mid-read yields what
// was read (source "partial"); one gone before the first read yields nil. ESRCH/ENOENT are
// outcomes, never errors. Every file is read with a size cap; oversize or garbage content is
// reported as an issue and the rest of the process is still returned. `readTask` (ProcReader+Task)
// reads a task whose attribution must be complete (a held fanotify opener) in another order.

import RuntimeWatchCore
import RuntimeWatchSystem

/// Reads processes from a procfs mount. Value type, safe to use from any thread.
public struct ProcReader: Sendable {
    /// Size caps per file, in bytes.
    public struct Limits: Sendable, Hashable {
        /// The engine keeps no more argv than this (`EventBounds`), so reading more is waste.
        public var cmdline = EventBounds.argvBytes
        public var status = 16 * 1024
        public var stat = 4 * 1024
        public var cgroup = 16 * 1024
        /// Per socket table (net/tcp etc.); a host with very many sockets is cut here.
        public var netTable = 4 * 1024 * 1024
        public var link = 4096
        /// /proc/<tid>/syscall: one line of at most 8 numbers.
        public var syscall = 256
        public init() {}
    }

    /// The procfs root, "/proc" unless a test points it at a fixture tree.
    public var root: String
    public var limits: Limits

    public init(root: String = "/proc", limits: Limits = Limits()) {
        self.root = root
        self.limits = limits
    }

    /// Reads /proc/<pid>.
    /// - Parameter netTables: share socket tables across processes of one scan (snapshot); nil
    ///   reads them fresh (exec time).
    /// - Returns: the process and the read's outcome; never throws.
    public func read(pid: Int32, netTables: NetTableCache? = nil) -> ProcReadResult {
        finish(begin(pid: pid), netTables: netTables)
    }

    /// First half of a read: opens /proc/<pid> and reads what matters most (cmdline, exe, cgroup).
    /// Capture calls it for every exec of a burst before finishing any of them, so each process's
    /// most important fields are read as early as possible.
    /// - Returns: the read in progress; pass it to `finish`, which closes the directory.
    public func begin(pid: Int32) -> ProcReadInProgress {
        do {
            return begin(pid: pid, in: try ProcDirectory.open("\(root)/\(pid)"), closing: true)
        } catch {
            var session = ReadSession(pid: pid, limits: limits)
            if !error.isProcessGone { session.issue("", "\(error)") }
            return ProcReadInProgress(directory: nil, closesDirectory: false, session: session, info: ProcessInfo(pid: ProcessID(pid)))
        }
    }

    /// The stat of the process behind `dir`, parsed, within the stat size cap; nil when unreadable
    /// (gone) or not a stat line. For lookups that need only stat (start time, process group).
    func stat(in dir: ProcDirectory) -> ProcStat? {
        guard let contents = try? dir.read("stat", limit: limits.stat) else { return nil }
        return try? ProcStat.parse(utf8: contents.bytes)
    }

    /// `begin` through a directory already open (`ProcDirectoryCache`); `closing`: `finish` closes it.
    func begin(pid: Int32, in dir: ProcDirectory, closing: Bool) -> ProcReadInProgress {
        var session = ReadSession(pid: pid, limits: limits)
        var info = ProcessInfo(pid: ProcessID(pid))
        session.first(dir, into: &info)
        return ProcReadInProgress(directory: dir, closesDirectory: closing, session: session, info: info)
    }

    /// How much of a process the second half reads.
    public enum Depth: Sendable, Hashable {
        /// stat, status, cwd and descriptors.
        case full
        /// Nothing more, unless the exec changed the credentials inherited at fork (set-id or
        /// file-capability executable), which status then tells. For a program no detector reads
        /// deeper (ReadDepthPolicy): its parent comes from its fork, its credentials from its parent.
        case brief
    }

    /// Second half of a read: status, stat, cwd and descriptors (`depth` full); closes the directory.
    /// - Parameter executables: where a brief read keeps what it learnt about executables (the
    ///   capture loop's); nil asks afresh.
    /// - Returns: the process and the read's outcome; never throws.
    public func finish(_ read: ProcReadInProgress, netTables: NetTableCache? = nil, depth: Depth = .full,
                       executables: ExecutableCredentials? = nil) -> ProcReadResult {
        var session = read.session
        guard let dir = read.directory else {
            return ProcReadResult(info: nil, outcome: .vanished, issues: session.issues)
        }
        defer { if read.closesDirectory { dir.close() } }
        var info = read.info
        if depth == .brief, let changed = ExecutableCredentials.changeInherited(dir, remembering: executables), !changed {
            return session.brief(info: &info)
        }
        return session.rest(dir, info: &info, netTables: netTables)
    }
}

/// A /proc read between `ProcReader.begin` and `ProcReader.finish`. Holds an open directory
/// descriptor until finished.
public struct ProcReadInProgress: Sendable {
    let directory: ProcDirectory?
    /// False for a directory the read borrowed (`ProcDirectoryCache`), which stays open.
    let closesDirectory: Bool
    let session: ReadSession
    let info: ProcessInfo
    /// The pid being read.
    public var pid: Int32 { session.pid }
}

/// The state of one read: what was read so far, whether the process is gone, the issues.
struct ReadSession: Sendable {
    let pid: Int32
    let limits: ProcReader.Limits
    var issues: [ProcReadIssue] = []
    /// Set once a read says the process no longer exists; later reads are skipped.
    var gone = false
    /// Set when something was actually read.
    var readSomething = false
    /// Set by `text` when the file was longer than its limit.
    var lastReadTruncated = false

    init(pid: Int32, limits: ProcReader.Limits) { self.pid = pid; self.limits = limits }

    mutating func issue(_ file: String, _ reason: String) {
        issues.append(ProcReadIssue(pid: pid, file: file, reason: reason))
    }

    /// Reads a file; nil when gone (marks `gone`) or failed (records an issue).
    mutating func text(_ dir: ProcDirectory, _ name: String, limit: Int) -> [UInt8]? {
        guard !gone else { return nil }
        do {
            let contents = try dir.read(name, limit: limit)
            lastReadTruncated = contents.truncated
            if contents.truncated { issue(name, "longer than \(limit) bytes; truncated") }
            readSomething = true
            return contents.bytes
        } catch {
            if error.isProcessGone { gone = true } else { issue(name, "\(error)") }
            return nil
        }
    }

    /// Reads a symlink; nil when it does not exist (`markGone`: that means the process is gone).
    mutating func link(_ dir: ProcDirectory, _ name: String, markGone: Bool) -> String? {
        guard !gone else { return nil }
        do {
            let target = try dir.readLink(name, limit: limits.link)
            readSomething = true
            return target
        } catch {
            if error.isProcessGone {
                if markGone { gone = true }
            } else if error.errno != .permissionDenied || markGone {
                issue(name, "\(error)")
            }
            return nil
        }
    }

    /// What matters most, while the process most likely still exists. `withCgroup` false: cmdline
    /// and exe only (a re-read that checks whether the process exec'd since an earlier read).
    mutating func first(_ dir: ProcDirectory, into info: inout ProcessInfo, withCgroup: Bool = true) {
        argv(dir, into: &info)
        // exe is absent for kernel threads, so ENOENT alone does not prove the process is gone.
        info.exe = link(dir, "exe", markGone: false)
        if withCgroup, let bytes = text(dir, "cgroup", limit: limits.cgroup) {
            apply(cgroup: bytes, to: &info)
            if info.cgroup == "/", CgroupSelection.listsV1Hierarchy(utf8: bytes) { dropRootCgroupIfExiting(dir, info: &info) }
        }
        rereadArgvIfOlderThanExe(dir, into: &info)
    }

    /// cmdline → argv (marked truncated when cut at the limit).
    mutating func argv(_ dir: ProcDirectory, into info: inout ProcessInfo) {
        if let bytes = text(dir, "cmdline", limit: limits.cmdline) {
            apply(cmdline: bytes, to: &info)
            if lastReadTruncated { info.truncated = ["argv"] }
        }
    }

    /// With cgroup v1 hierarchies, a process read after it began to exit shows "/" in every v1
    /// line, whatever cgroup it ran in: a read that lags behind a short-lived container process
    /// would put it on the host (seen under an exec storm on a hybrid host). So a root cgroup from
    /// such a file stands only when stat, read after it, shows a process that is not exiting
    /// (PF_EXITING is never cleared, so it was not exiting at the cgroup read either). Otherwise the
    /// cgroup is left unknown and the read marked gone: the state keeps the container it knew for
    /// the process, or takes its parent's (a cgroup is inherited at fork). Costs one stat read, only
    /// for processes whose every v1 cgroup is the root; a v2-only host never pays it.
    mutating func dropRootCgroupIfExiting(_ dir: ProcDirectory, info: inout ProcessInfo) {
        let stat = text(dir, "stat", limit: limits.stat).flatMap { try? ProcStat.parse(utf8: $0) }
        if stat?.isExiting ?? true {
            info.cgroup = nil
            gone = true
        }
    }

    /// An exec between the cmdline and exe reads pairs the old image's argv with the new image's
    /// exe: `sh -c "nc -z …"`, whose shell execs nc in place, read as netcat with the shell's `-c`
    /// (a false reverse shell, seen in CI). When argv[0] does not name the exe, cmdline is read once
    /// more: read after the exe, it is at least as new. Names that agree (`nc`/`nc.openbsd`,
    /// `sh`/`dash`, `python3`/`python3.11`) cost nothing; a failed second read keeps the first.
    mutating func rereadArgvIfOlderThanExe(_ dir: ProcDirectory, into info: inout ProcessInfo) {
        guard !gone, let exe = info.exe, let argv0 = info.argv?.first,
              !Self.argv0Names(exe: exe, argv0: argv0),
              let again = try? dir.read("cmdline", limit: limits.cmdline) else { return }
        apply(cmdline: again.bytes, to: &info)
        info.truncated = again.truncated ? ["argv"] : nil
    }

    /// Whether argv[0] plausibly names the executable: the same base name, or one that the
    /// executable's starts or ends with (a versioned or variant binary behind a link); a login
    /// shell's leading "-" aside.
    static func argv0Names(exe: String, argv0: String) -> Bool {
        let exeName = ProgramClassifier.baseName(exe)
        var argName = Substring(ProgramClassifier.baseName(argv0))
        if argName.first == "-" { argName = argName.dropFirst() }
        guard !argName.isEmpty else { return true }
        return exeName == argName || exeName.hasPrefix(argName) || exeName.hasSuffix(argName)
    }

    /// cmdline bytes → argv.
    func apply(cmdline bytes: [UInt8], to info: inout ProcessInfo) {
        info.argv = CmdlineParser.parse(bytes)
    }

    /// cgroup bytes → the path that names the container.
    mutating func apply(cgroup bytes: [UInt8], to info: inout ProcessInfo) {
        info.cgroup = CgroupSelection.choose(utf8: bytes)
        if info.cgroup == nil && !bytes.isEmpty { issue("cgroup", "no valid \"id:controllers:path\" line") }
    }

    /// status bytes → pid (the thread group's, so a thread's /proc/<tid> names its process),
    /// parent, credentials, and comm when stat gave none.
    mutating func apply(status bytes: [UInt8], to info: inout ProcessInfo) {
        let status = ProcStatus.parse(utf8: bytes)
        for problem in status.problems { issue("status", problem.reason) }
        // A task already released (reaped, its /proc files still open here) shows Tgid 0 and
        // PPid 0: the pid asked for stays, and the read is of a process that is gone (an exec
        // read lagging behind a /bin/true once reported pid 0, and the exec was lost).
        if let tgid = status.tgid {
            if tgid > 0 { info.pid = ProcessID(tgid) } else { gone = true }
        }
        info.credentials = status.credentials
        if let ppid = status.ppid { info.ppid = parent(ppid) }
        if info.comm == nil { info.comm = status.name }
    }

    /// The parent as /proc gives it, or nil when it is unknown. The kernel prints 0 for the parent of
    /// a task that is no longer alive (it has exited and been released, though its files can still
    /// be read), and legitimately only for pids 1 and 2. An exec read that lags behind a process that
    /// exits at once (`cat token`) would otherwise overwrite the parent known from its fork with 0,
    /// and its alerts lose their ancestry.
    func parent(_ ppid: Int32) -> ProcessID? {
        ppid == 0 && pid > 2 ? nil : ProcessID(ppid)
    }

    /// The outcome of a brief read: what `first` read, and comm as the kernel sets it at exec (the
    /// executed file's base name, at most 15 bytes), approximated by argv[0]'s base name, which
    /// names that file for a PATH lookup and names the applet of a multi-call binary.
    mutating func brief(info: inout ProcessInfo) -> ProcReadResult {
        guard readSomething else { return ProcReadResult(info: nil, outcome: .vanished, issues: issues) }
        if gone {
            info.source = "partial"
            return ProcReadResult(info: info, outcome: .partial, issues: issues)
        }
        if let name = info.argv?.first.map(ProgramClassifier.baseName) ?? info.exe.map(ProgramClassifier.baseName), !name.isEmpty {
            info.comm = String(decoding: name.utf8.prefix(15), as: UTF8.self)
        }
        info.source = "brief"
        return ProcReadResult(info: info, outcome: .complete, issues: issues)
    }

    /// The rest, then the outcome.
    mutating func rest(_ dir: ProcDirectory, info: inout ProcessInfo, netTables: NetTableCache?) -> ProcReadResult {
        var stat: ProcStat?
        if let bytes = text(dir, "stat", limit: limits.stat) {
            do throws(ProcParseError) {
                stat = try ProcStat.parse(utf8: bytes)
            } catch {
                issue("stat", error.reason)
            }
        }
        if let stat {
            info.comm = stat.comm
            info.startTicks = stat.startTicks
            info.ppid = parent(stat.ppid)
        }
        if let bytes = text(dir, "status", limit: limits.status) { apply(status: bytes, to: &info) }
        let exited = stat?.hasExited ?? false
        let kernelThread = stat?.isKernelThread ?? false
        if !exited {
            info.cwd = link(dir, "cwd", markGone: !kernelThread)
        }
        if !exited && !kernelThread {
            info.fds = descriptors(dir, netTables: netTables)
        }
        guard readSomething else {
            return ProcReadResult(info: nil, outcome: .vanished, issues: issues)
        }
        let outcome: ProcReadOutcome = gone || exited ? .partial : .complete
        info.source = outcome == .complete ? "proc" : "partial"
        return ProcReadResult(info: info, outcome: outcome, issues: issues)
    }

    /// Descriptors 0-2 that are open; sockets resolved through this process's net tables.
    /// - Parameter earlier: the descriptors an earlier read of the same process found (a re-read within
    ///   the reuse window, `ProcReader+Cache`): a descriptor whose link reads as it did then is taken
    ///   from it, without the `fstatat` that tells a named pipe from a file or the socket's lookup in
    ///   the net tables. The links themselves are always read: a `dup2` onto 0-2 changes them. A
    ///   socket is taken only when that lookup found its peer for good (a unix socket, or a connected
    ///   inet one): one not yet connected then (put on 0-2 before its `connect`) is looked up again.
    mutating func descriptors(_ dir: ProcDirectory, netTables: NetTableCache?, earlier: [DescriptorInfo]? = nil) -> [DescriptorInfo]? {
        var fds: [DescriptorInfo] = []
        for fd in Int32(0)...2 {
            // A missing fd/N only means the descriptor is closed.
            guard let target = link(dir, "fd/\(fd)", markGone: false) else { continue }
            var info = DescriptorClassifier.classify(fd: fd, target: target)
            if let same = earlier?.first(where: { $0.fd == fd && $0.target == info.target }), Self.isSettled(same) {
                fds.append(same)
                continue
            }
            if info.kind == .file, let inode = dir.fifoInode("fd/\(fd)") {
                // A named pipe (`mkfifo`): treat it as the pipe it is, so pipelines through it link up.
                info.kind = .pipe
                info.inode = inode
            }
            if info.kind == .socket, let inode = info.inode {
                // fds 0-2 often share one socket (a reverse shell): look it up once.
                info.socket = fds.first(where: { $0.inode == inode })?.socket
                    ?? socket(inode: inode, dir, netTables: netTables)
            }
            fds.append(info)
        }
        return gone && fds.isEmpty ? nil : fds
    }

    /// Whether what an earlier read found for a descriptor still holds while its link reads the same:
    /// anything but a socket; a socket once its lookup found a unix peer or a connected inet peer.
    static func isSettled(_ descriptor: DescriptorInfo) -> Bool {
        guard descriptor.kind == .socket else { return true }
        guard let socket = descriptor.socket else { return false }
        return socket.family == "unix" || socket.isConnectedInet
    }

    mutating func socket(inode: UInt64, _ dir: ProcDirectory, netTables: NetTableCache?) -> DescriptorInfo.Socket? {
        let namespace = netTables == nil ? "" : (link(dir, "ns/net", markGone: false) ?? "?")
        for table in ["tcp", "tcp6", "udp", "udp6", "unix"] {
            var truncated = false
            let read = { [limit = limits.netTable] () -> String? in
                guard let contents = try? dir.read("net/\(table)", limit: limit) else { return nil }
                truncated = contents.truncated
                return String(decoding: contents.bytes, as: UTF8.self)
            }
            let text = netTables.map { $0.text(namespace: namespace, table: table, read: read) } ?? read()
            if truncated { issue("net/\(table)", "longer than \(limits.netTable) bytes; sockets past it are not resolved") }
            guard let text else { continue }
            var problems: [ProcParseError] = []
            let found = ProcNetParser.find(inode: inode, table: table, text: text, problems: &problems)
            for p in problems { issue(p.file, p.reason) }
            if let found { return found }
        }
        return nil
    }
}
