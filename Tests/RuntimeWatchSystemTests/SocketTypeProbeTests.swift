// SPDX-License-Identifier: Apache-2.0
// The socket-type probe connect capture uses (pidfd_getfd + SO_TYPE), on real sockets of this
// process and of a child: the types, descriptors that are gone or not sockets, a switch between
// processes (the probe keeps the pidfd of the last one), and a process that exited while held.

import Foundation
import Glibc
import RuntimeWatchSystem
import XCTest

final class SocketTypeProbeTests: XCTestCase {
    private func socketDescriptor(_ type: Int32) throws -> Int32 {
        let fd = socket(AF_INET, type, 0)
        guard fd >= 0 else { throw XCTSkip("socket(AF_INET) failed: errno \(errno)") }
        return fd
    }

    func testTypesOfThisProcessesDescriptors() throws {
        let probe = SocketTypeProbe()
        let tcp = try socketDescriptor(Int32(SOCK_STREAM.rawValue))
        let udp = try socketDescriptor(Int32(SOCK_DGRAM.rawValue))
        defer { close(tcp); close(udp) }
        let me = getpid()
        guard probe.type(pid: me, descriptor: tcp) != nil else {
            throw XCTSkip("pidfd_getfd(2) is not available on this kernel (Linux 5.6+)")
        }
        XCTAssertEqual(probe.type(pid: me, descriptor: tcp), 1)
        XCTAssertEqual(probe.type(pid: me, descriptor: udp), 2)
        var pipeEnds: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&pipeEnds), 0)
        defer { close(pipeEnds[0]); close(pipeEnds[1]) }
        XCTAssertNil(probe.type(pid: me, descriptor: pipeEnds[0]), "a pipe is not a socket")
        let closed = try socketDescriptor(Int32(SOCK_DGRAM.rawValue))
        close(closed)
        XCTAssertNil(probe.type(pid: me, descriptor: closed), "a closed descriptor has no type")
        XCTAssertEqual(probe.type(pid: me, descriptor: udp), 2, "a failed ask leaves the probe usable")
    }

    func testSwitchesBetweenProcessesAndForgetsOneThatExited() throws {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        // The child holds a UDP socket and says its descriptor; it is killed below (30 s at most).
        child.arguments = ["-c", "import socket,sys,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); print(s.fileno(), flush=True); time.sleep(30)"]
        let out = Pipe()
        child.standardOutput = out
        try child.run()
        defer { if child.isRunning { child.terminate(); child.waitUntilExit() } }
        guard let line = String(data: out.fileHandleForReading.availableData, encoding: .utf8),
              let childFD = Int32(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return XCTFail("the child did not say its socket's descriptor")
        }
        let probe = SocketTypeProbe()
        let tcp = try socketDescriptor(Int32(SOCK_STREAM.rawValue))
        defer { close(tcp) }
        guard probe.type(pid: getpid(), descriptor: tcp) != nil else {
            throw XCTSkip("pidfd_getfd(2) is not available on this kernel (Linux 5.6+)")
        }
        let childPID = child.processIdentifier
        XCTAssertEqual(probe.type(pid: childPID, descriptor: childFD), 2)
        XCTAssertEqual(probe.type(pid: getpid(), descriptor: tcp), 1)
        XCTAssertEqual(probe.type(pid: childPID, descriptor: childFD), 2, "asked again after another process")
        XCTAssertEqual(probe.type(pid: childPID, descriptor: childFD), 2, "asked again through the held pidfd")
        child.terminate()
        child.waitUntilExit()
        XCTAssertNil(probe.type(pid: childPID, descriptor: childFD), "the held pidfd's process has exited")
        XCTAssertEqual(probe.type(pid: getpid(), descriptor: tcp), 1)
    }
}
