// SPDX-License-Identifier: Apache-2.0
// Differential check of ProcessTable's in-place updates (markExited, reparentChildren, the
// lifecycle's `modify`) and its incremental indexes: random operation sequences run against the
// table and against a reference kept here that does everything the slow, obvious way (copy the
// record out, change it, store it back; find children and inode holders by scanning every record).

import XCTest
@testable import RuntimeWatchCore

/// The obvious process table: a dictionary, and scans for every question.
private struct ReferenceTable {
    var records: [ProcessID: ProcessRecord] = [:]
    var nextSerial: UInt64 = 1

    mutating func upsert(_ record: ProcessRecord) -> ProcessRecord {
        var r = record
        if r.serial == 0 { r.serial = nextSerial; nextSerial += 1 }
        r.info.pid = r.pid
        r.info.ppid = r.ppid
        records[r.pid] = r
        return r
    }

    func children(of pid: ProcessID) -> [ProcessRecord] {
        guard let parent = records[pid] else { return [] }
        return records.values.filter { $0.ppid == pid && ($0.parentSerial == nil || $0.parentSerial == parent.serial) }
            .sorted { $0.pid < $1.pid }
    }

    func holders(ofInode inode: UInt64) -> [ProcessRecord] {
        records.values.filter { $0.standardStreamInodes.contains(inode) }.sorted { $0.pid < $1.pid }
    }

    /// The parent chain the obvious way: an array of every pid passed, searched at each step.
    func ancestry(of pid: ProcessID, limit: Int) -> [ProcessRecord] {
        guard var current = records[pid] else { return [] }
        var chain: [ProcessRecord] = []
        var passed = [pid]
        while chain.count < limit, let p = current.ppid, let parent = records[p], !passed.contains(p),
              current.parentSerial == nil || current.parentSerial == parent.serial {
            chain.append(parent)
            passed.append(p)
            current = parent
        }
        return chain
    }

    mutating func markExited(_ pid: ProcessID, at t: UInt64) {
        guard var r = records[pid], r.exitedAt == nil else { return }
        r.exitedAt = t
        _ = upsert(r)
    }

    mutating func reparentChildren(of pid: ProcessID, to newParent: ProcessID) {
        let newParentSerial = records[newParent]?.serial
        for child in children(of: pid) where child.isAlive && child.pid != newParent {
            var moved = child
            moved.ppid = newParent
            moved.parentSerial = newParentSerial
            _ = upsert(moved)
        }
    }
}

final class ProcessTableDifferentialTests: XCTestCase {
    private var rng = SplitMix64(seed: 0xD1FF)

    private func random(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

    private func randomFDs() -> [DescriptorInfo]? {
        if random(5) == 0 { return nil }
        return (0..<Int32(1 + random(4))).map { fd in
            switch random(4) {
            case 0: DescriptorInfo(fd: fd, kind: .pipe, target: "pipe", inode: UInt64(100 + random(6)))
            case 1: DescriptorInfo(fd: fd, kind: .socket, target: "socket", inode: UInt64(100 + random(6)))
            case 2: DescriptorInfo(fd: fd, kind: .pipe, target: "pipe")
            default: DescriptorInfo(fd: fd, kind: .devnull, target: "/dev/null")
            }
        }
    }

    private func assertSame(_ table: ProcessTable, _ reference: ReferenceTable, step: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Dictionary(uniqueKeysWithValues: table.all.map { ($0.pid, $0) }), reference.records,
                       "records differ after step \(step)", file: file, line: line)
        for pid in (Int32(1)...24).map({ ProcessID($0) }) {
            XCTAssertEqual(Array(table.children(of: pid)), reference.children(of: pid), "children of \(pid) after step \(step)", file: file, line: line)
            // Limits below, at and above the 16 pids the walk keeps inline.
            for limit in [1, 3, 16, 17, 30] {
                XCTAssertEqual(table.ancestry(of: pid, limit: limit), reference.ancestry(of: pid, limit: limit),
                               "ancestry of \(pid), limit \(limit), after step \(step)", file: file, line: line)
            }
        }
        for inode in UInt64(100)..<106 {
            XCTAssertEqual(Array(table.holders(ofInode: inode)), reference.holders(ofInode: inode), "holders of \(inode) after step \(step)", file: file, line: line)
        }
    }

