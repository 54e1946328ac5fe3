// SPDX-License-Identifier: Apache-2.0
// Reads what the event needs about a token opener WHILE the kernel holds it in FAN_OPEN_PERM:
// cmdline, exe and cgroup first (what attribution needs most), then status, the held syscall's open
// flags, and the mount namespace and root. Only the raw bytes are read while the opener is held;
// parsing happens after the answer. Every read is byte-bounded and the capture stops at a deadline,
// so one odd process cannot hold the others. Temporary minimal reader: the integrator replaces the
// ProcessInfo part with the shared ProcReader.

import RuntimeWatchCore

/// What was read of one opener, parsed.
struct OpenerSnapshot: Sendable {
    /// pid is the thread-group id when status was read, else the id the event carried.
    var process: ProcessInfo
    var access: TokenOpenAccess
    /// readlink of /proc/<tid>/ns/mnt ("mnt:[4026531841]"), nil if unread.
    var mountNamespace: String?
    /// readlink of /proc/<tid>/root as the monitor sees it ("/" for host processes and pivot_root'ed
    /// containers in their own mount namespace, the directory for chroot'ed ones), nil if unread.
    var root: String?
    /// True when the deadline cut the capture short.
    var outOfBudget: Bool
}

/// The bytes read while the opener was held; `parsed()` turns them into an `OpenerSnapshot`.
struct RawOpenerSnapshot: Sendable {
    var taskID: Int32
    var cmdline: [UInt8]?
    var exe: String?
    var cgroup: [UInt8]?
    var status: [UInt8]?
    var access: TokenOpenAccess = .unknown
    var mountNamespace: String?
    var root: String?
    var outOfBudget = false

    func parsed() -> OpenerSnapshot {
        var info = ProcessInfo(pid: ProcessID(taskID))
        info.argv = cmdline.map(OpenerProcParsing.argv(fromCmdline:))
        info.exe = exe
        info.cgroup = cgroup.map(OpenerProcParsing.cgroup)
        if let status {
            let fields = OpenerProcParsing.status(status)
            if let tgid = fields.tgid { info.pid = ProcessID(tgid) }
            info.ppid = fields.ppid.map { ProcessID($0) }
            info.comm = fields.name
            info.credentials = fields.credentials
        }
        let complete = cmdline != nil && exe != nil && cgroup != nil && status != nil && !outOfBudget
        info.source = complete ? "proc" : "partial"
        return OpenerSnapshot(process: info, access: access, mountNamespace: mountNamespace, root: root, outOfBudget: outOfBudget)
    }
}

struct OpenerSnapshotReader: Sendable {
    /// Byte limits per file: enough for real processes, small enough to read in microseconds.
    static let cmdlineLimit = 16 * 1024
    static let statusLimit = 4 * 1024
    static let cgroupLimit = 4 * 1024
    static let syscallLimit = 256

    /// Wall time the capture may take before it stops reading (monotonic ns).
    var budgetNanoseconds: UInt64
    /// Whether /proc/<tid>/syscall means anything: only while the opener is held.
    var openerIsHeld: Bool

    /// Reads task `taskID` (a tid under FAN_REPORT_TID, else a tgid). Never throws: what could not
    /// be read stays nil.
    func capture(taskID: Int32) -> RawOpenerSnapshot {
        let deadline = TokenClock.monotonicNanoseconds() &+ budgetNanoseconds
        let base = "/proc/\(taskID)/"
        var raw = RawOpenerSnapshot(taskID: taskID)
        func withinBudget() -> Bool {
            if TokenClock.monotonicNanoseconds() > deadline { raw.outOfBudget = true }
            return !raw.outOfBudget
        }
        raw.cmdline = BoundedProcFile.read(base + "cmdline", limit: Self.cmdlineLimit)
        if withinBudget() { raw.exe = BoundedProcFile.readlink(base + "exe") }
        if withinBudget() { raw.cgroup = BoundedProcFile.read(base + "cgroup", limit: Self.cgroupLimit) }
        if withinBudget() { raw.status = BoundedProcFile.read(base + "status", limit: Self.statusLimit) }
        if openerIsHeld, withinBudget() { raw.access = readAccess(base: base) }
        if withinBudget() {
            raw.mountNamespace = BoundedProcFile.readlink(base + "ns/mnt")
            raw.root = BoundedProcFile.readlink(base + "root")
        }
        return raw
    }

    /// The held open's access mode from /proc/<tid>/syscall (and /proc/<tid>/mem for openat2).
    private func readAccess(base: String) -> TokenOpenAccess {
        guard let bytes = BoundedProcFile.read(base + "syscall", limit: Self.syscallLimit),
              let call = OpenerProcParsing.syscall(bytes),
              let source = OpenerProcParsing.flagsSource(syscallNumber: call.number) else { return .unknown }
        switch source {
        case .argument(let index):
            return OpenerProcParsing.access(openFlags: call.arguments[index])
        case .creat:
            return .writeOnly
        case .exec:
            return .execute
        case .openHowPointer(let index):
            guard let how = BoundedProcFile.pread(base + "mem", offset: call.arguments[index], count: 8) else { return .unknown }
            let flags = how.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            return OpenerProcParsing.access(openFlags: UInt64(littleEndian: flags))
        }
    }
}
