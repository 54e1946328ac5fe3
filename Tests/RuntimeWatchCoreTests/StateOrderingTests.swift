// SPDX-License-Identifier: Apache-2.0
// SystemState under the delivery orders the kernel and capture really produce: exit before exec,
// exec before fork, fork of an unknown parent, and every permutation of one process's life.

import XCTest
@testable import RuntimeWatchCore

final class StateOrderingTests: XCTestCase {
    static let containerID = "562d57d2a7024af7788335df24fc997c9029d29fc820445c40ec3628c9c4a324"
    static let containerCgroup = "/system.slice/docker-\(containerID).scope"
    let container = ContainerID(StateOrderingTests.containerID)

    /// init(1) → containerd-shim(100, host) → container init nginx(200).
    func bootedHost(_ b: inout TraceBuilder) -> SystemState {
        var state = SystemState()
        b.snapshot(1, ppid: 0, exe: "/sbin/init", cgroup: "/init.scope", startTicks: 1)
        b.snapshot(100, ppid: 1, exe: "/usr/bin/containerd-shim-runc-v2", cgroup: "/system.slice/containerd.service", startTicks: 500)
        b.snapshot(200, ppid: 100, exe: "/usr/sbin/nginx", cgroup: Self.containerCgroup, startTicks: 600)
        state.apply(b.records)
        return state
    }

    func testInOrderAncestryAndContainer() {
        var b = TraceBuilder()
        var state = bootedHost(&b)
        state.apply(b.fork(parent: 200, child: 201))
        state.apply(b.exec(201, ppid: 200, exe: "/bin/sh", cgroup: Self.containerCgroup))
        let sh = try! XCTUnwrap(state.process(ProcessID(201)))
        XCTAssertEqual(sh.container, container)
        XCTAssertEqual(sh.attribution, .cgroup)
        XCTAssertEqual(sh.info.exe, "/bin/sh")
        XCTAssertEqual(state.ancestry(of: ProcessID(201)).map(\.pid.rawValue), [200, 100, 1], "ancestry reaches init")
        XCTAssertEqual(state.ancestry(of: ProcessID(201), limit: 2).map(\.pid.rawValue), [200, 100])
        XCTAssertNil(state.process(ProcessID(100))?.container, "the shim is a host process")
        XCTAssertEqual(state.container(container)?.runtime, "docker", "metadata known from the cgroup path")
        XCTAssertEqual(state.unknownProcessEvents, 0)
    }

    /// fork, exec and exit of one short-lived process, delivered in all six orders: the state
    /// must end up the same each time.
    func testEveryDeliveryOrderOfForkExecExitSettlesTheSame() {
        var b = TraceBuilder()
        let base = bootedHost(&b)
        let fork = b.fork(parent: 200, child: 300)
        let exec = b.exec(300, ppid: 200, exe: "/usr/bin/curl", cgroup: Self.containerCgroup)
        let exit = b.exit(300)
        let orders: [[EventRecord]] = [
            [fork, exec, exit], [fork, exit, exec], [exec, fork, exit],
            [exec, exit, fork], [exit, fork, exec], [exit, exec, fork],
        ]
        for order in orders {
            var state = base
            state.apply(order)
            let label = order.map(\.event.kind).joined(separator: ",")
            let r = try! XCTUnwrap(state.process(ProcessID(300)), label)
            XCTAssertEqual(r.exitedAt, exit.timestamp, label)
            XCTAssertEqual(r.info.exe, "/usr/bin/curl", label)
            XCTAssertEqual(r.ppid, ProcessID(200), label)
            XCTAssertEqual(r.container, container, label)
            XCTAssertEqual(state.ancestry(of: ProcessID(300)).map(\.pid.rawValue), [200, 100, 1], label)
            XCTAssertEqual(state.staleEvents, 0, label)
            XCTAssertEqual(state.pidReuses, 0, label)
        }
    }

