// SPDX-License-Identifier: Apache-2.0
// The per-CPU sequence numbering counts the PROC_EVENT_NONE acks the kernel multicasts when any
// listener (e.g. forkstat) subscribes: decoded datagrams with such an ack between two events must
// not be reported as a lost event, while a real gap still is.

import RuntimeWatchCapture
import RuntimeWatchSystem
import XCTest

final class SequenceGapAckTests: XCTestCase {
    private typealias D = ProcConnectorDatagram

    private func execMessage(_ d: inout D, cpu: UInt32, seq: UInt32, pid: Int32) {
        d.message(data: D.event(what: KernelWhat.exec.rawValue, cpu: cpu, payload: D.words([pid, pid])), seq: seq)
    }

    private func ackMessage(_ d: inout D, cpu: UInt32, seq: UInt32) {
        d.message(data: D.event(what: KernelWhat.none.rawValue, cpu: cpu, payload: D.words([0])), seq: seq)
    }

    private func lost(_ d: D) -> [UInt64] {
        let batch = ProcConnector.decode(d.bytes)
        XCTAssertNil(batch.fault)
        var tracker = SequenceGapTracker()
        return batch.events.map { tracker.record($0).skipped }
    }

    func testAnotherListenersAckBetweenTwoEventsIsNotALoss() {
        var d = D()
        execMessage(&d, cpu: 1, seq: 1_068_092, pid: 100)
        ackMessage(&d, cpu: 1, seq: 1_068_093)  // forkstat subscribing, numbered on CPU 1
        execMessage(&d, cpu: 1, seq: 1_068_094, pid: 101)
        XCTAssertEqual(lost(d), [0, 0, 0])
    }

    func testUnnumberedAckOfOlderKernelsLeavesTheBaselineAlone() {
        var d = D()
        execMessage(&d, cpu: 0, seq: 500, pid: 100)
        ackMessage(&d, cpu: SequenceGapTracker.unnumberedCPU, seq: 0)  // seq copied from the request
        execMessage(&d, cpu: 0, seq: 501, pid: 101)
        XCTAssertEqual(lost(d), [0, 0, 0])
    }

    func testARealGapAfterAnAckIsStillCounted() {
        var d = D()
        execMessage(&d, cpu: 1, seq: 10, pid: 100)
        ackMessage(&d, cpu: 1, seq: 11)
        execMessage(&d, cpu: 1, seq: 14, pid: 101)  // 12 and 13 missing
        XCTAssertEqual(lost(d), [0, 0, 2])
    }
}
