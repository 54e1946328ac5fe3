// SPDX-License-Identifier: Apache-2.0
// What the process table's index queries return: the records of a few pids, in pid order, looked up
// as they are iterated. Asking for a pipe's holders or a process's children is what the reverse-shell
// detector does on nearly every event, and an array per answer was its largest share of the engine's
// allocations (issue 17's malloc profile). One to four pids (nearly always) sit inline; more spill
// into one array, sorted once.
//
// Both types here are views: they hold the table's storage while they live. Change the table only
// after dropping them (or copy them out with `Array(...)` first): a change while one is held
// copies the whole table.

public struct IndexedRecords: Sequence, Sendable {
    private let slots: ContiguousArray<ProcessRecord>
    private let slotOf: PIDSlotMap
    private var inline = SIMD4<Int32>(repeating: 0)
    private var inlineCount = 0
    private var spilled: [ProcessID]?
    /// Only records whose `parentSerial` is nil or this (children of one incarnation).
    private let parentSerial: UInt64?
    /// Only records alive at this event time.
    private let aliveAt: UInt64?

    /// No records.
    static let empty = IndexedRecords(slots: [], slotOf: PIDSlotMap(), pids: SmallSet(), parentSerial: nil, aliveAt: nil)

    init(slots: ContiguousArray<ProcessRecord>, slotOf: PIDSlotMap, pids: SmallSet<ProcessID>,
         parentSerial: UInt64?, aliveAt: UInt64?) {
        self.slots = slots
        self.slotOf = slotOf
        self.parentSerial = parentSerial
        self.aliveAt = aliveAt
        if pids.count > 4 {
            spilled = pids.sorted()
            return
        }
        for pid in pids {
            // Insertion into the sorted inline lanes.
            var at = inlineCount
            while at > 0, inline[at - 1] > pid.rawValue {
                inline[at] = inline[at - 1]
                at -= 1
            }
            inline[at] = pid.rawValue
            inlineCount += 1
        }
    }

    /// The record of `pid` when it is in this answer; its fields are tested in place.
    fileprivate func admitted(_ pid: ProcessID) -> ProcessRecord? {
        guard let slot = slotOf[pid] else { return nil }
        if let parentSerial, let s = slots[slot].parentSerial, s != parentSerial { return nil }
        if let aliveAt, !slots[slot].wasAlive(at: aliveAt) { return nil }
        return slots[slot]
    }

    public func makeIterator() -> Iterator { Iterator(list: self) }

    public struct Iterator: IteratorProtocol {
        fileprivate let list: IndexedRecords
        fileprivate var position = 0

        public mutating func next() -> ProcessRecord? {
            while true {
                let pid: ProcessID
                if let spilled = list.spilled {
                    guard position < spilled.count else { return nil }
                    pid = spilled[position]
                } else {
                    guard position < list.inlineCount else { return nil }
                    pid = ProcessID(list.inline[position])
                }
                position += 1
                if let r = list.admitted(pid) { return r }
            }
        }
    }
}

/// The parent chain of a process, nearest first, walked as it is iterated (see
/// `ProcessTable.ancestry(of:limit:)` for where it ends). The detectors' walks up the tree stop
/// after a few steps and allocate nothing: pids already passed are kept inline for up to 16.
public struct Ancestors: Sequence, IteratorProtocol, Sendable {
    private let slots: ContiguousArray<ProcessRecord>
    private let slotOf: PIDSlotMap
    /// The slot of the record last returned (or of the process asked about, at first).
    private var current: Int?
    private var remaining: Int
    private var visited = SIMD16<Int32>(repeating: 0)
    private var visitedCount = 0
    /// Pids passed beyond the 16 inline (only for limits above 15).
    private var moreVisited: [Int32] = []

    init(slots: ContiguousArray<ProcessRecord>, slotOf: PIDSlotMap, of pid: ProcessID, limit: Int) {
        self.slots = slots
        self.slotOf = slotOf
        self.current = slotOf[pid]
        self.remaining = limit
        if current != nil { visit(pid.rawValue) }
    }

    private func wasVisited(_ pid: Int32) -> Bool {
        for i in 0..<Swift.min(visitedCount, 16) where visited[i] == pid { return true }
        return moreVisited.contains(pid)
    }

    private mutating func visit(_ pid: Int32) {
        if visitedCount < 16 { visited[visitedCount] = pid } else { moreVisited.append(pid) }
        visitedCount += 1
    }

    public mutating func next() -> ProcessRecord? {
        guard remaining > 0, let c = current, let p = slots[c].ppid, let parent = slotOf[p], !wasVisited(p.rawValue),
              slots[c].parentSerial == nil || slots[c].parentSerial == slots[parent].serial else {
            current = nil
            return nil
        }
        remaining -= 1
        if remaining > 0 { visit(p.rawValue) }  // the last one is never compared against
        current = parent
        return slots[parent]
    }
}