    /// Chains deeper than the 16 pids the walk keeps inline: a 40-deep line, then the same line
    /// closed into a cycle at depth 20 (pid reuse can make one), walked from every pid.
    func testDeepChainsAndCyclesMatchTheReference() {
        for cycle in [false, true] {
            var table = ProcessTable(capacity: 100)
            var reference = ReferenceTable()
            for n in Int32(1)...40 {
                let ppid: ProcessID? = n == 1 ? (cycle ? ProcessID(20) : nil) : ProcessID(n - 1)
                let r = ProcessRecord(pid: ProcessID(n), ppid: ppid, info: ProcessInfo(pid: ProcessID(n), exe: "/bin/p"),
                                      container: nil, exitedAt: nil, since: 1, parentSerial: nil)
                XCTAssertEqual(table.upsert(r), reference.upsert(r))
            }
            for n in Int32(1)...40 {
                for limit in [4, 16, 17, 39, 100] {
                    XCTAssertEqual(table.ancestry(of: ProcessID(n), limit: limit).map(\.pid),
                                   reference.ancestry(of: ProcessID(n), limit: limit).map(\.pid), "pid \(n) limit \(limit) cycle \(cycle)")
                }
            }
            XCTAssertEqual(table.ancestry(of: ProcessID(10), limit: 100).count, cycle ? 19 : 9,
                           "10 → 1 is 9 ancestors; with the cycle 1 → 20 → … → 11 adds 10, and 10 itself ends it")
        }
    }

    func testRandomOperationsMatchTheReference() {
        for round in 0..<20 {
            var table = ProcessTable(capacity: 1000, gracePeriodNanoseconds: 50)
            var reference = ReferenceTable()
            var t: UInt64 = 0
            for step in 0..<400 {
                t += 1
                let pid = ProcessID(Int32(1 + random(24)))
                switch random(7) {
                case 0, 1:
                    // A new incarnation (serial 0) or a redefinition of the stored one (its serial).
                    var r = ProcessRecord(pid: pid, ppid: random(6) == 0 ? nil : ProcessID(Int32(1 + random(24))),
                                          info: ProcessInfo(pid: pid, exe: "/bin/p\(random(3))", fds: randomFDs()),
                                          container: nil, exitedAt: random(6) == 0 ? t : nil, since: t,
                                          parentSerial: random(3) == 0 ? nil : UInt64(random(40)))
                    if random(2) == 0, let existing = table[pid] { r.serial = existing.serial }
                    XCTAssertEqual(table.upsert(r), reference.upsert(r), "round \(round) step \(step)")
                case 2:
                    table.markExited(pid, at: t)
                    reference.markExited(pid, at: t)
                case 3:
                    let to = ProcessID(Int32(1 + random(24)))
                    table.reparentChildren(of: pid, to: to)
                    reference.reparentChildren(of: pid, to: to)
                case 4:
                    let newFDs = randomFDs()
                    let a = table.modify(pid) { $0.info.fds = newFDs; return 7 }
                    var b: Int?
                    if var r = reference.records[pid] { r.info.fds = newFDs; _ = reference.upsert(r); b = 7 }
                    XCTAssertEqual(a, b)
                case 5:
                    XCTAssertEqual(table.remove(pid), reference.records.removeValue(forKey: pid))
                default:
                    // Reaping drops exited records past the grace period; mirror what it dropped and
                    // check it dropped only those.
                    table.reap(now: t)
                    for (p, r) in reference.records where table[p] == nil {
                        XCTAssertTrue(r.exitedAt.map { $0 + 50 <= t } ?? false, "reaped \(p), not due")
                        reference.records[p] = nil
                    }
                }
                assertSame(table, reference, step: step)
            }
        }
    }
}
