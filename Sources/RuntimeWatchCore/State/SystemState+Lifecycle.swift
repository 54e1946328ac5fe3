// SPDX-License-Identifier: Apache-2.0
// What fork, exec/snapshot and exit mean for the process table, written to survive the ways the
// kernel and capture deliver them: out of order (an exit before the exec, an exec before the fork),
// from processes the state never saw (fork of an unknown parent), with pids reused, and with
// events lost. The rule throughout: an event's timestamp says when it happened; `startTicks`, when
// both sides have it, says which incarnation of a pid it is about.

extension SystemState {
    /// How far apart the stamps of two capture sources can be for one moment (audit's millisecond
    /// clock against the proc connector's nanosecond one; 2.6 ms seen live under load).
    static let crossSourceClockSlack: UInt64 = 1_000_000_000

    /// How an event about `pid` at time t relates to the record the table holds for that pid.
    enum Incarnation {
        /// Same process; the event may update the record.
        case same
        /// A later process that reused the pid; the event replaces the record.
        case newer
        /// Older than what the record already says (a previous incarnation, or an older read of
        /// this one); the event is not applied.
        case stale
    }

    /// Classifies an exec/snapshot (or an event's process info) against the existing record.
    func incarnation(of r: ProcessRecord, at t: UInt64, startTicks: UInt64?) -> Incarnation {
        if let held = r.info.startTicks, let seen = startTicks {
            // Start times identify a process exactly (a zombie read after its exit still matches).
            if held == seen { return t >= r.since ? .same : .stale }
            return seen > held ? .newer : .stale
        }
        if let exitedAt = r.exitedAt, t > exitedAt { return .newer }
        return t >= r.since ? .same : .stale
    }

    /// What `body` reads of the record of `pid` as it was at time t, read in place: nil when the
    /// pid is unknown, or when the held record had already exited by then (the pid then named a
    /// process the state has not seen).
    func current<Result>(_ pid: ProcessID?, at t: UInt64, _ body: (borrowing ProcessRecord) -> Result) -> Result? {
        guard let pid else { return nil }
        return processes.read(pid) { r in
            if let exitedAt = r.exitedAt, exitedAt < t { return nil }
            return body(r)
        } ?? nil
    }

    /// What a child takes from its parent (a fork's image, a container), copied out of the
    /// parent's record without copying the record.
    struct ParentFacts {
        var serial: UInt64
        var container: ContainerID?
        var attribution: ContainerAttribution
        var info: ProcessInfo
        init(_ r: borrowing ProcessRecord) {
            serial = r.serial; container = r.container; attribution = r.attribution; info = r.info
        }
    }

    // MARK: - exec, snapshot

    /// Defines a process from what capture read (exec, snapshot, or an event's process info).
    mutating func define(_ info: ProcessInfo, at t: UInt64, origin: RecordOrigin) {
        var base: ProcessRecord?
        if let existing = processes[info.pid] {
            switch incarnation(of: existing, at: t, startTicks: info.startTicks) {
            case .same: base = existing
            case .stale: staleEvents += 1; return
            case .newer:
                pidReuses += 1
                if existing.isAlive { retire(existing) }   // its exit was lost
            }
        }
        let ppid = info.ppid ?? base?.ppid
        var record = ProcessRecord(pid: info.pid, ppid: ppid, info: info, container: nil, exitedAt: base?.exitedAt,
                                   since: t, firstSeen: min(base?.firstSeen ?? t, t), attribution: .unknown, origin: origin)
        if let base {
            // Credentials survive fork and exec unless the executable is set-id or has file
            // capabilities; a read that did not take them (a brief read, or a process gone before
            // its status was read) keeps the ones the record had.
            if record.info.credentials == nil, let credentials = base.info.credentials { record.info.credentials = credentials }
            record.serial = base.serial
            record.parentSerial = base.ppid == ppid ? base.parentSerial : current(ppid, at: t) { $0.serial }
        } else {
            record.parentSerial = current(ppid, at: t) { $0.serial }
        }
        if let cgroup = info.cgroup {
            let match = cgroupMatches.match(cgroup)
            record.container = match?.id
            record.attribution = .cgroup
            if let match { containerDirectory.noteCgroup(match) }
        } else if let base, base.attribution != .unknown {
            // Cgroup unreadable this time (process exiting): it has not changed since the last read.
            record.container = base.container
            record.attribution = base.attribution
        } else if let parent = current(ppid, at: t, { (attribution: $0.attribution, container: $0.container) }),
                  parent.attribution != .unknown {
            record.container = parent.container
            record.attribution = .parent
        }
        let stored = processes.upsert(record)
        if stored.attribution != .unknown { resolveDescendants(of: stored) }
        considerContainerInit(stored)
    }

