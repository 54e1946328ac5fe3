// SPDX-License-Identifier: Apache-2.0
// The process table: pid → record, with the indexes the state needs to stay cheap per event
// (children by parent, live holders of a pipe/socket inode, exited records in exit order). It is a
// store: the rules deciding what a fork/exec/exit means live in SystemState+Lifecycle.swift.
// Bounded: beyond `capacity` the oldest exited records go first, then the oldest live ones.

public struct ProcessTable: Sendable {
    /// Most records kept; beyond it records are evicted (counted in `evictions`).
    public let capacity: Int
    /// How long an exited process stays resolvable, in event time.
    public let gracePeriodNanoseconds: UInt64
    private var records: [ProcessID: ProcessRecord] = [:]
    /// Parent pid → pids of records whose `ppid` is that pid (live and exited).
    private var childIndex: [ProcessID: Set<ProcessID>] = [:]
    /// Pipe/socket inode → live processes holding it on descriptors 0-2.
    private var inodeIndex: [UInt64: Set<ProcessID>] = [:]
    /// Exited records in the order their exits were applied; stale entries are skipped.
    private var exitQueue: [ExitTicket] = []
    private var exitQueueHead = 0
    private var nextSerial: UInt64 = 1
    /// Records evicted to stay within capacity (exported as a metric).
    public private(set) var evictions: UInt64 = 0
    /// Exited records dropped after their grace period.
    public private(set) var reaped: UInt64 = 0

    private struct ExitTicket: Sendable {
        var pid: ProcessID
        var serial: UInt64
    }

    public init(capacity: Int = 65_536, gracePeriodNanoseconds: UInt64 = 30_000_000_000) {
        precondition(capacity > 0, "ProcessTable capacity must be positive")
        self.capacity = capacity
        self.gracePeriodNanoseconds = gracePeriodNanoseconds
    }

    public var count: Int { records.count }
    public subscript(pid: ProcessID) -> ProcessRecord? { records[pid] }
    public var all: Dictionary<ProcessID, ProcessRecord>.Values { records.values }

    /// Records whose current parent is this incarnation of `pid` (children whose `parentSerial`
    /// names another incarnation are left out), sorted by pid.
    public func children(of pid: ProcessID) -> [ProcessRecord] {
        guard let parent = records[pid], let pids = childIndex[pid] else { return [] }
        return pids.compactMap { records[$0] }
            .filter { $0.parentSerial == nil || $0.parentSerial == parent.serial }
            .sorted { $0.pid < $1.pid }
    }

    /// Live processes that hold the pipe or socket `inode` on descriptor 0, 1 or 2, sorted by pid.
    /// Maintained incrementally, so this costs O(holders).
    public func holders(ofInode inode: UInt64) -> [ProcessRecord] {
        guard let pids = inodeIndex[inode] else { return [] }
        return pids.compactMap { records[$0] }.sorted { $0.pid < $1.pid }
    }

    /// Inserts or replaces the record for `record.pid` and updates every index.
    ///
    /// A record with `serial == 0` is a new incarnation and gets a fresh serial; a record read
    /// from the table and modified keeps its serial. May evict other records to stay within
    /// `capacity`, never the one being stored.
    /// - Returns: the record as stored (with its serial).
    @discardableResult
    public mutating func upsert(_ record: ProcessRecord) -> ProcessRecord {
        var record = record
        if record.serial == 0 {
            record.serial = nextSerial
            nextSerial += 1
        }
        record.info.pid = record.pid
        record.info.ppid = record.ppid
        let old = records.updateValue(record, forKey: record.pid)
        reindex(old: old, new: record)
        if records.count > capacity { evict(sparing: record.pid) }
        return record
    }

    /// Removes the record for `pid` (if any) from the table and every index.
    /// - Returns: the removed record.
    @discardableResult
    public mutating func remove(_ pid: ProcessID) -> ProcessRecord? {
        guard let old = records.removeValue(forKey: pid) else { return nil }
        reindex(old: old, new: nil)
        return old
    }

    /// Marks a live process exited at `time`. No effect on an unknown or already exited pid.
    public mutating func markExited(_ pid: ProcessID, at time: UInt64) {
        guard var r = records[pid], r.exitedAt == nil else { return }
        r.exitedAt = time
        upsert(r)
    }

    /// Moves the live children of `pid` to `newParent` (the kernel reparents orphans to a
    /// subreaper or to the pid namespace's init; the proc connector does not say which, so
    /// `SystemState` picks and capture's next read of the child corrects it).
    public mutating func reparentChildren(of pid: ProcessID, to newParent: ProcessID) {
        let newParentSerial = records[newParent]?.serial
        for child in children(of: pid) where child.isAlive && child.pid != newParent {
            var moved = child
            moved.ppid = newParent
            moved.parentSerial = newParentSerial
            upsert(moved)
        }
    }

