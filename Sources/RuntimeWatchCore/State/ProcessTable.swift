// SPDX-License-Identifier: Apache-2.0
// The process table: pid → record, with the indexes the state needs to stay cheap per event
// (children by parent, live holders of a pipe/socket inode, exited records in exit order). It is a
// store: the rules deciding what a fork/exec/exit means live in SystemState+Lifecycle.swift.
// Bounded: beyond `capacity` the oldest exited records go first, then the oldest live ones.
//
// Records sit in one dense array (a slab) found through a pid → slot map (`PIDSlotMap`). A dictionary of
// records hands a field out by copying the whole record (about 260 bytes and a retain of each of
// its references), and the table's own bookkeeping (is it alive, which incarnation, whose child)
// asked that of every record it touched; an array element's field is read in place. A removed
// record's slot is filled by the last one, so the array stays dense.

public struct ProcessTable: Sendable {
    /// Most records kept; beyond it records are evicted (counted in `evictions`).
    public let capacity: Int
    /// How long an exited process stays resolvable, in event time.
    public let gracePeriodNanoseconds: UInt64
    /// The records, densely; `slotOf` says where each pid's is.
    private var slots: ContiguousArray<ProcessRecord> = []
    private var slotOf = PIDSlotMap()
    /// Parent pid → pids of records whose `ppid` is that pid (live and exited).
    private var childIndex: [ProcessID: SmallSet<ProcessID>] = [:]
    /// Pipe/socket inode → live processes holding it on descriptors 0-2.
    private var inodeIndex: [UInt64: SmallSet<ProcessID>] = [:]
    /// Exited records in the order their exits were applied; stale entries are skipped.
    private var exitQueue: [ExitTicket] = []
    private var exitQueueHead = 0
    /// `reap(now:)` stopped at the head ticket, current and exited at this time: until the cutoff
    /// reaches it, or that pid's record changes, or the head moves, reap has nothing to do. Spares
    /// replay a dictionary lookup per event (nil: look).
    private var reapWaitsFor: (pid: ProcessID, exitedAt: UInt64)?
    private var nextSerial: UInt64 = 1
    /// Records evicted to stay within capacity (exported as a metric).
    public private(set) var evictions: UInt64 = 0
    /// Exited records dropped after their grace period.
    public private(set) var reaped: UInt64 = 0

    private struct ExitTicket: Sendable {
        var pid: ProcessID
        var serial: UInt64
    }

    /// Most bytes all records may hold (their strings, plus `recordOverheadBytes` each); beyond it
    /// records are evicted as beyond `capacity`. With `EventBounds`, this keeps the table's
    /// memory bounded whatever the trace or workload (README "Memory bounds").
    public let byteBudget: Int
    /// What a record costs besides its strings (the record, its dictionary slot, index entries).
    public static let recordOverheadBytes = 1024
    /// Bytes held now, as `byteBudget` counts them.
    public private(set) var bytes = 0

    public init(capacity: Int = 65_536, byteBudget: Int = 24 << 20, gracePeriodNanoseconds: UInt64 = 30_000_000_000) {
        precondition(capacity > 0, "ProcessTable capacity must be positive")
        self.capacity = capacity
        self.byteBudget = max(byteBudget, Self.recordOverheadBytes)
        self.gracePeriodNanoseconds = gracePeriodNanoseconds
    }

    public var count: Int { slots.count }
    public subscript(pid: ProcessID) -> ProcessRecord? { slotOf[pid].map { slots[$0] } }
    /// Every record, in no particular order.
    public var all: ContiguousArray<ProcessRecord> { slots }

    /// The serial of `pid`'s record, read in place; nil for an unknown pid.
    private func serial(of pid: ProcessID) -> UInt64? { slotOf[pid].map { slots[$0].serial } }

    /// Records whose current parent is this incarnation of `pid` (children whose `parentSerial`
    /// names another incarnation are left out), sorted by pid.
    public func children(of pid: ProcessID) -> IndexedRecords {
        guard let pids = childIndex[pid], let parentSerial = serial(of: pid) else { return .empty }
        return IndexedRecords(slots: slots, slotOf: slotOf, pids: pids, parentSerial: parentSerial, aliveAt: nil)
    }

