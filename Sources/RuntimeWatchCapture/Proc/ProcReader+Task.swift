// SPDX-License-Identifier: Apache-2.0
// Reads one task (a thread id or a process id) whose attribution must be complete — typically one
// held in a syscall, such as a fanotify permission event's opener. Order: the essentials FIRST and
// ALWAYS (status — pid, parent, uids, what an alert and its ancestry need — then cmdline, exe,
// cgroup), then the extras asked for: the held syscall's open flags whatever the time (they say
// whether the open is a read at all), then the mount namespace and the root, which a deadline may
// skip. All through one /proc/<tid> directory descriptor, so a reused id cannot mix
// two processes. Reading and parsing are split: `readTask` keeps the essential files as bytes and
// `TaskRead.process()` parses them, so a caller holding the task can let it go in between.

import RuntimeWatchCore
import RuntimeWatchSystem

extension ProcReader {
    /// What `readTask` reads after the essentials, each only when asked for.
    public struct TaskExtras: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The open flags of the syscall the task is blocked in (/proc/<tid>/syscall, plus
        /// /proc/<tid>/mem for openat2). Only meaningful while the task is held in that syscall.
        /// Read whenever asked, whatever the deadline: a write-only open is not a read of the file,
        /// so without the flags a writer would be judged as a reader (an alert that depends on how
        /// loaded the node was).
        public static let openAccess = TaskExtras(rawValue: 1 << 0)
        /// readlink of /proc/<tid>/ns/mnt.
        public static let mountNamespace = TaskExtras(rawValue: 1 << 1)
        /// readlink of /proc/<tid>/root.
        public static let root = TaskExtras(rawValue: 1 << 2)
    }

    /// Reads task `taskID`: the essentials always, then the `extras` asked for (the open flags
    /// whatever the time, the others until `extrasDeadline` passes). Never throws: what could not
    /// be read stays nil.
    public func readTask(_ taskID: Int32, extras: TaskExtras = [], extrasDeadline: ContinuousClock.Instant? = nil) -> TaskRead {
        var read = TaskRead(taskID: taskID, session: ReadSession(pid: taskID, limits: limits))
        let dir: ProcDirectory
        do {
            dir = try ProcDirectory.open("\(root)/\(taskID)")
        } catch {
            if !error.isProcessGone { read.session.issue("", "\(error)") }
            return read
        }
        defer { dir.close() }
        return readTask(taskID, in: dir, extras: extras, extrasDeadline: extrasDeadline)
    }

    /// `readTask` through a directory already open (`ProcDirectoryCache`), which stays open.
    func readTask(_ taskID: Int32, in dir: ProcDirectory, extras: TaskExtras, extrasDeadline: ContinuousClock.Instant?) -> TaskRead {
        var read = TaskRead(taskID: taskID, session: ReadSession(pid: taskID, limits: limits))
        read.opened = true
        read.readEssentials(dir)
        read.readExtras(dir, extras, deadline: extrasDeadline)
        return read
    }
}

/// What the optional reads of `ProcReader.readTask` found; nil where not asked, not reached or not
/// readable.
public struct TaskExtrasRead: Sendable, Hashable {
    public var openAccess: OpenAccess?
    /// "mnt:[4026531841]".
    public var mountNamespace: String?
    /// The task's root as the reader sees it ("/" for host processes and pivot_root'ed containers
    /// in their own mount namespace, the directory for chroot'ed ones).
    public var root: String?
    /// True when the deadline passed before every extra it applies to was read.
    public var cutShort = false

    public init(openAccess: OpenAccess? = nil, mountNamespace: String? = nil, root: String? = nil, cutShort: Bool = false) {
        self.openAccess = openAccess
        self.mountNamespace = mountNamespace
        self.root = root
        self.cutShort = cutShort
    }
}

/// One `ProcReader.readTask`: the essential files as read, and the extras.
public struct TaskRead: Sendable {
    public let taskID: Int32
    public internal(set) var extras = TaskExtrasRead()
    var session: ReadSession
    var opened = false
    var status: [UInt8]?
    var cmdline: [UInt8]?
    var exe: String?
    var cgroup: [UInt8]?
    /// Whether the task was still there when the last essential was read.
    var essentialsComplete = false
    /// An earlier read of the same task whose status and cgroup stand (`readUnchanged`).
    var reused: ProcessInfo?

