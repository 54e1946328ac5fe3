// SPDX-License-Identifier: Apache-2.0
// The process table's pid → slot index: open addressing with linear probing over one array of
// (pid, slot) pairs, half full at most. The table asks it several times per event, for records
// scattered over a megabyte of memory; a `Dictionary` keeps its occupancy bitmap, keys and values
// in three arrays, so one lookup touched three cache lines (its probe was 4.5% of a replay's
// samples, issue 17). Here a lookup reads one line, and hashes with a multiply instead of SipHash.
//
// The multiplier's input is the pid mixed with a per-map random value, so which pids collide is
// not known ahead: a workload cannot pick pids that pile onto one probe run.

struct PIDSlotMap: Sendable {
    /// A pid and where its record is; `slot < 0` marks an empty entry.
    private struct Entry {
        var pid: Int32
        var slot: Int32
        static let empty = Entry(pid: 0, slot: -1)
    }

    private var entries: ContiguousArray<Entry>
    /// 64 minus log2(entries.count): the hash's top bits index the array.
    private var shift: UInt64
    private let seed: UInt32
    /// Pids mapped.
    private(set) var count = 0

    init() {
        entries = ContiguousArray(repeating: .empty, count: 16)
        shift = 64 - 4
        seed = UInt32.random(in: .min ... .max)
    }

    /// Eight consecutive pids share a cache line of entries, and these blocks are spread over the
    /// array by Fibonacci hashing. The kernel hands out pids in order, so the processes of one
    /// burst (a build's compilers, a shell's pipeline), and their exits later, touch few lines.
    private func home(_ pid: Int32) -> Int {
        let bits = UInt32(bitPattern: pid)
        let block = (UInt64((bits >> 3) ^ seed) &* 0x9E37_79B9_7F4A_7C15) >> (shift + 3)
        return Int(truncatingIfNeeded: block << 3) | Int(bits & 7)
    }

    /// Where `pid` is stored, or the empty entry where it would go.
    private func position(of pid: Int32) -> (index: Int, found: Bool) {
        let mask = entries.count - 1
        var i = home(pid)
        while true {
            let entry = entries[i]
            if entry.slot < 0 { return (i, false) }
            if entry.pid == pid { return (i, true) }
            i = (i + 1) & mask
        }
    }

    /// The slot of `pid`, or nil.
    subscript(pid: ProcessID) -> Int? {
        let (i, found) = position(of: pid.rawValue)
        return found ? Int(entries[i].slot) : nil
    }

    /// Maps `pid` to `slot`, replacing what it mapped to.
    mutating func set(_ slot: Int, for pid: ProcessID) {
        precondition(slot >= 0 && slot <= Int(Int32.max), "PIDSlotMap slot \(slot) out of range")
        let (i, found) = position(of: pid.rawValue)
        entries[i] = Entry(pid: pid.rawValue, slot: Int32(slot))
        if found { return }
        count += 1
        if count * 2 > entries.count { grow() }
    }

    /// Unmaps `pid`; returns the slot it had.
    @discardableResult
    mutating func removeValue(for pid: ProcessID) -> Int? {
        let at = position(of: pid.rawValue)
        guard at.found else { return nil }
        var hole = at.index
        let removed = Int(entries[hole].slot)
        count -= 1
        // Backward-shift deletion: later entries of the probe run that may live in the hole move
        // into it, so every remaining pid stays reachable from its home without tombstones.
        let mask = entries.count - 1
        var next = hole
        while true {
            next = (next + 1) & mask
            let entry = entries[next]
            if entry.slot < 0 { break }
            // The entry may move back to `hole` unless its home lies cyclically in (hole, next].
            let home = self.home(entry.pid)
            let homeAfterHole = hole <= next ? (home > hole && home <= next) : (home > hole || home <= next)
            if homeAfterHole { continue }
            entries[hole] = entry
            hole = next
        }
        entries[hole] = .empty
        return removed
    }

    private mutating func grow() {
        let old = entries
        entries = ContiguousArray(repeating: .empty, count: old.count * 2)
        shift -= 1
        for entry in old where entry.slot >= 0 {
            entries[position(of: entry.pid).index] = entry
        }
    }
}
