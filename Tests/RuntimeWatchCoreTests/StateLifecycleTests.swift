// SPDX-License-Identifier: Apache-2.0
// Reparenting when a parent exits, and pid reuse (by timestamps and by start ticks).

import XCTest
@testable import RuntimeWatchCore

final class StateLifecycleTests: XCTestCase {
    static let containerCgroup = StateOrderingTests.containerCgroup

    func booted(_ b: inout TraceBuilder) -> SystemState {
        var state = SystemState()
        b.snapshot(1, ppid: 0, exe: "/sbin/init", cgroup: "/init.scope", startTicks: 1)
        b.snapshot(10, ppid: 1, exe: "/usr/sbin/sshd", cgroup: "/system.slice/sshd.service", startTicks: 50)
        b.snapshot(100, ppid: 1, exe: "/usr/bin/containerd-shim-runc-v2", cgroup: "/system.slice/containerd.service", startTicks: 500)
        b.snapshot(200, ppid: 100, exe: "/usr/sbin/nginx", cgroup: Self.containerCgroup, startTicks: 600)
        state.apply(b.records)
        return state
    }

    func testHostOrphansGoToInit() {
        var b = TraceBuilder()
        var state = booted(&b)
        state.apply(b.fork(parent: 10, child: 11))
        state.apply(b.exec(11, ppid: 10, exe: "/bin/bash", cgroup: "/user.slice/user-0.slice/session-1.scope"))
        state.apply(b.fork(parent: 11, child: 12))
        state.apply(b.exec(12, ppid: 11, exe: "/usr/bin/sleep", cgroup: "/user.slice/user-0.slice/session-1.scope"))
        state.apply(b.exit(11))
        XCTAssertEqual(state.process(ProcessID(12))?.ppid, ProcessID(1))
        XCTAssertEqual(state.process(ProcessID(12))?.info.ppid, ProcessID(1), "info.ppid follows")
        XCTAssertEqual(state.ancestry(of: ProcessID(12)).map(\.pid.rawValue), [1])
        XCTAssertEqual(state.processes.children(of: ProcessID(1)).map(\.pid.rawValue), [10, 12, 100])
    }

    func testContainerOrphansGoToTheContainerInit() {
        var b = TraceBuilder()
        var state = booted(&b)
        state.apply(b.fork(parent: 200, child: 201))
        state.apply(b.exec(201, ppid: 200, exe: "/bin/sh", cgroup: Self.containerCgroup))
        state.apply(b.fork(parent: 201, child: 202))
        state.apply(b.exec(202, ppid: 201, exe: "/bin/sleep", cgroup: Self.containerCgroup))
        state.apply(b.fork(parent: 201, child: 203))
        state.apply(b.exit(203))
        state.apply(b.exit(201))
        XCTAssertEqual(state.process(ProcessID(202))?.ppid, ProcessID(200), "pid-namespace init reaps, not host init")
        XCTAssertEqual(state.ancestry(of: ProcessID(202)).map(\.pid.rawValue), [200, 100, 1])
        XCTAssertEqual(state.process(ProcessID(203))?.ppid, ProcessID(201), "an exited child keeps its parent")
        XCTAssertEqual(state.ancestry(of: ProcessID(203)).map(\.pid.rawValue), [201, 200, 100, 1],
                       "exited processes stay resolvable through the grace period")
    }

    func testDockerExecSessionDoesNotDisplaceTheContainerInit() {
        var b = TraceBuilder()
        var state = booted(&b)
        // docker exec: runc (host) starts a shell in the container; its parent is outside it.
        state.apply(b.fork(parent: 100, child: 250))
        state.apply(b.exec(250, ppid: 100, exe: "/bin/sh", cgroup: Self.containerCgroup, startTicks: 9000))
        state.apply(b.fork(parent: 250, child: 251))
        state.apply(b.exec(251, ppid: 250, exe: "/bin/sleep", cgroup: Self.containerCgroup))
        state.apply(b.exit(250))
        XCTAssertEqual(state.process(ProcessID(251))?.ppid, ProcessID(200))
    }

