// SPDX-License-Identifier: Apache-2.0
// Issue 19 item 2: the state's memory is bounded in bytes as well as records. A trace of 5,000 execs
// with 900 KB of argv each grew replay to 4.46 GB: each process's strings are cut to EventBounds
// where the event enters (and say so), and the table evicts past its byte budget as past its capacity.

@testable import RuntimeWatchCore
import XCTest

final class StateMemoryBoundsTests: XCTestCase {
    private func exec(_ pid: Int32, argvBytes: Int, at t: UInt64) -> EventRecord {
        EventRecord(timestamp: t, event: .exec(ProcessInfo(pid: ProcessID(pid), ppid: ProcessID(1), exe: "/usr/bin/x",
                                                           argv: ["x", String(repeating: "a", count: argvBytes)], cgroup: "/")))
    }

    func testAHugeArgvIsCutAndMarked() throws {
        var state = SystemState()
        let path = "/" + String(repeating: "d", count: 10_000)
        state.apply(EventRecord(timestamp: 1, event: .exec(ProcessInfo(pid: ProcessID(10), ppid: ProcessID(1), exe: path,
                                                                        argv: ["x", String(repeating: "é", count: 450_000)], cwd: "/tmp", cgroup: "/"))).bounded())
        let info = try XCTUnwrap(state.process(ProcessID(10))?.info)
        XCTAssertEqual(info.argv?.first, "x")
        XCTAssertLessThanOrEqual(info.argv?.reduce(0) { $0 + $1.utf8.count } ?? .max, EventBounds.argvBytes)
        XCTAssertTrue(info.argv?[1].allSatisfy { $0 == "é" } == true, "cut at a character boundary")
        XCTAssertEqual(info.exe?.utf8.count, EventBounds.pathBytes)
        XCTAssertEqual(info.cwd, "/tmp")
        XCTAssertEqual(info.truncated, ["argv", "exe"])
        // An ordinary process is untouched and unmarked.
        state.apply(exec(11, argvBytes: 100, at: 2).bounded())
        XCTAssertNil(state.process(ProcessID(11))?.info.truncated)
    }

    func testTooManyArgumentsAreCut() {
        var state = SystemState()
        state.apply(EventRecord(timestamp: 1, event: .exec(ProcessInfo(pid: ProcessID(10), argv: Array(repeating: "a", count: 5000)))).bounded())
        XCTAssertEqual(state.process(ProcessID(10))?.info.argv?.count, EventBounds.argvCount)
        XCTAssertEqual(state.process(ProcessID(10))?.info.truncated, ["argv"])
    }

    func testTheTableStaysWithinItsByteBudgetEvictingExitedProcessesFirst() {
        var state = SystemState(processes: ProcessTable(capacity: 65_536, byteBudget: 1 << 20))
        // 100 live processes with 16 KiB argv each would be 1.7 MB; 40 exited ones go first.
        var t: UInt64 = 1
        for pid in Int32(1000)..<1040 { state.apply(exec(pid, argvBytes: 16_000, at: t)); t += 1 }
        for pid in Int32(1000)..<1040 { state.apply(EventRecord(timestamp: t, event: .exit(ExitEvent(pid: ProcessID(pid), code: 0)))); t += 1 }
        for pid in Int32(2000)..<2060 { state.apply(exec(pid, argvBytes: 16_000, at: t)); t += 1 }
        XCTAssertLessThanOrEqual(state.processes.bytes, 1 << 20)
        XCTAssertGreaterThan(state.processes.evictions, 0)
        XCTAssertNotNil(state.process(ProcessID(2059)), "the newest live process is kept")
        let keptExited = (1000..<1040).filter { state.process(ProcessID(Int32($0))) != nil }.count
        let keptLive = (2000..<2060).filter { state.process(ProcessID(Int32($0))) != nil }.count
        XCTAssertTrue(keptExited == 0 || keptLive == 60, "exited records go before live ones (exited kept \(keptExited), live kept \(keptLive))")
    }

    func testManyShortLivedProcessesKeepTheCountersExact() {
        var state = SystemState(processes: ProcessTable(capacity: 4096, byteBudget: 1 << 20))
        var t: UInt64 = 1
        for pid in Int32(1)...20_000 {
            state.apply(exec(10_000 + pid, argvBytes: 1000, at: t)); t += 1
            state.apply(EventRecord(timestamp: t, event: .exit(ExitEvent(pid: ProcessID(10_000 + pid), code: 0)))); t += 1
        }
        XCTAssertLessThanOrEqual(state.processes.bytes, 1 << 20)
        // The byte counter matches what the records hold.
        let recount = state.processes.all.reduce(0) { $0 + ProcessTable.recordOverheadBytes + $1.info.stringBytes }
        XCTAssertEqual(state.processes.bytes, recount)
    }

    func testRecordsGrownByDescriptorEventsStayWithinTheByteBudget() {
        var state = SystemState(processes: ProcessTable(capacity: 65_536, byteBudget: 1 << 20))
        for pid in Int32(1000)..<1200 { state.apply(exec(pid, argvBytes: 10, at: UInt64(pid))) }
        let fds = (0..<EventBounds.descriptorCount).map { DescriptorInfo(fd: Int32($0), kind: .file, target: String(repeating: "f", count: 4000)) }
        for pid in Int32(1000)..<1200 {
            state.apply(EventRecord(timestamp: 5000, event: .descriptors(DescriptorsEvent(pid: ProcessID(pid), fds: fds))))
            XCTAssertLessThanOrEqual(state.processes.bytes, 1 << 20, "after the fds of \(pid)")
        }
        XCTAssertNotNil(state.process(ProcessID(1199)), "the record just changed is kept")
        let recount = state.processes.all.reduce(0) { $0 + ProcessTable.recordOverheadBytes + $1.info.stringBytes }
        XCTAssertEqual(state.processes.bytes, recount)
    }
}
