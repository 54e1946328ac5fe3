// SPDX-License-Identifier: Apache-2.0
// The state stays bounded: exited processes are reaped after the grace period measured in event
// time (never the wall clock), the table evicts beyond capacity (exited first, counted), and the
// container directory is bounded too.

import XCTest
@testable import RuntimeWatchCore

final class StateBoundsTests: XCTestCase {
    /// A clock far from today's: if anything read the wall clock, reaping would go wrong.
    let epoch2001: UInt64 = 1_000_000_000 * 1_000_000_000

    func testExitedProcessesAreReapedAfterTheGracePeriodInEventTime() {
        var state = SystemState(processes: ProcessTable(gracePeriodNanoseconds: 10_000_000_000))
        var b = TraceBuilder(start: epoch2001)
        state.apply(b.snapshot(1, ppid: 0, exe: "/sbin/init"))
        state.apply(b.fork(parent: 1, child: 50))
        let exit = b.exit(50)
        state.apply(exit)
        b.advance(by: 9_000_000_000)
        state.apply(b.comm(1, "systemd"))
        XCTAssertNotNil(state.process(ProcessID(50)), "within the grace period late events still resolve")
        b.advance(by: 2_000_000_000)
        state.apply(b.comm(1, "systemd"))
        XCTAssertNil(state.process(ProcessID(50)), "reaped once event time passed exit + grace")
        XCTAssertEqual(state.processes.reaped, 1)
        XCTAssertNotNil(state.process(ProcessID(1)), "live processes are never reaped")
    }

    func testAnEarlyTimestampDoesNotMoveTheClockBack() {
        var state = SystemState(processes: ProcessTable(gracePeriodNanoseconds: 1_000))
        state.apply(EventRecord(timestamp: epoch2001, event: .fork(ForkEvent(parent: ProcessID(1), child: ProcessID(2)))))
        state.apply(EventRecord(timestamp: epoch2001 + 10, event: .exit(ExitEvent(pid: ProcessID(2), code: 0))))
        state.apply(EventRecord(timestamp: epoch2001 + 5_000, event: .sid(PIDEvent(pid: ProcessID(1)))))
        XCTAssertNil(state.process(ProcessID(2)))
        state.apply(EventRecord(timestamp: epoch2001 + 20, event: .fork(ForkEvent(parent: ProcessID(1), child: ProcessID(3)))))
        XCTAssertEqual(state.now, epoch2001 + 5_000)
    }

    func testOutOfOrderExitsAreAllReaped() {
        var state = SystemState(processes: ProcessTable(gracePeriodNanoseconds: 1_000))
        let t = epoch2001
        for pid: Int32 in 10..<20 { state.apply(EventRecord(timestamp: t, event: .fork(ForkEvent(parent: ProcessID(1), child: ProcessID(pid))))) }
        // Exits delivered newest first.
        for pid: Int32 in (10..<20).reversed() {
            state.apply(EventRecord(timestamp: t + UInt64(pid), event: .exit(ExitEvent(pid: ProcessID(pid), code: 0))))
        }
        state.apply(EventRecord(timestamp: t + 2_000, event: .sid(PIDEvent(pid: ProcessID(1)))))
        XCTAssertEqual(state.processes.count, 0)
        XCTAssertEqual(state.processes.reaped, 10)
    }

    /// Reap stops at the oldest pending exit and skips its lookups until that exit is due. A record
    /// behind it that exited earlier (exits delivered out of order) must still go as soon as the one
    /// it waits on is removed, replaced or evicted, not when the waited-on exit would have been due.
    func testReapWaitingOnAnExitResumesWhenThatRecordChanges() {
        func exited(_ pid: Int32, at t: UInt64) -> ProcessRecord {
            ProcessRecord(pid: ProcessID(pid), ppid: ProcessID(1), info: ProcessInfo(pid: ProcessID(pid)), container: nil,
                          exitedAt: t, since: 1)
        }
        func alive(_ pid: Int32, at t: UInt64) -> ProcessRecord {
            ProcessRecord(pid: ProcessID(pid), ppid: ProcessID(1), info: ProcessInfo(pid: ProcessID(pid)), container: nil, since: t)
        }
        for change in ["removed", "replaced", "marked again", "evicted"] {
            var table = ProcessTable(capacity: 3, gracePeriodNanoseconds: 50)
            table.upsert(exited(10, at: 100))   // first in the exit queue, due at 150
            table.upsert(exited(20, at: 20))    // behind it, due at 70
            table.reap(now: 80)
            XCTAssertNotNil(table[ProcessID(20)], "\(change): waits behind pid 10, as before")
            switch change {
            case "removed": table.remove(ProcessID(10))
            case "replaced": table.upsert(alive(10, at: 90))
            case "marked again":
                // A new incarnation that exits: a new ticket at the queue's end; the old one is stale.
                table.upsert(alive(10, at: 90))
                table.markExited(ProcessID(10), at: 95)
            default:
                // Over capacity: the oldest exit (pid 10's ticket) is evicted first.
                table.upsert(alive(30, at: 90))
                table.upsert(alive(31, at: 90))
                XCTAssertNil(table[ProcessID(10)], "evicted")
            }
            table.reap(now: 81)
            XCTAssertNil(table[ProcessID(20)], "\(change): pid 10 no longer holds the queue, so pid 20 (due at 70) is reaped")
            XCTAssertEqual(table.reaped, 1, change)
        }
    }