    func testPidReuseAfterExitReplacesTheRecord() {
        var b = TraceBuilder()
        var state = booted(&b)
        state.apply(b.fork(parent: 200, child: 700))
        state.apply(b.exec(700, ppid: 200, exe: "/bin/a", cgroup: Self.containerCgroup))
        state.apply(b.exit(700))
        let old = try! XCTUnwrap(state.process(ProcessID(700)))
        state.apply(b.fork(parent: 10, child: 700))
        let new = try! XCTUnwrap(state.process(ProcessID(700)))
        XCTAssertNotEqual(new.serial, old.serial)
        XCTAssertNil(new.exitedAt)
        XCTAssertEqual(new.ppid, ProcessID(10))
        XCTAssertNil(new.container, "sshd's child is a host process")
        XCTAssertEqual(new.info.exe, "/usr/sbin/sshd")
        XCTAssertEqual(state.pidReuses, 1)
    }

    func testLateExitOfPreviousIncarnationIsIgnored() {
        var b = TraceBuilder()
        var state = booted(&b)
        let fork1 = b.fork(parent: 200, child: 900)
        let exec1 = b.exec(900, ppid: 200, exe: "/bin/a", cgroup: Self.containerCgroup)
        let exit1 = b.exit(900)
        let fork2 = b.fork(parent: 10, child: 900)
        // The old incarnation's exit arrives after the new fork.
        state.apply([fork1, exec1, fork2, exit1])
        let r = try! XCTUnwrap(state.process(ProcessID(900)))
        XCTAssertNil(r.exitedAt, "the new process is alive")
        XCTAssertEqual(r.ppid, ProcessID(10))
        XCTAssertEqual(state.staleEvents, 1)
        XCTAssertEqual(state.pidReuses, 1)
    }

    func testStartTicksTellIncarnationsApart() {
        var b = TraceBuilder()
        var state = booted(&b)
        state.apply(b.snapshot(800, ppid: 1, exe: "/usr/bin/old", cgroup: "/", startTicks: 1000))
        // The exit was lost (a drop); a resync finds another process with the same pid.
        state.apply(b.snapshot(800, ppid: 1, exe: "/usr/bin/new", cgroup: "/", startTicks: 2000))
        XCTAssertEqual(state.process(ProcessID(800))?.info.exe, "/usr/bin/new")
        XCTAssertEqual(state.pidReuses, 1)
        // A late read of the old process changes nothing.
        state.apply(b.snapshot(800, ppid: 1, exe: "/usr/bin/old", cgroup: "/", startTicks: 1000))
        XCTAssertEqual(state.process(ProcessID(800))?.info.exe, "/usr/bin/new")
        XCTAssertEqual(state.staleEvents, 1)
        // A zombie read after its exit (same start time) stays the same, exited, process.
        state.apply(b.exit(800))
        state.apply(b.snapshot(800, ppid: 1, exe: "/usr/bin/new", cgroup: "/", startTicks: 2000))
        XCTAssertNotNil(state.process(ProcessID(800))?.exitedAt)
        XCTAssertEqual(state.pidReuses, 1)
    }

    func testAncestryStopsAtAReusedParentPid() {
        var b = TraceBuilder()
        var state = booted(&b)
        state.apply(b.fork(parent: 10, child: 20))
        state.apply(b.exec(20, ppid: 10, exe: "/bin/bash", cgroup: "/"))
        state.apply(b.fork(parent: 20, child: 21))
        state.apply(b.exit(21))
        state.apply(b.exit(20))
        state.apply(b.fork(parent: 1, child: 20))   // pid 20 reused by an unrelated process
        XCTAssertEqual(state.process(ProcessID(21))?.ppid, ProcessID(20))
        XCTAssertEqual(state.ancestry(of: ProcessID(21)), [], "pid 20 is another process now")
    }

    func testAncestryIsBoundedOnCycles() {
        var table = ProcessTable()
        table.upsert(ProcessRecord(pid: ProcessID(5), ppid: ProcessID(6), info: ProcessInfo(pid: ProcessID(5)), container: nil, since: 1))
        table.upsert(ProcessRecord(pid: ProcessID(6), ppid: ProcessID(5), info: ProcessInfo(pid: ProcessID(6)), container: nil, since: 1))
        XCTAssertEqual(table.ancestry(of: ProcessID(5)).map(\.pid.rawValue), [6])
    }
}