    /// Uses the process info attached to a file-open or connect event, when it tells more than
    /// the record: the pid is unknown, only its exit was seen, it is a fork copy of its parent,
    /// the record is of an earlier incarnation, or the event saw a different executable (capture
    /// read it while the process acted, so its exec event is still on its way from another source).
    /// Otherwise the record stays, and only what its own read missed is filled in: an exec read
    /// that lagged behind finds a short-lived process gone before its status (uids) was read,
    /// while a token watcher's read of the held opener has it.
    mutating func learn(_ info: ProcessInfo, at t: UInt64) {
        if let r = processes[info.pid] {
            let earlierIncarnation = r.exitedAt.map { t > $0 } ?? false
            let newerImage = info.exe != nil && info.exe != r.info.exe && r.since <= t
            guard r.origin == .exit || r.origin == .fork || earlierIncarnation || newerImage else {
                _ = processes.modify(info.pid) { r in
                    // A field taken from `info` brings its truncation mark along.
                    let taken = (info.truncated ?? []).filter { field in
                        switch field {
                        case "argv": r.info.argv == nil
                        case "exe": r.info.exe == nil
                        case "comm": r.info.comm == nil
                        default: false
                        }
                    }
                    // Written only where there is a gap to fill: every open and connect of a known
                    // process comes here, and a write copies an image the record shares with its
                    // parent or its exec event, and makes it work out again what it runs.
                    if r.info.credentials == nil, let credentials = info.credentials { r.info.credentials = credentials }
                    if r.info.argv == nil, let argv = info.argv { r.info.argv = argv }
                    if r.info.exe == nil, let exe = info.exe { r.info.exe = exe }
                    if r.info.comm == nil, let comm = info.comm { r.info.comm = comm }
                    r.info.markTruncated(taken)
                }
                return
            }
        }
        define(info, at: t, origin: .event)
    }

    // MARK: - fork

    mutating func fork(_ f: ForkEvent, at t: UInt64) {
        let parent = current(f.parent, at: t, ParentFacts.init)
        if parent == nil { unknownProcessEvents += 1 }
        if let r = processes[f.child] {
            // A record already there is this child when the fork happened no later than what
            // defined it (exec/snapshot delivered first) or than its exit (exit delivered first).
            // A record another source defined (audit's connect, fanotify's open, with a read of the
            // process) carries that source's clock: audit stamps in milliseconds from a clock that
            // drifts from the proc connector's, so a connect made 1 ms after the fork can look older
            // than it. The same parent within the slack is the same child.
            let readElsewhere = r.origin == .event && r.ppid == f.parent && t <= r.since &+ Self.crossSourceClockSlack
            let sameChild = r.exitedAt.map { t <= $0 } ?? (t <= r.since || readElsewhere)
            if sameChild {
                complete(r, forkedFrom: parent, parentPID: f.parent, at: t)
                return
            }
            pidReuses += 1
            if r.isAlive { retire(r) }   // its exit was lost
        }
        let attribution: ContainerAttribution = (parent == nil || parent!.attribution == .unknown) ? .unknown : .parent
        processes.store(ProcessRecord(pid: f.child, ppid: f.parent, info: inheritedInfo(f.child, from: parent, parentPID: f.parent),
                                       container: parent?.container, since: t, firstSeen: t, attribution: attribution,
                                       origin: .fork, parentSerial: parent?.serial))
    }

    /// Fills what a late fork tells about a record defined by earlier-delivered events.
    private mutating func complete(_ r: ProcessRecord, forkedFrom parent: ParentFacts?, parentPID: ProcessID, at t: UInt64) {
        var u = r
        u.firstSeen = min(u.firstSeen, t)
        if u.origin == .exit {
            // Only its exit was seen: it ran the parent's image and never exec'd (or its exec is
            // still to come and will replace this).
            u.info = inheritedInfo(u.pid, from: parent, parentPID: parentPID)
            u.origin = .fork
            u.since = t
            u.ppid = parentPID
            u.parentSerial = parent?.serial
        } else if u.ppid == nil {
            u.ppid = parentPID
            u.parentSerial = parent?.serial
        }
        if u.attribution == .unknown, let parent, parent.attribution != .unknown {
            u.container = parent.container
            u.attribution = .parent
        }
        let stored = processes.upsert(u)
        if r.attribution == .unknown && stored.attribution != .unknown { resolveDescendants(of: stored) }
        considerContainerInit(stored)
    }

    /// A forked child's info: the parent's image, cgroup, credentials and descriptors (all
    /// inherited at fork), but not its start time.
    private func inheritedInfo(_ child: ProcessID, from parent: ParentFacts?, parentPID: ProcessID) -> ProcessInfo {
        var info = parent?.info ?? ProcessInfo(pid: child)
        info.pid = child
        info.ppid = parentPID
        info.startTicks = nil
        info.source = "inherited"
        return info
    }

