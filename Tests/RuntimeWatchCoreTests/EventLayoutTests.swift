// SPDX-License-Identifier: Apache-2.0
// Events and records are copied at every stage (source → bounds → engine → state → detectors), so
// their inline size is a cost per event. A rare payload stored inline (the audit event was ~450
// bytes) made every event that size; a process's strings copied one by one made every record copy
// retain each of them. These guard the sizes the engine's throughput was measured with.

import XCTest
@testable import RuntimeWatchCore

final class EventLayoutTests: XCTestCase {
    func testAnEventIsNoLargerThanAProcessInfo() {
        // Exec and snapshot carry a process info inline; every other payload larger than that is
        // boxed (connect was 136 bytes inline and made every event 145).
        XCTAssertLessThanOrEqual(MemoryLayout<EventRecord>.size, MemoryLayout<RuntimeWatchCore.ProcessInfo>.size + 16,
                                 "a payload larger than a process info belongs behind `indirect`")
    }

    func testADescriptorKeepsItsRareSocketOutOfLine() {
        // A descriptor is copied several times while it is decoded and read; most are not sockets.
        XCTAssertLessThanOrEqual(MemoryLayout<DescriptorInfo>.size, 56, "the socket belongs in its box")
        let socket = DescriptorInfo.Socket(family: "inet", proto: "tcp", remoteAddress: "198.51.100.7", remotePort: 4444)
        var fd = DescriptorInfo(fd: 0, kind: .socket, target: "socket:[9]", inode: 9, socket: socket)
        let copy = fd
        fd.socket?.remotePort = 80
        XCTAssertEqual(copy.socket?.remotePort, 4444, "a copy keeps its socket when the original's changes")
        XCTAssertEqual(fd.socket?.remotePort, 80)
        XCTAssertNotEqual(fd, copy)
        fd.socket?.remotePort = 4444
        XCTAssertEqual(fd, copy, "equality compares the socket, not its box")
        XCTAssertEqual(fd.hashValue, copy.hashValue)
        fd.socket = nil
        XCTAssertNil(fd.socket)
        XCTAssertNotEqual(fd, copy)
    }

    func testProcessInfoSharesItsStringsAcrossCopies() {
        XCTAssertLessThanOrEqual(MemoryLayout<RuntimeWatchCore.ProcessInfo>.size, 64)
        var parent = RuntimeWatchCore.ProcessInfo(pid: ProcessID(10), exe: "/usr/bin/python3.12", argv: ["python3", "-c", "print(1)"],
                                                  cgroup: "/kubepods/pod1/abc", source: "proc")
        var child = parent
        child.pid = ProcessID(11)
        child.source = "inherited"
        XCTAssertTrue(child.sharesImage(with: parent), "a fork's copy changes only inline fields")
        child.exe = "/bin/sh"
        XCTAssertFalse(child.sharesImage(with: parent), "writing a shared field copies first")
        XCTAssertEqual(parent.exe, "/usr/bin/python3.12", "the parent is unchanged by the child's write")
        parent.argv?.append("x")
        XCTAssertEqual(child.argv, ["python3", "-c", "print(1)"])
        XCTAssertNotEqual(child, parent)
        var same = child
        same.comm = "sh"
        same.comm = nil
        XCTAssertEqual(same, child, "equality compares fields, not which image holds them")
        XCTAssertEqual(same.hashValue, child.hashValue)
    }
}