    init(taskID: Int32, session: ReadSession) {
        self.taskID = taskID
        self.session = session
    }

    mutating func readEssentials(_ dir: ProcDirectory) {
        let limits = session.limits
        status = session.text(dir, "status", limit: limits.status)
        cmdline = session.text(dir, "cmdline", limit: limits.cmdline)
        // exe is absent for kernel threads, so ENOENT alone does not prove the task is gone.
        exe = session.link(dir, "exe", markGone: false)
        cgroup = session.text(dir, "cgroup", limit: limits.cgroup)
        essentialsComplete = !session.gone
    }

    /// Reads cmdline and exe only; when they are what `earlier` read (no exec since) and the task
    /// is still there, `earlier` stands for the essentials.
    /// - Returns: whether it does.
    mutating func readUnchanged(_ dir: ProcDirectory, since earlier: ProcessInfo) -> Bool {
        cmdline = session.text(dir, "cmdline", limit: session.limits.cmdline)
        exe = session.link(dir, "exe", markGone: false)
        guard !session.gone, let cmdline, CmdlineParser.parse(cmdline) == earlier.argv, exe == earlier.exe else { return false }
        reused = earlier
        essentialsComplete = true
        return true
    }

    /// Reads the extras `wanted`; a mount namespace or root in `known` (an earlier read of the same
    /// process, `ProcReader+Cache`) is taken as it is.
    mutating func readExtras(_ dir: ProcDirectory, _ wanted: ProcReader.TaskExtras, deadline: ContinuousClock.Instant?,
                             known: TaskExtrasRead = TaskExtrasRead()) {
        func inTime() -> Bool {
            guard let deadline, ContinuousClock.now > deadline else { return true }
            extras.cutShort = true
            return false
        }
        if wanted.contains(.openAccess) { extras.openAccess = readOpenAccess(dir) }
        if wanted.contains(.mountNamespace) {
            if let namespace = known.mountNamespace { extras.mountNamespace = namespace }
            else if inTime() { extras.mountNamespace = session.link(dir, "ns/mnt", markGone: false) }
        }
        if wanted.contains(.root) {
            if let root = known.root { extras.root = root }
            else if inTime() { extras.root = session.link(dir, "root", markGone: false) }
        }
    }

    /// The held open's access mode. The syscall line is parsed here, while the task is still held:
    /// openat2's flags are behind a pointer that must be read from the task's memory now.
    private mutating func readOpenAccess(_ dir: ProcDirectory) -> OpenAccess {
        guard let bytes = session.text(dir, "syscall", limit: session.limits.syscall),
              let call = ProcSyscall.parse(utf8: bytes), let source = call.openFlagsSource else { return .unknown }
        switch source {
        case .argument(let index): return OpenAccess(openFlags: call.arguments[index])
        case .creat: return .writeOnly
        case .exec: return .execute
        case .openHowPointer(let index):
            do {
                guard let how = try dir.read("mem", offset: call.arguments[index], count: 8) else { return .unknown }
                return OpenAccess(openFlags: UInt64(littleEndian: how.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }))
            } catch {
                if !error.isProcessGone { session.issue("mem", "struct open_how at 0x\(String(call.arguments[index], radix: 16)): \(error)") }
                return .unknown
            }
        }
    }

    /// Parses the essentials into the process (pid is the thread group's when status was read,
    /// else `taskID`). Outcome: complete when the task was there for every essential read,
    /// partial when it went away part-way, vanished when nothing could be read.
    public func process() -> ProcReadResult {
        var session = self.session
        guard opened, session.readSomething else {
            return ProcReadResult(info: nil, outcome: .vanished, issues: session.issues)
        }
        if let reused { return ProcReadResult(info: reused, outcome: .complete, issues: session.issues) }
        var info = ProcessInfo(pid: ProcessID(taskID))
        if let status { session.apply(status: status, to: &info) }
        if let cmdline { session.apply(cmdline: cmdline, to: &info) }
        info.exe = exe
        if let cgroup { session.apply(cgroup: cgroup, to: &info) }
        let outcome: ProcReadOutcome = essentialsComplete ? .complete : .partial
        info.source = outcome == .complete ? "proc" : "partial"
        return ProcReadResult(info: info, outcome: outcome, issues: session.issues)
    }
}