    // MARK: - exit

    mutating func exit(_ e: ExitEvent, at t: UInt64) {
        // What the exit is judged by, read in place: every exit comes here.
        guard let held = processes.read(e.pid, { r in (exitedAt: r.exitedAt, since: r.since, serial: r.serial, container: r.container) }) else {
            // Exit before anything else: keep a tombstone so a late fork or exec of this process
            // is recognised as already dead, and late events still resolve.
            unknownProcessEvents += 1
            processes.store(tombstone(e.pid, exitedAt: t))
            return
        }
        if let exitedAt = held.exitedAt {
            if t > exitedAt {
                // A later incarnation, never seen alive, died too.
                unknownProcessEvents += 1
                pidReuses += 1
                processes.store(tombstone(e.pid, exitedAt: t))
            } else {
                staleEvents += 1   // duplicate, or an earlier incarnation's exit delivered late
            }
            return
        }
        // Before the exec/snapshot/fork that defined the record: a previous incarnation's exit.
        guard t >= held.since else { staleEvents += 1; return }
        processes.markExited(e.pid, at: t)
        retire(e.pid, serial: held.serial, container: held.container)
    }

    private func tombstone(_ pid: ProcessID, exitedAt t: UInt64) -> ProcessRecord {
        ProcessRecord(pid: pid, ppid: nil, info: ProcessInfo(pid: pid), container: nil, exitedAt: t, since: 0,
                      firstSeen: t, attribution: .unknown, origin: .exit)
    }

    /// What the kernel does when a process goes: its live children are reparented, and if it was
    /// a container's init, the container has no init any more.
    private mutating func retire(_ r: ProcessRecord) {
        retire(r.pid, serial: r.serial, container: r.container)
    }

    private mutating func retire(_ pid: ProcessID, serial: UInt64, container: ContainerID?) {
        if let c = container, let ref = containerInits[c], ref.pid == pid, ref.serial == serial {
            containerInits[c] = nil
        }
        processes.reparentChildren(of: pid, to: reaper(for: pid, in: container))
    }

    /// Where orphans of `pid` (in `container`) go: the kernel picks the nearest child-subreaper
    /// ancestor, else the pid namespace's init. The stream says neither, so: for a container
    /// process, the container's init (its pid-namespace init) when known; otherwise pid 1.
    /// Capture's next read of the child (exec, snapshot) carries the true PPid and overrides this.
    private func reaper(for pid: ProcessID, in container: ContainerID?) -> ProcessID {
        if let c = container, let ref = containerInits[c], ref.pid != pid,
           processes.read(ref.pid, { $0.serial == ref.serial && $0.isAlive }) == true {
            return ref.pid
        }
        return ProcessID(1)
    }

    // MARK: - Container bookkeeping

    /// Records `r` as its container's init when it is the container's first process: a live
    /// process in a container whose parent is outside it. `docker exec` sessions look the same,
    /// so an existing init is only displaced by a process that started earlier (`startTicks`).
    private mutating func considerContainerInit(_ r: ProcessRecord) {
        guard let c = r.container, r.isAlive else { return }
        if let ppid = r.ppid, let parent = processes[ppid], parent.container == c { return }
        if let ref = containerInits[c], ref.pid != r.pid, let held = processes[ref.pid], held.serial == ref.serial, held.isAlive {
            guard let mine = r.info.startTicks, let theirs = held.info.startTicks, mine < theirs else { return }
        }
        containerInits[c] = InitReference(pid: r.pid, serial: r.serial)
        if containerInits.count > 2 * containerCapacity {
            let table = processes
            containerInits = containerInits.filter { _, ref in
                table[ref.pid].map { $0.serial == ref.serial && $0.isAlive } ?? false
            }
        }
    }

    /// Gives descendants forked from a then-unknown process the container now known for `root`.
    private mutating func resolveDescendants(of root: ProcessRecord) {
        // Runs on every exec and nearly always finds nothing to resolve: nothing is allocated then.
        var pending: [ProcessRecord] = []
        var budget = processes.count   // each record is resolved at most once; bounds the walk
        var next: ProcessRecord? = root
        while let r = next ?? pending.popLast(), budget > 0 {
            next = nil
            // Filtered into an array before the loop changes the table (a live view would copy the
            // whole table); an empty result allocates nothing.
            for child in processes.children(of: r.pid).filter({ $0.attribution == .unknown }) {
                var resolved = child
                resolved.container = r.container
                resolved.attribution = .parent
                let stored = processes.upsert(resolved)
                considerContainerInit(stored)
                pending.append(stored)
                budget -= 1
            }
        }
    }
}