    func testExecBeforeForkKeepsExecInfoAndTakesParentFromFork() {
        var b = TraceBuilder()
        var state = bootedHost(&b)
        let fork = b.fork(parent: 200, child: 301)
        // /proc was already gone for ppid and cgroup: only the fork can tell the parent.
        var execInfo = ProcessInfo(pid: ProcessID(301), exe: "/bin/busybox", argv: ["wget"], source: "partial")
        execInfo.comm = "wget"
        let exec = b.emit(.exec(execInfo))
        state.apply([exec, fork])
        let r = try! XCTUnwrap(state.process(ProcessID(301)))
        XCTAssertEqual(r.info.exe, "/bin/busybox", "the fork must not overwrite what exec read")
        XCTAssertEqual(r.since, exec.timestamp)
        XCTAssertEqual(r.firstSeen, fork.timestamp)
        XCTAssertEqual(r.ppid, ProcessID(200))
        XCTAssertEqual(r.container, container, "inherited from the parent once the fork says who it is")
        XCTAssertEqual(r.attribution, .parent)
    }

    func testForkOfUnknownParentIsResolvedWhenTheParentIsDefined() {
        var b = TraceBuilder()
        var state = bootedHost(&b)
        state.apply(b.fork(parent: 400, child: 401))
        state.apply(b.fork(parent: 401, child: 402))
        XCTAssertEqual(state.unknownProcessEvents, 1)
        XCTAssertEqual(state.process(ProcessID(401))?.attribution, .unknown)
        XCTAssertNil(state.process(ProcessID(402))?.container)
        // The parent's snapshot (resync after a drop) arrives later.
        state.apply(b.snapshot(400, ppid: 200, exe: "/usr/bin/python3", cgroup: Self.containerCgroup, startTicks: 900))
        for pid: Int32 in [401, 402] {
            let r = try! XCTUnwrap(state.process(ProcessID(pid)))
            XCTAssertEqual(r.container, container, "pid \(pid)")
            XCTAssertEqual(r.attribution, .parent, "pid \(pid)")
        }
        XCTAssertEqual(state.ancestry(of: ProcessID(402)).map(\.pid.rawValue), [401, 400, 200, 100, 1])
    }

    func testChildForkedAndExitedBeforeBeingReadBelongsToParentContainer() {
        var b = TraceBuilder()
        var state = bootedHost(&b)
        let fork = b.fork(parent: 200, child: 310)
        let exit = b.exit(310)
        // Both orders: the exit may be delivered before the fork.
        for order in [[fork, exit], [exit, fork]] {
            var s = state
            s.apply(order)
            let r = try! XCTUnwrap(s.process(ProcessID(310)))
            XCTAssertEqual(r.container, container)
            XCTAssertEqual(r.attribution, .parent)
            XCTAssertEqual(r.info.exe, "/usr/sbin/nginx", "ran the parent's image")
            XCTAssertNil(r.info.startTicks, "a fork copy does not inherit the parent's start time")
            XCTAssertEqual(r.exitedAt, exit.timestamp)
        }
        state.apply([fork, exit])
        // A late connect from the exited child still resolves to the container.
        state.apply(b.emit(.connect(ConnectEvent(pid: ProcessID(310), proto: "tcp", remoteAddress: "198.51.100.7", remotePort: 4444))))
        XCTAssertEqual(state.process(ProcessID(310))?.container, container)
    }

    func testExitOfUnknownPidLeavesTombstoneThatLateEventsFill() {
        var b = TraceBuilder()
        var state = bootedHost(&b)
        var info = ProcessInfo(pid: ProcessID(320), ppid: ProcessID(200), exe: "/bin/cat", cgroup: Self.containerCgroup)
        info.source = "proc"
        let open = b.fileOpen(320, path: "/var/run/secrets/kubernetes.io/serviceaccount/token", process: info)
        let exit = b.exit(320)
        state.apply([exit, open])
        let r = try! XCTUnwrap(state.process(ProcessID(320)))
        XCTAssertEqual(r.exitedAt, exit.timestamp, "still dead")
        XCTAssertEqual(r.info.exe, "/bin/cat")
        XCTAssertEqual(r.container, container)
        XCTAssertEqual(r.origin, .event)
    }

