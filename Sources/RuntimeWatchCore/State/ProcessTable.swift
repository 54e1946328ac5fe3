// SPDX-License-Identifier: Apache-2.0
// The process table: pid → what we know of the process, its parent, its container. Kept correct
// under out-of-order delivery (exit before exec, exec before fork), reparenting, and pid reuse;
// bounded in size; exited processes kept for a grace period so late events (a fanotify open, a
// connect) from a process that already exited still resolve.

/// What the state knows about one process.
public struct ProcessRecord: Sendable, Hashable {
    public var pid: ProcessID
    public var ppid: ProcessID?
    /// Latest exec or snapshot info; for a forked child not yet exec'd, a copy of the parent's.
    public var info: ProcessInfo
    /// Container the process belongs to, or nil for a host process. Inherited at fork.
    public var container: ContainerID?
    /// Set when the process has exited (event time, ns). Reaped after the grace period.
    public var exitedAt: UInt64?
    /// Time of the last fork/exec/snapshot that (re)defined this record.
    public var since: UInt64
    public init(pid: ProcessID, ppid: ProcessID?, info: ProcessInfo, container: ContainerID?, exitedAt: UInt64? = nil, since: UInt64) {
        self.pid = pid; self.ppid = ppid; self.info = info; self.container = container
        self.exitedAt = exitedAt; self.since = since
    }
}

public struct ProcessTable: Sendable {
    /// Most processes kept; beyond it the oldest exited, then the oldest live records are evicted.
    public let capacity: Int
    /// How long an exited process stays resolvable.
    public let gracePeriodNanoseconds: UInt64
    private var records: [ProcessID: ProcessRecord] = [:]
    /// Processes evicted to stay within capacity (exported as a metric).
    public private(set) var evictions: UInt64 = 0

    public init(capacity: Int = 65_536, gracePeriodNanoseconds: UInt64 = 30_000_000_000) {
        self.capacity = capacity
        self.gracePeriodNanoseconds = gracePeriodNanoseconds
    }

    public var count: Int { records.count }
    public subscript(pid: ProcessID) -> ProcessRecord? { records[pid] }
    public var all: Dictionary<ProcessID, ProcessRecord>.Values { records.values }

    /// Inserts or replaces a record (the resolver decides the container before calling).
    public mutating func upsert(_ record: ProcessRecord) {
        records[record.pid] = record
        if records.count > capacity { evict() }
    }

    public mutating func markExited(_ pid: ProcessID, at time: UInt64) {
        records[pid]?.exitedAt = time
    }

    /// Reparents live children of `pid` to `newParent` (the kernel reparents to init or a subreaper;
    /// the proc connector does not say which, so capture's next read corrects it).
    public mutating func reparentChildren(of pid: ProcessID, to newParent: ProcessID) {
        for (child, r) in records where r.ppid == pid && r.exitedAt == nil {
            records[child]?.ppid = newParent
        }
    }

    /// Drops exited records older than the grace period.
    public mutating func reap(now: UInt64) {
        guard now > gracePeriodNanoseconds else { return }
        let cutoff = now - gracePeriodNanoseconds
        records = records.filter { _, r in (r.exitedAt ?? UInt64.max) >= cutoff }
    }

    /// Parent chain, nearest first, at most `limit` entries, stopping at pid 1/0 or an unknown pid.
    public func ancestry(of pid: ProcessID, limit: Int = 16) -> [ProcessRecord] {
        var chain: [ProcessRecord] = []
        var seen: Set<ProcessID> = [pid]
        var next = records[pid]?.ppid
        while let p = next, chain.count < limit, let r = records[p], seen.insert(p).inserted {
            chain.append(r)
            next = r.ppid
        }
        return chain
    }

    private mutating func evict() {
        let excess = records.count - capacity
        guard excess > 0 else { return }
        let victims = records.values.sorted {
            // exited first, then oldest
            switch ($0.exitedAt, $1.exitedAt) {
            case (.some, .none): return true
            case (.none, .some): return false
            default: return $0.since < $1.since
            }
        }.prefix(excess + capacity / 16)
        for v in victims { records[v.pid] = nil }
        evictions += UInt64(victims.count)
    }
}
