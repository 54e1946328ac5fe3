// SPDX-License-Identifier: Apache-2.0
// Everything the detectors may ask about: processes, containers, pods. Updated only by `apply`,
// which is a pure function of the event stream (live and replay run the same code).

public struct SystemState: Sendable {
    public private(set) var processes: ProcessTable
    /// Container metadata by id, from `container` events. Bounded by `containerCapacity`.
    public private(set) var containers: [ContainerID: ContainerInfo] = [:]
    public let containerCapacity: Int
    /// Events whose process was unknown (exec before fork, etc.), for the metrics.
    public private(set) var unknownProcessEvents: UInt64 = 0
    private var lastReap: UInt64 = 0

    public init(processes: ProcessTable = ProcessTable(), containerCapacity: Int = 4096) {
        self.processes = processes
        self.containerCapacity = containerCapacity
    }

    /// Container of a cgroup path, via `CgroupParser`.
    public static func containerID(forCgroup path: String?) -> ContainerID? {
        guard let path else { return nil }
        return CgroupParser.parse(path)?.id
    }

    public func process(_ pid: ProcessID) -> ProcessRecord? { processes[pid] }
    public func container(_ id: ContainerID?) -> ContainerInfo? { id.flatMap { containers[$0] } }
    public func ancestry(of pid: ProcessID, limit: Int = 16) -> [ProcessRecord] { processes.ancestry(of: pid, limit: limit) }

    public mutating func apply(_ record: EventRecord) {
        let t = record.timestamp
        switch record.event {
        case .snapshot(let info), .exec(let info):
            define(info, at: t)
        case .fork(let f):
            let parent = processes[f.parent]
            if parent == nil { unknownProcessEvents += 1 }
            // A child inherits its parent's image and cgroup until it execs.
            var info = parent?.info ?? ProcessInfo(pid: f.child)
            info.pid = f.child
            info.ppid = f.parent
            info.source = "inherited"
            // Exec can arrive before fork: keep what exec said.
            if let existing = processes[f.child], existing.since >= t, existing.exitedAt == nil { return }
            processes.upsert(ProcessRecord(pid: f.child, ppid: f.parent, info: info, container: parent?.container, since: t))
        case .exit(let e):
            if processes[e.pid] == nil { unknownProcessEvents += 1 }
            processes.markExited(e.pid, at: t)
            processes.reparentChildren(of: e.pid, to: ProcessID(1))
        case .uid(let c):
            update(c.pid) { $0.credentials?.uid = c.real; $0.credentials?.euid = c.effective }
        case .gid(let c):
            update(c.pid) { $0.credentials?.gid = c.real; $0.credentials?.egid = c.effective }
        case .comm(let c):
            update(c.pid) { $0.comm = c.comm }
        case .descriptors(let d):
            update(d.pid) { $0.fds = d.fds }
        case .container(let info):
            containers[info.id] = info
            if containers.count > containerCapacity, let victim = containers.keys.first(where: { $0 != info.id }) {
                containers[victim] = nil
            }
        case .fileOpen(let o):
            if let p = o.process, processes[o.pid] == nil { define(p, at: t) }
        case .connect(let c):
            if let p = c.process, processes[c.pid] == nil { define(p, at: t) }
        case .sid, .ptrace, .coredump, .drop:
            break
        }
        if t > lastReap + 1_000_000_000 {
            processes.reap(now: t)
            lastReap = t
        }
    }

    private mutating func define(_ info: ProcessInfo, at t: UInt64) {
        let previous = processes[info.pid]
        var info = info
        let ppid = info.ppid ?? previous?.ppid
        info.ppid = ppid
        // Attribution that cannot race: a process whose cgroup we could not read belongs to its
        // parent's container (cgroup membership is inherited at fork).
        var container = Self.containerID(forCgroup: info.cgroup)
        if info.cgroup == nil {
            container = previous?.container ?? ppid.flatMap { processes[$0]?.container }
        }
        processes.upsert(ProcessRecord(pid: info.pid, ppid: ppid, info: info, container: container, since: t))
    }

    private mutating func update(_ pid: ProcessID, _ change: (inout ProcessInfo) -> Void) {
        guard var r = processes[pid] else { unknownProcessEvents += 1; return }
        change(&r.info)
        processes.upsert(r)
    }
}