    func testCapacityEvictsExitedBeforeLiveAndCounts() {
        var state = SystemState(processes: ProcessTable(capacity: 100, gracePeriodNanoseconds: UInt64.max / 2))
        var b = TraceBuilder(start: epoch2001)
        state.apply(b.snapshot(1, ppid: 0, exe: "/sbin/init"))
        for pid: Int32 in 2...41 {
            state.apply(b.fork(parent: 1, child: pid))
            state.apply(b.exit(pid))
        }
        for pid: Int32 in 1000...1098 { state.apply(b.fork(parent: 1, child: pid)) }
        XCTAssertEqual(state.processes.count, 100)
        XCTAssertEqual(state.processes.all.filter { !$0.isAlive }.count, 0, "all exited records went first")
        XCTAssertEqual(state.processes.evictions, 40)

        // Only live records left: a batch of the least recently defined goes (capacity/16 slack).
        state.apply(b.fork(parent: 1, child: 1099))
        XCTAssertEqual(state.processes.count, 94)
        XCTAssertEqual(state.processes.evictions, 47)
        XCTAssertNil(state.process(ProcessID(1000)), "oldest live evicted")
        XCTAssertNil(state.process(ProcessID(1006)))
        XCTAssertNotNil(state.process(ProcessID(1007)))
        XCTAssertNotNil(state.process(ProcessID(1)), "init is never evicted")
        XCTAssertNotNil(state.process(ProcessID(1099)), "the record being stored is never the victim")
    }

    func testIndexesStayConsistentUnderEviction() {
        var table = ProcessTable(capacity: 10)
        for pid: Int32 in 1...50 {
            var info = ProcessInfo(pid: ProcessID(pid))
            info.fds = TraceBuilder.streams(.pipe, inode: 7)
            table.upsert(ProcessRecord(pid: ProcessID(pid), ppid: ProcessID(pid == 1 ? 0 : 1), info: info, container: nil, since: UInt64(pid)))
        }
        XCTAssertLessThanOrEqual(table.count, 10)
        let holders = table.holders(ofInode: 7).map(\.pid)
        XCTAssertEqual(Set(holders), Set(table.all.map(\.pid)), "no evicted pid left in the inode index")
        XCTAssertEqual(Set(table.children(of: ProcessID(1)).map(\.pid)), Set(table.all.map(\.pid)).subtracting([ProcessID(1)]))
    }

    func testContainerDirectoryIsBounded() {
        var state = SystemState(containerCapacity: 3)
        var b = TraceBuilder(start: epoch2001)
        let ids = (0..<5).map { ContainerID(String(repeating: String($0), count: 64)) }
        for id in ids { state.apply(b.container(ContainerInfo(id: id, runtime: "containerd", podName: "p\(id.short)"))) }
        XCTAssertEqual(state.containers.count, 3)
        XCTAssertEqual(state.containerDirectory.evictions, 2)
        XCTAssertNil(state.container(ids[0]))
        XCTAssertNotNil(state.container(ids[4]))
        // Updating an entry makes it recent: the next eviction takes another one.
        state.apply(b.container(ContainerInfo(id: ids[2], runtime: "containerd", podName: "renamed")))
        state.apply(b.container(ContainerInfo(id: ContainerID(String(repeating: "a", count: 64)), runtime: "docker")))
        XCTAssertEqual(state.container(ids[2])?.podName, "renamed")
        XCTAssertNil(state.container(ids[3]))
    }

    func testContainerEventMergesWhatTheCgroupSaid() {
        var state = SystemState()
        var b = TraceBuilder(start: epoch2001)
        let id = "562d57d2a7024af7788335df24fc997c9029d29fc820445c40ec3628c9c4a324"
        let uid = "70ef7566-0545-479b-acae-293598e45cdc"
        state.apply(b.exec(5, ppid: 1, exe: "/app", cgroup: "/kubepods/burstable/pod\(uid)/\(id)"))
        XCTAssertEqual(state.container(ContainerID(id)), ContainerInfo(id: ContainerID(id), runtime: "containerd", podUID: uid, qosClass: "burstable"))
        state.apply(b.container(ContainerInfo(id: ContainerID(id), runtime: "containerd", podName: "web-0", namespace: "shop", image: "nginx:1.25")))
        let merged = state.container(ContainerID(id))
        XCTAssertEqual(merged?.podName, "web-0")
        XCTAssertEqual(merged?.podUID, uid, "kept from the cgroup path")
        XCTAssertEqual(merged?.qosClass, "burstable")
    }
}
