// SPDX-License-Identifier: Apache-2.0
// Everything the detectors may ask about: processes, containers, pods. Updated only by `apply`,
// which is a pure function of the event stream (live and replay run the same code). Time is the
// events' own timestamps, never the wall clock, so replay reaps and ages exactly as live did.

/// A value type: a copy (for a detector's context) is a snapshot. Setters are `internal` only so
/// the lifecycle rules in SystemState+Lifecycle.swift can live in their own file; nothing but
/// `apply` mutates the state.
public struct SystemState: Sendable {
    public internal(set) var processes: ProcessTable
    /// Container metadata, bounded by `containerCapacity`.
    public internal(set) var containerDirectory: ContainerDirectory
    /// Container metadata by id, from `container` events or, until one arrives, from the cgroup path.
    public var containers: [ContainerID: ContainerInfo] { containerDirectory.byID }
    public var containerCapacity: Int { containerDirectory.capacity }
    /// Events about a process the state did not know (fork of an unknown parent, exit or update of
    /// an unknown pid). Expected right after startup and after drops.
    public internal(set) var unknownProcessEvents: UInt64 = 0
    /// Events recognised as older than what the state already holds for that pid (an exit or exec
    /// of a previous incarnation delivered late) and therefore not applied.
    public internal(set) var staleEvents: UInt64 = 0
    /// A fork, exec or snapshot replaced an earlier incarnation of the same pid.
    public internal(set) var pidReuses: UInt64 = 0
    /// The latest event time seen (the state's clock; out-of-order events never move it back).
    public internal(set) var now: UInt64 = 0
    /// Which container owns a pod IP, learned from connects (for linking audit events to pods).
    public internal(set) var podAddresses = PodAddressIndex()
    /// Per container, the process the state takes for its pid-namespace init (orphans go there).
    var containerInits: [ContainerID: InitReference] = [:]
    /// Cgroup paths already parsed (see `CgroupMatchCache`).
    var cgroupMatches = CgroupMatchCache()

    struct InitReference: Sendable {
        var pid: ProcessID
        var serial: UInt64
    }

    public init(processes: ProcessTable = ProcessTable(), containerCapacity: Int = 4096) {
        self.processes = processes
        self.containerDirectory = ContainerDirectory(capacity: containerCapacity)
    }

    /// Container of a cgroup path, via `CgroupParser`.
    public static func containerID(forCgroup path: String?) -> ContainerID? {
        guard let path else { return nil }
        return CgroupParser.parse(path)?.id
    }

    /// The record of `pid` (live, or exited within the grace period), or nil.
    public func process(_ pid: ProcessID) -> ProcessRecord? { processes[pid] }
    /// Metadata of a container, or nil (also for a nil id: a host process).
    public func container(_ id: ContainerID?) -> ContainerInfo? { id.flatMap { containerDirectory[$0] } }
    /// Parent chain of `pid`, nearest first (see `ProcessTable.ancestry`).
    public func ancestry(of pid: ProcessID, limit: Int = 16) -> [ProcessRecord] { processes.ancestry(of: pid, limit: limit) }
    /// The same chain, walked as it is iterated (no allocation; see `ProcessTable.ancestors`).
    public func ancestors(of pid: ProcessID, limit: Int = 16) -> Ancestors { processes.ancestors(of: pid, limit: limit) }
    /// Processes holding the pipe or socket `inode` on descriptors 0-2 that were alive at time `t`,
    /// sorted by pid: the other ends of a `mkfifo`/pipe pipeline when an event of time `t` happened
    /// (it may be delivered after some of them exited). Cost O(holders).
    public func processes(holdingInode inode: UInt64, aliveAt t: UInt64) -> IndexedRecords {
        processes.holders(ofInode: inode, aliveAt: t)
    }

    /// Applies one event. Never fails: an event that cannot be applied is counted
    /// (`unknownProcessEvents`, `staleEvents`) and the state stays consistent.
    public mutating func apply(_ record: EventRecord) {
        let t = record.timestamp
        now = max(now, t)
        switch record.event {
        case .snapshot(let info):
            define(info, at: t, origin: .snapshot)
        case .exec(let info):
            define(info, at: t, origin: .exec)
        case .fork(let f):
            fork(f, at: t)
        case .exit(let e):
            exit(e, at: t)
        case .uid(let c):
            update(c.pid, at: t) { $0.credentials?.uid = c.real; $0.credentials?.euid = c.effective }
        case .gid(let c):
            update(c.pid, at: t) { $0.credentials?.gid = c.real; $0.credentials?.egid = c.effective }
        case .comm(let c):
            update(c.pid, at: t) { $0.comm = c.comm; $0.setTruncated("comm", c.truncated != nil) }
        case .descriptors(let d):
            update(d.pid, at: t) { $0.fds = d.fds; $0.setTruncated("fds", d.truncated != nil) }
        case .container(let info):
            containerDirectory.record(info)
        case .fileOpen(let o):
            if let p = o.process { learn(p, at: t) }
        case .connect(let c):
            if let p = c.process { learn(p, at: t) }
            notePodAddress(of: c)
        case .sid, .ptrace, .coredump, .drop, .k8sAudit:
            break
        }
        processes.reap(now: now)
    }

    /// Applies a change to the info of a known, current incarnation.
    private mutating func update(_ pid: ProcessID, at t: UInt64, _ change: (inout ProcessInfo) -> Void) {
        // In place: the record is not copied out of the table and back.
        let applied = processes.modify(pid) { r -> Bool? in
            // Older than the exec/snapshot that defined the record: that read already reflects it.
            guard t >= r.since else { return nil }
            // After the recorded exit: about a later incarnation whose fork/exec was not seen.
            if let exitedAt = r.exitedAt, t > exitedAt { return false }
            change(&r.info)
            return true
        }
        switch applied {
        case .none: unknownProcessEvents += 1   // unknown pid
        case .some(.none): staleEvents += 1
        case .some(.some(false)): unknownProcessEvents += 1
        case .some(.some(true)): break
        }
    }
}
