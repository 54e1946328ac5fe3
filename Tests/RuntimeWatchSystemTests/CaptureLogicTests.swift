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
        func skipped(_ cpu: UInt32, _ sequence: UInt32) -> UInt64 { tracker.record(cpu: cpu, sequence: sequence).skipped }
        XCTAssertEqual(skipped(0, 100), 0, "first event sets the baseline")
        XCTAssertEqual(skipped(0, 101), 0)
        XCTAssertEqual(skipped(1, 7), 0)
        XCTAssertEqual(skipped(0, 105), 3)
        XCTAssertEqual(skipped(1, 8), 0)
        XCTAssertEqual(skipped(1, 8 &+ (1 << 31)), 0, "a jump of more than 2^30 is a reset, not a loss")
        XCTAssertEqual(skipped(1, 9 &+ (1 << 31)), 0, "counted from the new baseline")
        XCTAssertEqual(skipped(2, UInt32.max - 1), 0)
        XCTAssertEqual(skipped(2, 1), 2, "wraps around UInt32: UInt32.max and 0 missing")
    }

    /// The exec socket and the other one are drained one after the other: an exit sent to the other
    /// socket just after its drain waits for the next wake-up, while an exec numbered after it on the
    /// same CPU is taken now. The exit is late, not lost (before, it was taken for a counter reset,
    /// and the next event counted it again: two phantom losses, reported as drops).
    func testAnEventArrivingAfterALaterNumberedOneIsLateNotLost() {
        var tracker = SequenceGapTracker()
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 100), SequenceStep())
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 102), SequenceStep(skipped: 1), "101 not here yet")
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 101), SequenceStep(arrivedLate: true))
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 103), SequenceStep(), "102 was the last: nothing skipped")
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 101), SequenceStep(), "a number seen twice is neither late nor lost")
        // Two late ones, out of order, among later events.
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 106), SequenceStep(skipped: 2))
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 107), SequenceStep())
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 105), SequenceStep(arrivedLate: true))
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 104), SequenceStep(arrivedLate: true))
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 104), SequenceStep())
        XCTAssertEqual(tracker.record(cpu: 0, sequence: 108), SequenceStep())
        // A real overrun: only the last `rememberedMissing` numbers can still come late.
        let overrunEnd: UInt32 = 108 + 1_001
        XCTAssertEqual(tracker.record(cpu: 0, sequence: overrunEnd), SequenceStep(skipped: 1_000))
        XCTAssertEqual(tracker.record(cpu: 0, sequence: overrunEnd - 1), SequenceStep(arrivedLate: true))
        XCTAssertEqual(tracker.record(cpu: 0, sequence: overrunEnd - UInt32(SequenceGapTracker.rememberedMissing)), SequenceStep(arrivedLate: true))
        XCTAssertEqual(tracker.record(cpu: 0, sequence: overrunEnd - UInt32(SequenceGapTracker.rememberedMissing) - 1), SequenceStep(),
                       "older than the remembered ones: not taken for a reset either")
        XCTAssertEqual(tracker.record(cpu: 0, sequence: overrunEnd + 1), SequenceStep())
        // Across the wrap of UInt32.
        XCTAssertEqual(tracker.record(cpu: 3, sequence: UInt32.max), SequenceStep())
        XCTAssertEqual(tracker.record(cpu: 3, sequence: 1), SequenceStep(skipped: 1))
        XCTAssertEqual(tracker.record(cpu: 3, sequence: 0), SequenceStep(arrivedLate: true))
    }

    /// The whole path of a reordering: two wake-ups of the receive loop, each merging what the two
    /// sockets gave in kernel order; the late event takes its gap back before the loss is reported.
    func testAReorderingAcrossTwoWakeUpsReportsNoLoss() {
        func event(_ kind: RawProcEvent.Kind, seq: UInt32, at t: UInt64) -> RawProcEvent {
            var e = RawProcEvent(kind: kind)
            e.cpu = 1; e.sequence = seq; e.timestampNanoseconds = t
            return e
        }
        var tracker = SequenceGapTracker()
        var loss = LossAccounting(delayNanoseconds: 250_000_000)
        func wake(others: [RawProcEvent], execs: [RawProcEvent], now: UInt64) {
            for e in SplitProcConnector.mergeInKernelOrder(others, execs) {
                let step = tracker.record(e)
                if step.skipped > 0 { loss.gap(step.skipped, now: now) }
                if step.arrivedLate { XCTAssertTrue(loss.arrivedLate(), "taken back before it was reported") }
            }
        }
        wake(others: [event(.fork, seq: 10, at: 1)], execs: [], now: 1)
        // The exit (11) reached the other socket just after its drain; the exec (12) is taken now.
        wake(others: [], execs: [event(.exec, seq: 12, at: 3)], now: 3)
        XCTAssertEqual(loss.pendingGapEvents, 1)
        wake(others: [event(.exit, seq: 11, at: 2), event(.fork, seq: 13, at: 4)], execs: [event(.exec, seq: 14, at: 5)], now: 5_000_000)
        XCTAssertFalse(loss.isDue(now: 1_000_000_000, idle: true), "nothing left to report")
        XCTAssertNil(loss.takeReport())
        // A real loss is still reported, once, with its exact count.
        wake(others: [event(.exit, seq: 17, at: 8)], execs: [], now: 6_000_000)
        let report = loss.takeReport()
        XCTAssertEqual(report?.count, 2)
        XCTAssertEqual(report?.cause, "sequence_gap")
    }

    func testALateEventAlreadyReportedIsNotTakenBackTwice() {
        var loss = LossAccounting(delayNanoseconds: 250)
        loss.gap(1, now: 0)
        XCTAssertEqual(loss.takeReport()?.count, 1)
        XCTAssertFalse(loss.arrivedLate(), "the report is out: nothing to take back")
        loss.gap(2, now: 10)
        XCTAssertTrue(loss.arrivedLate())
        XCTAssertEqual(loss.takeReport()?.count, 1)
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

    /// Connect capture numbers audit events by their serial, one counter for the whole node: the
    /// records of one event share it, a late event is taken back, and the counter wraps at 2^32.
    func testAuditSerialGapsCountLostConnectEventsExactly() throws {
        var serials = SequenceGapTracker()
        var loss = LossAccounting(delayNanoseconds: 250, source: "connect", numbering: "audit event serial numbers")
        func feed(_ serial: UInt32, at now: UInt64) {
            let step = serials.record(cpu: 0, sequence: serial)
            if step.skipped > 0 { loss.gap(step.skipped, now: now) }
            if step.arrivedLate { _ = loss.arrivedLate() }
        }
        for serial: UInt32 in [100, 100, 100, 101, 101] { feed(serial, at: 0) }   // SYSCALL, SOCKADDR, EOE…
        XCTAssertNil(loss.takeReport(), "records of one event, then the next: nothing lost")
        loss.overflow(now: 10)
        for serial: UInt32 in [105, 105, 103, 106] { feed(serial, at: 20) }     // 102-104 missed; 103 came late
        XCTAssertTrue(loss.isDue(now: 260, idle: false))
        let report = try XCTUnwrap(loss.takeReport())
        XCTAssertEqual(report.source, "connect")
        XCTAssertEqual(report.count, 2)
        XCTAssertEqual(report.cause, "kernel_overflow")
        XCTAssertEqual(report.reason, "receive buffer overflow (ENOBUFS x1): 2 events missing from audit event serial numbers")
        // The kernel's counter is 32 bits and wraps: 0 is the one missing after UInt32.max.
        serials = SequenceGapTracker()
        for serial: UInt32 in [UInt32.max - 1, UInt32.max, 1] { feed(serial, at: 300) }
        XCTAssertEqual(loss.takeReport()?.count, 1)
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