    /// Processes that hold the pipe or socket `inode` on descriptor 0, 1 or 2, or held it when
    /// they exited (until reaped), sorted by pid; with `t`, only those alive at time `t`. Maintained
    /// incrementally, so this costs O(holders).
    public func holders(ofInode inode: UInt64, aliveAt t: UInt64? = nil) -> IndexedRecords {
        guard let pids = inodeIndex[inode] else { return .empty }
        return IndexedRecords(slots: slots, slotOf: slotOf, pids: pids, parentSerial: nil, aliveAt: t)
    }

    /// Inserts or replaces the record for `record.pid` and updates every index.
    ///
    /// A record with `serial == 0` is a new incarnation and gets a fresh serial; a record read
    /// from the table and modified keeps its serial. May evict other records to stay within
    /// `capacity`, never the one being stored.
    /// - Returns: the record as stored (with its serial).
    @discardableResult
    public mutating func upsert(_ record: ProcessRecord) -> ProcessRecord {
        let pid = record.pid
        store(record)
        return slots[slotOf[pid]!]
    }

    /// `upsert` without handing the stored record back (a copy of it): the record is moved into
    /// its slot. Returns the serial it was stored with.
    @discardableResult
    mutating func store(_ record: consuming ProcessRecord) -> UInt64 {
        var record = record
        if record.serial == 0 {
            record.serial = nextSerial
            nextSerial += 1
        }
        record.info.pid = record.pid
        record.info.ppid = record.ppid
        let pid = record.pid, serial = record.serial
        let new = IndexedFacts(record)
        let old: IndexedFacts?
        if let slot = slotOf[pid] {
            old = IndexedFacts(slots[slot])
            slots[slot] = record
        } else {
            old = nil
            slotOf.set(slots.count, for: pid)
            slots.append(record)
        }
        reindex(pid: pid, serial: serial, old: old, new: new)
        if isOverBound { evict(sparing: pid) }
        return serial
    }

    /// Removes the record for `pid` (if any) from the table and every index.
    /// - Returns: the removed record.
    @discardableResult
    public mutating func remove(_ pid: ProcessID) -> ProcessRecord? {
        guard let slot = slotOf[pid] else { return nil }
        let old = slots[slot]
        discard(pid)
        return old
    }

    /// `remove` without handing the record back: reap and eviction drop records nobody reads.
    /// The last record moves into the freed slot, so the array stays dense.
    private mutating func discard(_ pid: ProcessID) {
        guard let slot = slotOf.removeValue(for: pid) else { return }
        let facts = IndexedFacts(slots[slot])
        let last = slots.removeLast()
        if slot < slots.count {
            slotOf.set(slot, for: last.pid)
            slots[slot] = last
        }
        reindex(pid: pid, serial: facts.serial, old: facts, new: nil)
    }

    /// Reads the record of `pid` where it is stored, without copying it out of the table.
    /// - Returns: what `body` returned, or nil (and `body` not called) when `pid` is unknown.
    func read<Result>(_ pid: ProcessID, _ body: (borrowing ProcessRecord) -> Result) -> Result? {
        guard let slot = slotOf[pid] else { return nil }
        return body(slots[slot])
    }

    /// Marks a live process exited at `time`. No effect on an unknown or already exited pid.
    public mutating func markExited(_ pid: ProcessID, at time: UInt64) {
        guard let slot = slotOf[pid], slots[slot].exitedAt == nil else { return }
        modify(pid) { $0.exitedAt = time }
    }

