// SPDX-License-Identifier: Apache-2.0
// Live: the `exe=` audit writes with a real connect is the path `/proc/<pid>/exe` reads from the host,
// for a host process and for a process in a runc container (audit resolves the path from the
// process's own root, the link from the reader's; for a container whose root is its own mount both
// give the in-container path). Connect enrichment relies on it to skip a repeated connector's exe
// link (`ProcReader.read(…knownExe:)`): were the two to differ, nothing would be wrong, but nothing
// would be spared either, and this test says so. Root only (an audit rule of its own key).

import Foundation
import Glibc
@testable import RuntimeWatchCapture
import RuntimeWatchSystem
import XCTest

final class AuditConnectExeLiveTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("an audit connect rule")
    }

    func testAuditExeOfAHostConnectIsWhatTheExeLinkReads() throws {
        try withConnectRule { key, readlog in
            let (readEnd, writeEnd) = makePipe()
            defer { close(writeEnd) }
            // Connects to a closed loopback port (refused, still audited), then waits on our pipe.
            let script = "import socket,sys; socket.socket().connect_ex(('127.0.0.1', 9)); sys.stdin.read()"
            let pid = try Spawn.runUntilExecuted(["/usr/bin/python3", "-c", script], stdin: readEnd)
            close(readEnd)
            defer { Spawn.reap(pid) }
            let observation = try XCTUnwrap(try Self.connect(of: pid, key: key, readlog: readlog), "no audited connect of pid \(pid)")
            let link = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
            XCTAssertEqual(observation.executable, link)
        }
    }

    func testAuditExeOfAContainerConnectIsWhatTheExeLinkReadsFromTheHost() throws {
        try requireTools([(path: BusyboxRootfs.busybox, package: "busybox-static"), (path: RuncContainer.runc, package: "runc")])
        let container = try RuncContainer()
        addTeardownBlock { container.stop() }
        try container.start()
        try withConnectRule { key, readlog in
            // busybox nc in the container's own (empty) network namespace: the connect fails, and is audited.
            let pid = try container.execDetached(["nc", "-w", "1", "127.0.0.1", "9"])
            let observation = try XCTUnwrap(try Self.connect(of: pid, key: key, readlog: readlog), "no audited connect of pid \(pid)")
            // nc may be gone by now; the container's init runs the same busybox.
            let link = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(container.initPID)/exe")
            XCTAssertEqual(link, "/bin/busybox", "the host reads a container's exe link as the in-container path")
            XCTAssertEqual(observation.executable, link)
        }
    }

    /// Runs `body` with a connect rule of a key of its own installed (and audit enabled) and a readlog
    /// socket open; removes the rule and restores the enabled flag after.
    private func withConnectRule(_ body: (String, AuditReadlogSocket) throws -> Void) throws {
        let control = try AuditNetlinkControl()
        defer { control.close() }
        try withAuditEnabled(control, needs: "no rule can be added for the test") {
            let key = "rw-exe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            let readlog = try AuditReadlogSocket(receiveBufferBytes: 4 << 20)
            defer { readlog.close() }
            XCTAssertTrue(try control.addConnectRule(key: key))
            defer { _ = try? control.deleteConnectRule(key: key) }
            try body(key, readlog)
        }
    }

    /// The first completed connect of `pid` under `key`, waiting at most 10 s.
    private static func connect(of pid: Int32, key: String, readlog: AuditReadlogSocket) throws -> AuditConnectObservation? {
        var assembler = AuditConnectAssembler(key: key)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            guard readlog.waitReadable(timeoutNanoseconds: 200_000_000) else { continue }
            while case .record(let record) = try readlog.receive() {
                guard let step = try? assembler.consume(type: record.type, text: record.text),
                      let observation = step.observation, observation.pid == pid else { continue }
                return observation
            }
        }
        return nil
    }
}
