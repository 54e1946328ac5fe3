// SPDX-License-Identifier: Apache-2.0
// The same reads as `read(pid:)` and `readTask`, through a `ProcDirectoryCache`: for readers that
// look at the same processes again and again (connect enrichment and its re-reads, the token
// watcher). A cached directory whose process was reaped reads nothing; the entry is then dropped and
// /proc/<pid> opened afresh, once, so a pid now used by a new process is read as that process (or,
// with `startTicks`, not at all).

import RuntimeWatchCore
import RuntimeWatchSystem

extension ProcReader {
    /// `read(pid:)` through `directories` (whose root is used).
    /// - Parameter startTicks: read only the process that started then (stat field 22); any other
    ///   process now holding the pid reads as vanished.
    /// - Parameter reuseWindow: for a process read again and again (a connector): when the last
    ///   complete read through the same directory is at most this old and cmdline and exe read the
    ///   same now, only the links of descriptors 0-2 are read again (a descriptor whose link reads as
    ///   then is taken from that read, named-pipe test and socket lookup included), and stat, status,
    ///   cgroup and cwd come from that read. An exec changes exe or argv, so it reads fully; what a process changes without exec
    ///   (uid, comm, parent) reaches the state through its own proc connector events, and the engine
    ///   takes no more than unknown fields from a known process's connect (`SystemState.learn`).
    ///   nil: every read is full.
    /// - Parameter knownDescriptors: descriptors 0-2 of this process as last reported, for a caller
    ///   that will read them again soon and report any change (a connect while `ConnectRereads` has
    ///   a look due): a read that reuses the last one takes them as they are instead of reading
    ///   their links (the process's start time must match). nil: they are read.
    /// - Parameter knownExe: the process's executable as the kernel reported it with the event
    ///   being enriched (audit's `exe=`, resolved at the system call): when it is the exe of the
    ///   read being reused, that read's exe link is not read again, only cmdline. An exec that
    ///   keeps the exe changes argv; any other exe, or nil, reads the link.
    public func read(pid: Int32, startTicks: UInt64? = nil, netTables: NetTableCache? = nil,
                     directories: ProcDirectoryCache, reuseWindow: Duration? = nil,
                     knownDescriptors: KnownDescriptors? = nil, knownExe: String? = nil) -> ProcReadResult {
        Self.through(directories, pid: pid, startTicks: startTicks,
                     read: { lease in
                         guard let reuseWindow else { return finish(begin(pid: pid, in: lease.directory, closing: false), netTables: netTables) }
                         return read(lease, reusingWithin: reuseWindow.wholeNanoseconds, netTables: netTables,
                                     knownDescriptors: knownDescriptors, knownExe: knownExe)
                     },
                     readNothing: { $0.outcome == .vanished },
                     unopened: { issue in
                         ProcReadResult(info: nil, outcome: .vanished, issues: issue.map { [ProcReadIssue(pid: pid, file: "", reason: $0)] } ?? [])
                     })
    }

    /// `readTask` through `directories` (whose root is used).
    /// - Parameter reuseWindow: as for `read(pid:…)`: when the last complete task read through the
    ///   same directory is at most this old and cmdline and exe read the same now, status and cgroup,
    ///   and the mount namespace and root it read, come from that read (the open flags are always
    ///   read). nil: every read is full.
    public func readTask(_ taskID: Int32, extras: TaskExtras = [], extrasDeadline: ContinuousClock.Instant? = nil,
                         directories: ProcDirectoryCache, reuseWindow: Duration? = nil) -> TaskRead {
        Self.through(directories, pid: taskID, startTicks: nil,
                     read: { lease in
                         guard let reuseWindow else { return readTask(taskID, in: lease.directory, extras: extras, extrasDeadline: extrasDeadline) }
                         return readTask(lease, reusingWithin: reuseWindow.wholeNanoseconds, extras: extras, extrasDeadline: extrasDeadline)
                     },
                     readNothing: { !$0.session.readSomething },
                     unopened: { issue in
                         var read = TaskRead(taskID: taskID, session: ReadSession(pid: taskID, limits: limits))
                         if let issue { read.session.issue("", issue) }
                         return read
                     })
    }