    /// Changes the stored record of `pid` in place (no copy of the record out and back) and updates
    /// the indexes the change touches. `body` must not change `pid` or `serial`: the record stays
    /// the same incarnation. Equivalent to reading the record, changing it and `upsert`ing it
    /// (so it may evict other records, never this one).
    /// - Returns: what `body` returned, or nil (and `body` not called) when `pid` is unknown.
    @discardableResult
    mutating func modify<Result>(_ pid: ProcessID, _ body: (inout ProcessRecord) -> Result) -> Result? {
        guard let slot = slotOf[pid] else { return nil }
        let before = IndexedFacts(slots[slot])
        let result = body(&slots[slot])
        let after = IndexedFacts(slots[slot])
        precondition(slots[slot].pid == pid && after.serial == before.serial,
                     "ProcessTable.modify changed the identity of pid \(pid)")
        // Same invariant `upsert` keeps: the info's pid and ppid follow the record's.
        if after.ppid != slots[slot].info.ppid || slots[slot].info.pid != pid {
            slots[slot].info.pid = pid
            slots[slot].info.ppid = after.ppid
        }
        reindex(pid: pid, serial: before.serial, old: before, new: after)
        // A change can grow a record (an fds event brings descriptors of up to 4 KiB each): the
        // byte budget holds after it as after an upsert.
        if isOverBound { evict(sparing: pid) }
        return result
    }

    /// Moves the live children of `pid` to `newParent` (the kernel reparents orphans to a
    /// subreaper or to the pid namespace's init; the proc connector does not say which, so
    /// `SystemState` picks and capture's next read of the child corrects it).
    public mutating func reparentChildren(of pid: ProcessID, to newParent: ProcessID) {
        guard let pids = childIndex[pid], let parentSerial = serial(of: pid) else { return }
        // A copy of the (usually inline) member set: moving a child edits `childIndex[pid]`. Same
        // children as `children(of:)`; the order does not matter, each move touches only its own child.
        let newParentSerial = serial(of: newParent)
        for child in pids where child != newParent {
            guard let slot = slotOf[child], slots[slot].isAlive,
                  slots[slot].parentSerial == nil || slots[slot].parentSerial == parentSerial else { continue }
            modify(child) { $0.ppid = newParent; $0.parentSerial = newParentSerial }
        }
    }

    /// Drops exited records whose exit is at least the grace period before `now` (event time).
    /// Exits are examined in the order they were applied, so a late exit with an early timestamp
    /// waits behind earlier ones: it is reaped late, never early.
    public mutating func reap(now: UInt64) {
        guard now >= gracePeriodNanoseconds else { return }
        let cutoff = now - gracePeriodNanoseconds
        if let waiting = reapWaitsFor, waiting.exitedAt > cutoff { return }
        reapWaitsFor = nil
        while exitQueueHead < exitQueue.count {
            let ticket = exitQueue[exitQueueHead]
            guard let slot = slotOf[ticket.pid], slots[slot].serial == ticket.serial, let exitedAt = slots[slot].exitedAt else {
                exitQueueHead += 1   // replaced or already removed
                continue
            }
            guard exitedAt <= cutoff else {
                reapWaitsFor = (ticket.pid, exitedAt)
                break
            }
            discard(ticket.pid)
            reaped += 1
            exitQueueHead += 1
        }
        compactExitQueue()
    }

    /// Parent chain, nearest first, at most `limit` entries. Ends at a process without a parent
    /// (init, whose ppid is 0), at an unknown pid, at a parent pid that now belongs to another
    /// incarnation, or at a cycle.
    public func ancestry(of pid: ProcessID, limit: Int = 16) -> [ProcessRecord] {
        Array(ancestors(of: pid, limit: limit))
    }

    /// The same chain as `ancestry(of:limit:)`, walked as it is iterated, allocating nothing: for
    /// callers that stop at the first ancestor they look for.
    public func ancestors(of pid: ProcessID, limit: Int = 16) -> Ancestors {
        Ancestors(slots: slots, slotOf: slotOf, of: pid, limit: limit)
    }

    // MARK: - Indexes

    /// The part of a record the indexes depend on, taken before and after a change so
    /// `reindex` touches only what changed (no copy of the whole record is kept).
    private struct IndexedFacts {
        var ppid: ProcessID?
        var inodes: StreamInodes
        var isAlive: Bool
        var serial: UInt64
        var bytes: Int
        init(_ r: ProcessRecord) {
            ppid = r.ppid; inodes = r.standardStreamInodes; isAlive = r.isAlive; serial = r.serial
            bytes = ProcessTable.recordOverheadBytes + r.info.stringBytes
        }
    }

