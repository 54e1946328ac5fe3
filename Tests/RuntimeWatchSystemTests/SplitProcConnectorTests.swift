// SPDX-License-Identifier: Apache-2.0
// The split proc connector (issue 14): an exec-only and an all-but-exec socket, filtered in the
// kernel, merged back into the kernel's order. Unit tests of the merge, and a live test that the two
// sockets together receive exactly what one unfiltered socket receives, with exact sequence numbers.

import Foundation
import Glibc
import RuntimeWatchCapture
import RuntimeWatchSystem
import XCTest

final class SplitProcConnectorTests: XCTestCase {
    private func event(_ kind: RawProcEvent.Kind, cpu: UInt32, seq: UInt32, at time: UInt64, pid: Int32 = 1) -> RawProcEvent {
        RawProcEvent(kind: kind, cpu: cpu, sequence: seq, timestampNanoseconds: time, pid: pid, tgid: pid)
    }

    private func keys(_ events: [RawProcEvent]) -> [String] { events.map { "\($0.cpu):\($0.sequence)" } }

    func testOneCPUsEventsAreMergedBySequenceEvenWhenTheirTimestampsDisagree() {
        // The kernel stamps the time before it takes the per-CPU number: a task preempted in between
        // can carry an earlier stamp than the event numbered before it. The number decides.
        let others = [event(.fork, cpu: 0, seq: 10, at: 500), event(.exit, cpu: 0, seq: 12, at: 700)]
        let execs = [event(.exec, cpu: 0, seq: 11, at: 400)]
        XCTAssertEqual(keys(SplitProcConnector.mergeInKernelOrder(others, execs)), ["0:10", "0:11", "0:12"])
    }

    func testDifferentCPUsAreMergedByTimestampAndEachSocketKeepsItsOrder() {
        let others = [event(.fork, cpu: 1, seq: 7, at: 100), event(.exit, cpu: 0, seq: 3, at: 400)]
        let execs = [event(.exec, cpu: 0, seq: 2, at: 200), event(.exec, cpu: 1, seq: 9, at: 500)]
        XCTAssertEqual(keys(SplitProcConnector.mergeInKernelOrder(others, execs)), ["1:7", "0:2", "0:3", "1:9"])
    }

    func testSequenceNumbersThatWrapStillMergeInOrder() {
        let others = [event(.fork, cpu: 0, seq: UInt32.max, at: 900)]
        let execs = [event(.exec, cpu: 0, seq: 0, at: 100)]  // numbered after the wrap
        XCTAssertEqual(keys(SplitProcConnector.mergeInKernelOrder(others, execs)), ["0:\(UInt32.max)", "0:0"])
    }

    func testTheMergedStreamCountsNoLossAndARealGapStillCounts() {
        let others = [event(.fork, cpu: 0, seq: 1, at: 1), event(.exit, cpu: 0, seq: 3, at: 3), event(.fork, cpu: 0, seq: 4, at: 4)]
        let execs = [event(.exec, cpu: 0, seq: 2, at: 2), event(.exec, cpu: 0, seq: 5, at: 5)]
        var tracker = SequenceGapTracker()
        XCTAssertEqual(SplitProcConnector.mergeInKernelOrder(others, execs).map { tracker.record($0).skipped }, [0, 0, 0, 0, 0])
        var withLoss = SequenceGapTracker()
        let lostExec = [execs[1]]  // seq 2 never arrived
        XCTAssertEqual(SplitProcConnector.mergeInKernelOrder(others, lostExec).map { withLoss.record($0).skipped }, [0, 1, 0, 0])
    }

    /// Live: an unfiltered socket and a split pair, open together, while this test spawns 30
    /// processes. For those processes the split pair receives exactly the unfiltered socket's events
    /// (same CPU and sequence numbers), the exec socket nothing but execs, the other socket no exec;
    /// merged, each child's fork, exec and exit come in that order.
    func testTheTwoSocketsSplitTheKernelStreamExactly() throws {
        try requireRoot()
        let plain = try ProcConnector.open(receiveBuffer: 4 << 20, receiveTimeout: .zero)
        defer { try? plain.close() }
        let split = try SplitProcConnector.open(receiveBuffer: 4 << 20)
        defer { try? split.close() }

        var children: Set<Int32> = []
        for _ in 0..<30 {
            let pid = try Spawn.run(["/bin/true"])
            children.insert(pid)
            Spawn.reap(pid)
        }

        func ours(_ e: RawProcEvent) -> Bool {
            e.kind == .fork ? children.contains(e.childTGID) : children.contains(e.tgid)
        }
        /// Everything queued on `socket` for our children, waiting (bounded) until `expected` of them came.
        func collect(_ socket: ProcConnector, expected: Int) throws -> [RawProcEvent] {
            var out: [RawProcEvent] = []
            let deadline = Date().addingTimeInterval(5)
            while out.count < expected && Date() < deadline {
                switch try socket.receive(wait: false) {
                case .batch(let batch): out += batch.events.filter(ours)
                case .overflow: XCTFail("receive buffer overflowed in a 30-process test")
                case .timeout: usleep(2_000)
                }
            }
            return out
        }
        // Each /bin/true child: fork, exec, exit (at least; a uid/comm change would add more).
        let unfiltered = try collect(plain, expected: 3 * children.count)
        let execs = try collect(split.execs, expected: children.count)
        let others = try collect(split.others, expected: 2 * children.count)

        XCTAssertEqual(unfiltered.filter { $0.kind == .exec }.count, children.count, "every child's exec on the unfiltered socket")
        XCTAssertTrue(execs.allSatisfy { $0.kind == .exec }, "the exec socket got something else")
        XCTAssertFalse(others.contains { $0.kind == .exec }, "the other socket got an exec")
        let merged = SplitProcConnector.mergeInKernelOrder(others, execs)
        XCTAssertEqual(Set(keys(merged)), Set(keys(unfiltered)), "the split pair's events differ from one unfiltered socket's")
        XCTAssertEqual(merged.count, unfiltered.count)
        for child in children {
            let kinds = merged.filter { $0.kind == .fork ? $0.childTGID == child : $0.tgid == child }.map(\.kind)
            XCTAssertEqual(kinds.filter { [.fork, .exec, .exit].contains($0) }, [.fork, .exec, .exit], "child \(child)")
        }
    }

