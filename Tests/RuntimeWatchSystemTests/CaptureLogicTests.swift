// SPDX-License-Identifier: Apache-2.0
// The pure parts of live capture: raw event → Core event mapping (thread filtering, exit status),
// parents-first snapshot order, loss counting from per-CPU sequence numbers, clock conversion,
// and the prerequisite sentence. Runs without privileges.

import RuntimeWatchCore
import RuntimeWatchCapture
import RuntimeWatchSystem
import XCTest

final class CaptureLogicTests: XCTestCase {
    func testForkOfProcessIsKeptForkOfThreadIsFiltered() {
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .fork, pid: 10, tgid: 10, childPID: 11, childTGID: 11)),
                       .event(.fork(ForkEvent(parent: ProcessID(10), child: ProcessID(11)))))
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .fork, pid: 12, tgid: 10, childPID: 13, childTGID: 10)), .thread)
    }

    func testForkFromANonLeaderThreadNamesTheParentProcess() {
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .fork, pid: 12, tgid: 10, childPID: 14, childTGID: 14)),
                       .event(.fork(ForkEvent(parent: ProcessID(10), child: ProcessID(14)))))
    }

    func testExitDecodesCodeAndSignalAndFiltersThreads() {
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .exit, pid: 5, tgid: 5, exitStatus: 3 << 8, exitSignal: 17)),
                       .event(.exit(ExitEvent(pid: ProcessID(5), code: 3, signal: nil))))
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .exit, pid: 5, tgid: 5, exitStatus: 9, exitSignal: 17)),
                       .event(.exit(ExitEvent(pid: ProcessID(5), code: 0, signal: 9))))
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .exit, pid: 6, tgid: 5)), .thread)
    }

    func testOtherKinds() {
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .exec, pid: 7, tgid: 7)), .exec(ProcessID(7)))
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .uid, pid: 7, tgid: 7, realUID: 1, effectiveUID: 0)),
                       .event(.uid(IDChangeEvent(pid: ProcessID(7), real: 1, effective: 0))))
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .uid, pid: 8, tgid: 7)), .thread)
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .gid, pid: 7, tgid: 7, realGID: 2, effectiveGID: 3)),
                       .event(.gid(IDChangeEvent(pid: ProcessID(7), real: 2, effective: 3))))
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .comm, pid: 7, tgid: 7, comm: "kworker")),
                       .event(.comm(CommEvent(pid: ProcessID(7), comm: "kworker"))))
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .comm, pid: 9, tgid: 7, comm: "worker-thread")), .thread)
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .ptrace, pid: 9, tgid: 7, tracerPID: 100, tracerTGID: 100)),
                       .event(.ptrace(PtraceEvent(pid: ProcessID(7), tracer: ProcessID(100), attach: true))))
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .ptrace, pid: 7, tgid: 7)),
                       .event(.ptrace(PtraceEvent(pid: ProcessID(7), tracer: ProcessID(0), attach: false))))
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .sid, pid: 7, tgid: 7)), .event(.sid(PIDEvent(pid: ProcessID(7)))))
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .coredump, pid: 7, tgid: 7)), .event(.coredump(PIDEvent(pid: ProcessID(7)))))
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .none, ackError: 1)), .ack(error: 1))
        XCTAssertEqual(ProcEventMapper.map(RawProcEvent(kind: .unknown(0x400))), .unknown(0x400))
    }

    func testSnapshotOrderPutsParentsBeforeChildren() {
        func p(_ pid: Int32, _ ppid: Int32?) -> RuntimeWatchCore.ProcessInfo {
            RuntimeWatchCore.ProcessInfo(pid: ProcessID(pid), ppid: ppid.map { ProcessID($0) })
        }
        // Children with lower pids than their parents (pid wrap-around), an orphan whose parent is
        // not in the list, and a corrupt 2-cycle.
        let input = [p(5, 900), p(900, 1), p(1, 0), p(3, 5), p(2, nil), p(50, 4000), p(60, 61), p(61, 60)]
        let ordered = ProcSnapshot.orderParentsFirst(input).map(\.pid.rawValue)
        XCTAssertEqual(Set(ordered), Set(input.map(\.pid.rawValue)))
        XCTAssertEqual(ordered.count, input.count)
        func before(_ a: Int32, _ b: Int32) -> Bool { ordered.firstIndex(of: a)! < ordered.firstIndex(of: b)! }
        XCTAssertTrue(before(1, 900))
        XCTAssertTrue(before(900, 5))
        XCTAssertTrue(before(5, 3))
        XCTAssertEqual(ordered.suffix(2), [60, 61], "cycle members come last")
    }

    func testSequenceGapsCountLostEventsPerCPU() {
        var tracker = SequenceGapTracker()
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 100), 0, "first event sets the baseline")
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 101), 0)
        XCTAssertEqual(tracker.record(cpu: 1, sequence: 7), 0)
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 105), 3)
        XCTAssertEqual(tracker.record(cpu: 1, sequence: 8), 0)
        XCTAssertEqual(tracker.record(cpu: 1, sequence: UInt32.max), 0, "a jump of more than 2^30 is a reset, not a loss")
        XCTAssertEqual(tracker.record(cpu: 1, sequence: 1), 1, "wraps around UInt32")
    }

    func testWallClockConversion() {
        let clock = WallClock(offsetNanoseconds: 1_700_000_000_000_000_000)
        XCTAssertEqual(clock.wall(fromMonotonic: 5), 1_700_000_000_000_000_005)
        XCTAssertEqual(WallClock(offsetNanoseconds: -10).wall(fromMonotonic: 5), 0)
        let measured = WallClock.measure()
        let now = WallClock.nowNanoseconds()
        let converted = measured.wall(fromMonotonic: WallClock.monotonicNanoseconds())
        XCTAssertLessThan(converted > now ? converted - now : now - converted, 50_000_000, "within 50 ms of the wall clock")
    }

    func testPrerequisiteSentencesNameTheCapability() {
        XCTAssertNil(LivePrerequisites.missing(capEff: 0x1ff_ffff_ffff))
        XCTAssertTrue(LivePrerequisites.missing(capEff: 0)?.contains("CAP_NET_ADMIN") ?? false)
        XCTAssertTrue(LivePrerequisites.missing(capEff: 1 << 12)?.contains("CAP_SYS_PTRACE") ?? false)
        XCTAssertTrue(LivePrerequisites.missing(capEff: nil)?.contains("CapEff") ?? false)
    }

    func testLossWaitsForGapsThenReportsTheExactCount() throws {
        var loss = LossAccounting(delayNanoseconds: 250)
        XCTAssertFalse(loss.isDue(now: 0, idle: true))
        XCTAssertNil(loss.takeReport())
        loss.overflow(now: 1000)
        XCTAssertFalse(loss.isDue(now: 1100, idle: false), "waits for the gaps to show")
        loss.gap(40, now: 1100)
        loss.gap(2, now: 1200)
        XCTAssertTrue(loss.isDue(now: 1250, idle: false))
        let report = try XCTUnwrap(loss.takeReport())
        XCTAssertEqual(report.source, "proc_connector")
        XCTAssertEqual(report.count, 42)
        XCTAssertEqual(report.reason, "receive buffer overflow (ENOBUFS x1): 42 events missing from per-CPU sequence numbers")
        XCTAssertNil(loss.takeReport(), "reported once")
    }

    func testOverflowReportedBeforeItsGapIsNotCountedTwice() throws {
        var loss = LossAccounting(delayNanoseconds: 250)
        loss.overflow(now: 0)
        XCTAssertTrue(loss.isDue(now: 10, idle: true), "an idle connector reports at once")
        let early = try XCTUnwrap(loss.takeReport())
        XCTAssertEqual(early.count, 1)
        XCTAssertTrue(early.reason.contains("at least 1"), early.reason)
        loss.gap(30, now: 500)
        let late = try XCTUnwrap(loss.takeReport())
        XCTAssertEqual(late.count, 29, "the 1 already reported is deducted")
        XCTAssertEqual(late.reason, "sequence gap: 29 events missing from per-CPU sequence numbers")
        loss.overflow(now: 600)
        _ = loss.takeReport()
        loss.gap(1, now: 700)
        XCTAssertNil(loss.takeReport(), "a gap fully covered by an earlier report adds nothing")
    }
}