    /// Brings the indexes from `old` (nil: no record) to `new` (nil: removed) for `pid`, whose
    /// stored serial is `serial` (the new one when `new` is given).
    private mutating func reindex(pid: ProcessID, serial: UInt64, old: IndexedFacts?, new: IndexedFacts?) {
        // The record reap waits on changed (its exit time, its incarnation, or it is gone): ask again.
        if reapWaitsFor?.pid == pid { reapWaitsFor = nil }
        bytes += (new?.bytes ?? 0) - (old?.bytes ?? 0)
        if old?.ppid != new?.ppid {
            if let p = old?.ppid { Self.remove(pid, from: p, in: &childIndex) }
            if let p = new?.ppid { Self.insert(pid, at: p, in: &childIndex) }
        }
        let oldInodes = old?.inodes ?? StreamInodes()
        let newInodes = new?.inodes ?? StreamInodes()
        if oldInodes != newInodes {
            for inode in oldInodes where !newInodes.contains(inode) { Self.remove(pid, from: inode, in: &inodeIndex) }
            for inode in newInodes where !oldInodes.contains(inode) { Self.insert(pid, at: inode, in: &inodeIndex) }
        }
        if let n = new, !n.isAlive, old == nil || old!.isAlive || old!.serial != n.serial {
            exitQueue.append(ExitTicket(pid: pid, serial: serial))
        }
    }

    // A key's members are changed where they are stored, found by one lookup (`index(forKey:)`,
    // then `values[position]`): the dictionary's keyed `modify` accessor moves a value as large as a
    // `SmallSet` out into its coroutine frame, which it allocates on every call (one malloc per
    // index change, measured), and taking the value out and putting it back costs two lookups.
    private static func insert<Key: Hashable>(_ pid: ProcessID, at key: Key, in index: inout [Key: SmallSet<ProcessID>]) {
        if let position = index.index(forKey: key) {
            index.values[position].insert(pid)
        } else {
            var members = SmallSet<ProcessID>()
            members.insert(pid)
            index[key] = members
        }
    }

    private static func remove<Key: Hashable>(_ pid: ProcessID, from key: Key, in index: inout [Key: SmallSet<ProcessID>]) {
        guard let position = index.index(forKey: key) else { return }
        index.values[position].remove(pid)
        if index.values[position].isEmpty { index.remove(at: position) }
    }

    // MARK: - Bounds

    /// Brings the table back to `capacity`: oldest exits first (grace or not), then, if every
    /// record is live, a batch of the least recently defined live ones, init excepted (batching keeps the
    /// sort amortised; the table only fills with live records when exits are being lost).
    private var isOverBound: Bool { slots.count > capacity || bytes > byteBudget }

    /// Whether the exit `ticket` names is still the stored, exited incarnation of its pid.
    private func isCurrentExit(_ ticket: ExitTicket) -> Bool {
        guard let slot = slotOf[ticket.pid] else { return false }
        return slots[slot].serial == ticket.serial && !slots[slot].isAlive
    }

    private mutating func evict(sparing keep: ProcessID) {
        reapWaitsFor = nil   // the exit queue's head moves
        while isOverBound, exitQueueHead < exitQueue.count {
            let ticket = exitQueue[exitQueueHead]
            exitQueueHead += 1
            guard ticket.pid != keep, isCurrentExit(ticket) else { continue }
            discard(ticket.pid)
            evictions += 1
        }
        compactExitQueue()
        guard isOverBound else { return }
        let targetCount = max(capacity - capacity / 16, 1)
        let targetBytes = byteBudget - byteBudget / 16
        // init is the root of every ancestry: never a victim.
        let victims = slots.lazy.filter { $0.pid != keep && $0.pid != ProcessID(1) }
            .map { (since: $0.since, pid: $0.pid) }
            .sorted { ($0.since, $0.pid) < ($1.since, $1.pid) }
        for victim in victims {
            if slots.count <= targetCount && bytes <= targetBytes { break }
            discard(victim.pid)
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
            exitQueue = exitQueue[exitQueueHead...].filter(isCurrentExit)
            exitQueueHead = 0
        }
    }
}