    /// Drops exited records whose exit is at least the grace period before `now` (event time).
    /// Exits are examined in the order they were applied, so a late exit with an early timestamp
    /// waits behind earlier ones: it is reaped late, never early.
    public mutating func reap(now: UInt64) {
        guard now >= gracePeriodNanoseconds else { return }
        let cutoff = now - gracePeriodNanoseconds
        while exitQueueHead < exitQueue.count {
            let ticket = exitQueue[exitQueueHead]
            guard let r = records[ticket.pid], r.serial == ticket.serial, let exitedAt = r.exitedAt else {
                exitQueueHead += 1   // replaced or already removed
                continue
            }
            guard exitedAt <= cutoff else { break }
            remove(ticket.pid)
            reaped += 1
            exitQueueHead += 1
        }
        compactExitQueue()
    }

    /// Parent chain, nearest first, at most `limit` entries. Ends at a process without a parent
    /// (init, whose ppid is 0), at an unknown pid, at a parent pid that now belongs to another
    /// incarnation, or at a cycle.
    public func ancestry(of pid: ProcessID, limit: Int = 16) -> [ProcessRecord] {
        guard var current = records[pid] else { return [] }
        var chain: [ProcessRecord] = []
        var visited: [ProcessID] = [pid]
        while chain.count < limit, let p = current.ppid, let parent = records[p], !visited.contains(p) {
            if let expected = current.parentSerial, expected != parent.serial { break }
            chain.append(parent)
            visited.append(p)
            current = parent
        }
        return chain
    }

    // MARK: - Indexes

    private mutating func reindex(old: ProcessRecord?, new: ProcessRecord?) {
        if old?.ppid != new?.ppid {
            if let o = old, let p = o.ppid { childIndex[p]?.remove(o.pid); if childIndex[p]?.isEmpty == true { childIndex[p] = nil } }
            if let n = new, let p = n.ppid { childIndex[p, default: []].insert(n.pid) }
        }
        let oldInodes = old?.standardStreamInodes ?? StreamInodes()
        let newInodes = new?.standardStreamInodes ?? StreamInodes()
        if oldInodes != newInodes {
            let pid = (old ?? new)!.pid
            for inode in oldInodes where !newInodes.contains(inode) {
                inodeIndex[inode]?.remove(pid)
                if inodeIndex[inode]?.isEmpty == true { inodeIndex[inode] = nil }
            }
            for inode in newInodes where !oldInodes.contains(inode) { inodeIndex[inode, default: []].insert(pid) }
        }
        if let n = new, !n.isAlive, old == nil || old!.isAlive || old!.serial != n.serial {
            exitQueue.append(ExitTicket(pid: n.pid, serial: n.serial))
        }
    }

    // MARK: - Bounds

    /// Brings the table back to `capacity`: oldest exits first (grace or not), then, if every
    /// record is live, a batch of the least recently defined live ones, init excepted (batching keeps the
    /// sort amortised; the table only fills with live records when exits are being lost).
    private mutating func evict(sparing keep: ProcessID) {
        while records.count > capacity, exitQueueHead < exitQueue.count {
            let ticket = exitQueue[exitQueueHead]
            exitQueueHead += 1
            guard ticket.pid != keep, let r = records[ticket.pid], r.serial == ticket.serial, !r.isAlive else { continue }
            remove(ticket.pid)
            evictions += 1
        }
        compactExitQueue()
        guard records.count > capacity else { return }
        let target = max(capacity - capacity / 16, 1)
        // init is the root of every ancestry: never a victim.
        let victims = records.values.lazy.filter { $0.pid != keep && $0.pid != ProcessID(1) }
            .sorted { ($0.since, $0.pid) < ($1.since, $1.pid) }
            .prefix(records.count - target)
        for victim in victims {
            remove(victim.pid)
            evictions += 1
        }
    }

    /// Keeps the exit queue proportional to the table: consumed entries are dropped, and when
    /// stale entries pile up behind a blocked head (an exit stamped far in the future) they are
    /// filtered out, so the queue never exceeds twice the capacity.
    private mutating func compactExitQueue() {
        if exitQueueHead == exitQueue.count {
            exitQueue.removeAll(keepingCapacity: true)
            exitQueueHead = 0
        } else if exitQueueHead > 4096 && exitQueueHead * 2 > exitQueue.count {
            exitQueue.removeFirst(exitQueueHead)
            exitQueueHead = 0
        }
        if exitQueue.count - exitQueueHead > 2 * capacity {
            let records = self.records
            exitQueue = exitQueue[exitQueueHead...].filter { t in
                records[t.pid].map { $0.serial == t.serial && !$0.isAlive } ?? false
            }
            exitQueueHead = 0
        }
    }
}