    func testFileOpenFillsWhatALaggingExecReadMissedButReplacesNothing() {
        var b = TraceBuilder()
        var state = bootedHost(&b)
        state.apply(b.fork(parent: 200, child: 330))
        // The exec read found the process gone before status: no credentials.
        state.apply(b.exec(330, ppid: 200, exe: "/bin/cat", cgroup: Self.containerCgroup))
        XCTAssertNil(state.process(ProcessID(330))?.info.credentials)
        var held = ProcessInfo(pid: ProcessID(330), ppid: ProcessID(200), exe: "/bin/cat", cgroup: Self.containerCgroup)
        held.credentials = Credentials(uid: 1000, euid: 1000, gid: 1000, egid: 1000, capEff: 0)
        held.argv = ["cat", "token"]
        held.comm = "other"
        state.apply(b.fileOpen(330, path: "/var/run/secrets/kubernetes.io/serviceaccount/token", process: held))
        let r = try! XCTUnwrap(state.process(ProcessID(330)))
        XCTAssertEqual(r.origin, .exec, "the exec record stays")
        XCTAssertEqual(r.info.credentials?.euid, 1000, "uids filled from the held opener's read")
        XCTAssertEqual(r.info.comm, "cat", "what the record has is not replaced")
        XCTAssertEqual(r.info.exe, "/bin/cat")
        XCTAssertEqual(r.ppid, ProcessID(200))
        XCTAssertEqual(state.ancestry(of: ProcessID(330)).map(\.pid.rawValue), [200, 100, 1])
    }

    /// Audit's connect (with enrichment's read of the process) delivered before the proc
    /// connector's fork and exec of that process, and stamped 3 ms before the fork: audit stamps in
    /// milliseconds from another clock (2.6 ms apart seen live). One process, one serial: the fork
    /// completes the connect's record instead of replacing it as a reused pid.
    func testConnectStampedBeforeTheForkOfItsProcessIsTheSameProcess() {
        var b = TraceBuilder()
        var state = bootedHost(&b)
        let read = ProcessInfo(pid: ProcessID(340), ppid: ProcessID(200), exe: "/bin/busybox", argv: ["nc", "198.51.100.1", "4444"],
                               cgroup: Self.containerCgroup, startTicks: 900, source: "proc")
        let forkAt = b.now + 10_000_000
        state.apply(EventRecord(timestamp: forkAt - 3_000_000, event: .connect(ConnectEvent(pid: ProcessID(340), proto: "tcp",
                                                                                        remoteAddress: "198.51.100.1", remotePort: 4444, process: read))))
        let serial = try! XCTUnwrap(state.process(ProcessID(340))).serial
        state.apply(EventRecord(timestamp: forkAt, event: .fork(ForkEvent(parent: ProcessID(200), child: ProcessID(340)))))
        state.apply(EventRecord(timestamp: forkAt + 200_000, event: .exec(read)))
        let r = try! XCTUnwrap(state.process(ProcessID(340)))
        XCTAssertEqual(r.serial, serial, "the fork and exec are of the process that connected")
        XCTAssertEqual(state.pidReuses, 0)
        XCTAssertEqual(r.info.argv, ["nc", "198.51.100.1", "4444"])
        XCTAssertEqual(state.ancestry(of: ProcessID(340)).map(\.pid.rawValue), [200, 100, 1])

        // The same pid forked again from another parent is another process.
        state.apply(EventRecord(timestamp: forkAt + 400_000, event: .exit(ExitEvent(pid: ProcessID(340), code: 0))))
        state.apply(EventRecord(timestamp: forkAt + 900_000, event: .fork(ForkEvent(parent: ProcessID(100), child: ProcessID(340)))))
        XCTAssertNotEqual(state.process(ProcessID(340))?.serial, serial)
        XCTAssertEqual(state.pidReuses, 1)
    }

    func testStaleUpdateIsNotApplied() {
        var b = TraceBuilder()
        var state = bootedHost(&b)
        let comm = b.comm(200, "old-name")
        let resync = b.snapshot(200, ppid: 100, exe: "/usr/sbin/nginx", cgroup: Self.containerCgroup, startTicks: 600)
        state.apply([resync, comm])
        XCTAssertEqual(state.process(ProcessID(200))?.info.comm, "nginx", "the newer /proc read wins")
        XCTAssertEqual(state.staleEvents, 1)
        state.apply(b.comm(200, "worker"))
        XCTAssertEqual(state.process(ProcessID(200))?.info.comm, "worker")
    }
}