    /// Live: `receiveQueued` takes many datagrams per system call and gets exactly what one-by-one
    /// `receive` gets on a second socket; a datagram that a user process sent to the socket is
    /// refused (foreign sender, reported) without losing the kernel's datagrams around it.
    func testBatchedReceiveGetsWhatOneByOneGetsAndRefusesAForeignSender() throws {
        try requireRoot()
        let batched = try ProcConnector.open(receiveBuffer: 4 << 20, receiveTimeout: .zero)
        defer { try? batched.close() }
        let single = try ProcConnector.open(receiveBuffer: 4 << 20, receiveTimeout: .zero)
        defer { try? single.close() }

        var children: Set<Int32> = []
        func spawnSome(_ n: Int) throws {
            for _ in 0..<n {
                let pid = try Spawn.run(["/bin/true"])
                children.insert(pid)
                Spawn.reap(pid)
            }
        }
        try spawnSome(10)
        try sendForeignExec(to: batched, pid: 424_242)
        try spawnSome(10)

        func ours(_ e: RawProcEvent) -> Bool { e.kind == .fork ? children.contains(e.childTGID) : children.contains(e.tgid) }
        let buffers = ProcReceiveBuffers()
        var fromBatches: [RawProcEvent] = []
        var faults: [ProcMessageFault] = []
        var calls = 0, datagrams = 0
        while true {
            guard case .batch(let batch) = try batched.receiveQueued(into: buffers, appendingTo: &fromBatches) else { break }
            calls += 1
            datagrams += batch.datagrams
            if let f = batch.fault { faults.append(f) }
            if batch.datagrams < ProcReceiveBuffers.datagramSlots { break }
        }
        var oneByOne: [RawProcEvent] = []
        while case .batch(let batch) = try single.receive(wait: false) { oneByOne += batch.events }

        XCTAssertEqual(fromBatches.filter(ours).count, 60, "fork, exec and exit of 20 children")
        XCTAssertEqual(keys(fromBatches.filter(ours)), keys(oneByOne.filter(ours)), "batched and one-by-one receives differ")
        XCTAssertLessThan(calls * 10, datagrams, "expected many datagrams per call, got \(datagrams) in \(calls)")
        XCTAssertEqual(faults.map(\.reason), [.foreignSender], "the user-sent datagram must be refused and reported")
        XCTAssertFalse(fromBatches.contains { $0.tgid == 424_242 }, "the forged exec was decoded")
    }

    /// Sends a well-formed exec event for `pid` to `socket`'s port from a user netlink socket.
    private func sendForeignExec(to socket: ProcConnector, pid: Int32) throws {
        var address = NetlinkAddress()
        var length = socklen_t(MemoryLayout<NetlinkAddress>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket.descriptor.rawValue, $0, &length) }
        }
        XCTAssertEqual(named, 0, "getsockname: \(errno)")
        let sender = Glibc.socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue), 11 /* NETLINK_CONNECTOR */)
        XCTAssertGreaterThanOrEqual(sender, 0)
        defer { close(sender) }
        var d = ProcConnectorDatagram()
        d.message(data: ProcConnectorDatagram.event(what: KernelWhat.exec.rawValue, payload: ProcConnectorDatagram.words([pid, pid])), seq: 1)
        var target = NetlinkAddress()
        target.pid = address.pid
        let sent = d.bytes.withUnsafeBytes { bytes in
            withUnsafePointer(to: &target) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(sender, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<NetlinkAddress>.size))
                }
            }
        }
        XCTAssertEqual(sent, d.bytes.count, "sendto: \(String(cString: strerror(errno)))")
    }
}

/// `struct sockaddr_nl` (linux/netlink.h), which Glibc's Swift module does not import.
private struct NetlinkAddress {
    var family = sa_family_t(AF_NETLINK)
    var pad: UInt16 = 0
    var pid: UInt32 = 0
    var groups: UInt32 = 0
}
