// SPDX-License-Identifier: Apache-2.0
// Reads what the event needs about a token opener WHILE the kernel holds it in FAN_OPEN_PERM:
// cmdline, exe and cgroup first (what attribution needs most), then status, the held syscall's open
// flags, and the mount namespace and root. Every read is byte-bounded and the whole capture stops at
// a deadline, so one odd process cannot hold the others. Temporary minimal reader: the integrator
// replaces the ProcessInfo part with the shared ProcReader.

import RuntimeWatchCore

/// What was read of one opener.
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

    /// Captures task `taskID` (a tid under FAN_REPORT_TID, else a tgid). Never throws: what could not
    /// be read stays nil and `process.source` says "partial".
    func capture(taskID: Int32) -> OpenerSnapshot {
        let deadline = TokenClock.monotonicNanoseconds() &+ budgetNanoseconds
        let base = "/proc/\(taskID)/"
        var info = ProcessInfo(pid: ProcessID(taskID))
        var snapshot = OpenerSnapshot(process: info, access: .unknown, mountNamespace: nil, root: nil, outOfBudget: false)
        var missing = false
        func withinBudget() -> Bool {
            if TokenClock.monotonicNanoseconds() > deadline { snapshot.outOfBudget = true }
            return !snapshot.outOfBudget
        }

        if let bytes = BoundedProcFile.read(base + "cmdline", limit: Self.cmdlineLimit) {
            info.argv = OpenerProcParsing.argv(fromCmdline: bytes)
        } else { missing = true }
        if withinBudget() {
            info.exe = BoundedProcFile.readlink(base + "exe")
            if info.exe == nil { missing = true }
        }
        if withinBudget() {
            if let bytes = BoundedProcFile.read(base + "cgroup", limit: Self.cgroupLimit) {
                info.cgroup = OpenerProcParsing.cgroup(bytes)
            } else { missing = true }
        }
        if withinBudget() {
            if let bytes = BoundedProcFile.read(base + "status", limit: Self.statusLimit) {
                let status = OpenerProcParsing.status(bytes)
                if let tgid = status.tgid { info.pid = ProcessID(tgid) }
                info.ppid = status.ppid.map { ProcessID($0) }
                info.comm = status.name
                info.credentials = status.credentials
            } else { missing = true }
        }
        if openerIsHeld, withinBudget() {
            snapshot.access = readAccess(base: base)
        }
        if withinBudget() {
            snapshot.mountNamespace = BoundedProcFile.readlink(base + "ns/mnt")
            snapshot.root = BoundedProcFile.readlink(base + "root")
        }
        info.source = missing || snapshot.outOfBudget ? "partial" : "proc"
        snapshot.process = info
        return snapshot
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