    /// Runs `read` on the directory of `pid`; when a cached one read nothing (its process was
    /// reaped), drops it and tries once more with /proc/<pid> opened afresh.
    /// - Parameter unopened: the result when no directory could be had (an issue when not simply gone).
    private static func through<R>(_ directories: ProcDirectoryCache, pid: Int32, startTicks: UInt64?,
                                   read: (ProcDirectoryCache.Lease) -> R, readNothing: (R) -> Bool,
                                   unopened: (String?) -> R) -> R {
        var result: R?
        for _ in 0..<2 {
            switch directories.checkOut(pid: pid, startTicks: startTicks) {
            case .gone:
                return result ?? unopened(nil)
            case .failed(let error):
                return result ?? unopened("\(error)")
            case .directory(let lease):
                let outcome = read(lease)
                let stale = readNothing(outcome)
                directories.checkIn(lease, stale: stale)
                guard stale && lease.wasCached else { return outcome }
                result = outcome
            }
        }
        return result!
    }

    /// A read that takes what did not change from the last complete read through `lease` when it is
    /// at most `window` ns old (see `read(pid:…reuseWindow:)`); otherwise, or when cmdline or exe
    /// differ or the process went away part-way, the full read, remembered for the next.
    private func read(_ lease: ProcDirectoryCache.Lease, reusingWithin window: UInt64, netTables: NetTableCache?,
                      knownDescriptors: KnownDescriptors?, knownExe: String?) -> ProcReadResult {
        let now = WallClock.monotonicNanoseconds()
        if let earlier = lease.recentRead(.process, since: now &- min(window, now))?.info {
            var session = ReadSession(pid: lease.pid, limits: limits)
            var again = ProcessInfo(pid: earlier.pid)
            if let knownExe, knownExe == earlier.exe {
                // The kernel named this exe at the event: the link would say the same (or what an
                // exec since made it, which changes argv too). A connect storm's readlinkat of the
                // exe was a tenth of the monitor's time (BENCHMARKS section 26).
                session.argv(lease.directory, into: &again)
                again.exe = knownExe
            } else {
                session.first(lease.directory, into: &again, withCgroup: false)
            }
            if !session.gone, again.argv == earlier.argv, again.exe == earlier.exe {
                var info = earlier
                if let knownDescriptors, knownDescriptors.startTicks == earlier.startTicks {
                    info.fds = knownDescriptors.fds
                } else {
                    info.fds = session.descriptors(lease.directory, netTables: netTables, earlier: earlier.fds)
                }
                if !session.gone { return ProcReadResult(info: info, outcome: .complete, issues: session.issues) }
            }
        }
        let result = finish(begin(pid: lease.pid, in: lease.directory, closing: false), netTables: netTables)
        if result.outcome == .complete, let info = result.info { lease.remember(.init(info: info, at: now), .process) }
        return result
    }

    /// `readTask` that takes status and cgroup, and the mount namespace and root it found, from the
    /// last complete task read through `lease` when it is at most `window` ns old and cmdline and
    /// exe are unchanged; otherwise the full read, parsed here (once per window, before the opener
    /// is answered) and remembered. The open flags belong to the syscall held now: always read.
    /// What a process changes without exec stands for the window: uids (setuid), cgroup (a
    /// migration) and, as of this, the mount namespace (setns, unshare) and root (chroot); these two
    /// only say which path the opener saw (`containerPath`), not whether it read a token. They were
    /// two of the twelve system calls of a token open (`ns/mnt` and `root` links, 4.6% of a token
    /// storm's samples in BENCHMARKS section 18).
    private func readTask(_ lease: ProcDirectoryCache.Lease, reusingWithin window: UInt64,
                          extras: TaskExtras, extrasDeadline: ContinuousClock.Instant?) -> TaskRead {
        let now = WallClock.monotonicNanoseconds()
        if let earlier = lease.recentRead(.task, since: now &- min(window, now)) {
            var read = TaskRead(taskID: lease.pid, session: ReadSession(pid: lease.pid, limits: limits))
            read.opened = true
            if read.readUnchanged(lease.directory, since: earlier.info) {
                read.readExtras(lease.directory, extras, deadline: extrasDeadline, known: earlier.extras)
                return read
            }
        }
        let read = readTask(lease.pid, in: lease.directory, extras: extras, extrasDeadline: extrasDeadline)
        let parsed = read.process()
        if parsed.outcome == .complete, let info = parsed.info {
            lease.remember(.init(info: info, extras: TaskExtrasRead(mountNamespace: read.extras.mountNamespace, root: read.extras.root), at: now), .task)
        }
        return read
    }
}

/// Descriptors 0-2 of a process as last reported (`ProcReader.read(pid:…knownDescriptors:)`).
public struct KnownDescriptors: Sendable, Hashable {
    /// Start time of the process they belong to (stat field 22).
    public var startTicks: UInt64?
    public var fds: [DescriptorInfo]
    public init(startTicks: UInt64?, fds: [DescriptorInfo]) { self.startTicks = startTicks; self.fds = fds }
}
