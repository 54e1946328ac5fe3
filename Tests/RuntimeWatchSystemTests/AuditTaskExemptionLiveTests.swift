// SPDX-License-Identifier: Apache-2.0
// Live: the audit task exemption the monitor loads while its capture threads start. A thread this
// process creates while the rule is loaded makes a connect() that the kernel never audits, even
// after the rule is gone; a thread created after the rule is deleted is audited as usual; and the
// rule is gone once deleted. The connects are UDP connects to loopback ports nobody listens on
// (no packet is sent), told apart by the port in their SOCKADDR records. Root only
// (CAP_AUDIT_CONTROL for the rules and the enabled flag, CAP_AUDIT_READ for the records).

import Foundation
import Glibc
import Logging
@testable import RuntimeWatchCapture
import RuntimeWatchSystem
import XCTest

final class AuditTaskExemptionLiveTests: XCTestCase {
    override func setUpWithError() throws {
        try requireRoot("netlink audit rules and readlog")
    }

    func testThreadsCreatedWhileExemptAreNeverAuditedAndLaterOnesAre() throws {
        let control = try AuditNetlinkControl()
        defer { control.close() }
        try withAuditEnabled(control, needs: "connect records cannot be turned on for the test") {
            let readlog = try AuditReadlogSocket(receiveBufferBytes: 4 << 20)
            defer { readlog.close() }
            let key = "rw-exempt-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try control.addConnectRule(key: key)
            defer { _ = try? control.deleteConnectRule(key: key) }
            let base = UInt16.random(in: 20_000...60_000)
            let (exemptPort, auditedPort) = (base, base + 1)

            let pid = getpid()
            XCTAssertTrue(try control.addTaskExemption(pid: pid), "the rule is loaded")
            let exempt = ConnectingThread()   // created while the rule is loaded
            XCTAssertTrue(try control.deleteTaskExemption(pid: pid), "the rule is deleted")
            XCTAssertFalse(try control.deleteTaskExemption(pid: pid), "no rule is left behind")
            // The exempt thread connects only now, after the rule is gone: what it was created
            // under decides.
            exempt.connect(toLoopbackPort: exemptPort)
            ConnectingThread().connect(toLoopbackPort: auditedPort)

            let seen = try ports(from: readlog, waitingFor: auditedPort, among: [exemptPort, auditedPort])
            XCTAssertTrue(seen.contains(auditedPort), "the connect of a thread created after the rule was deleted is audited")
            XCTAssertFalse(seen.contains(exemptPort), "the connect of a thread created while the rule was loaded is not audited")
        }
    }

    /// A monitor killed between loading its rule and deleting it leaves the rule and its pid in the
    /// record; the next start, alone, deletes that rule, and its own rule is gone after `end`.
    func testAStartDeletesTheRuleOfAMonitorKilledInItsWindow() throws {
        try withRuleLeftAsIfKilled { directory, control, killed in
            let exemption = try XCTUnwrap(AuditSelfExemption.begin(recordDirectory: directory.path, logger: Logger(label: "test")))
            XCTAssertEqual(try listed(in: directory), [getpid()], "the leftover is struck, this start is listed")
            XCTAssertFalse(try control.deleteTaskExemption(pid: killed), "the killed monitor's rule was deleted")
            exemption.end(logger: Logger(label: "test"))
            XCTAssertFalse(try control.deleteTaskExemption(pid: getpid()), "this start's rule is gone after end")
            XCTAssertEqual(try listed(in: directory), [], "nothing is listed after end")
        }
    }

    /// While another instance holds the record (it is inside its own window), a start cannot tell a
    /// leftover from that instance's live rule: it deletes nothing and adds itself to the list.
    func testAStartLeavesListedRulesAloneWhileAnotherInstanceIsInItsWindow() throws {
        try withRuleLeftAsIfKilled { directory, control, other in
            let otherInstance = try SharedLease(path: directory.at(AuditSelfExemption.recordName))
            defer { otherInstance.release() }

            let exemption = try XCTUnwrap(AuditSelfExemption.begin(recordDirectory: directory.path, logger: Logger(label: "test")))
            XCTAssertEqual(try listed(in: directory), [other, getpid()])
            exemption.end(logger: Logger(label: "test"))
            XCTAssertEqual(try listed(in: directory), [other], "only this start is struck")
            XCTAssertTrue(try control.deleteTaskExemption(pid: other), "the other instance's rule was left loaded")
            XCTAssertFalse(try control.deleteTaskExemption(pid: getpid()), "this start's rule is gone after end")
        }
    }

    /// The pid of a process that has exited (a rule naming it exempts nobody, unless it is reused).
    private func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    /// Runs `body` with a record directory holding what a monitor killed inside its window leaves
    /// (its pid listed, its rule loaded, no lease held), an audit control socket and that pid; the
    /// rule and the directory are removed after.
    private func withRuleLeftAsIfKilled(_ body: (TemporaryDirectory, AuditNetlinkControl, Int32) throws -> Void) throws {
        let directory = try TemporaryDirectory(prefix: "rw-exempt")
        defer { directory.remove() }
        let control = try AuditNetlinkControl()
        defer { control.close() }
        let pid = try deadPID()
        XCTAssertTrue(try control.addTaskExemption(pid: pid), "the leftover rule is loaded")
        defer { _ = try? control.deleteTaskExemption(pid: pid) }
        let lease = try SharedLease(path: directory.at(AuditSelfExemption.recordName))
        try lease.save("\(pid)\n")
        lease.release()
        try body(directory, control, pid)
    }

    private func listed(in directory: TemporaryDirectory) throws -> [Int32] {
        ExemptedPIDs(parsing: try String(contentsOfFile: directory.at(AuditSelfExemption.recordName), encoding: .utf8)).pids
    }

    /// Loopback ports among `wanted` that SOCKADDR records named, read until `last` shows up (at most
    /// 10 s) and for 300 ms more: the exempt connect was made first, so its record, had the kernel
    /// made one, would have come before.
    private func ports(from readlog: AuditReadlogSocket, waitingFor last: UInt16, among wanted: [UInt16]) throws -> Set<UInt16> {
        var seen: Set<UInt16> = []
        var deadline = Date().addingTimeInterval(10)
        var extended = false
        while Date() < deadline {
            guard readlog.waitReadable(timeoutNanoseconds: 50_000_000) else { continue }
            while case .record(let record) = try readlog.receive() {
                for port in wanted where record.text.contains(Self.loopbackSockaddr(port: port)) { seen.insert(port) }
            }
            if seen.contains(last) && !extended {
                extended = true
                deadline = Date().addingTimeInterval(0.3)
            }
        }
        return seen
    }

    /// A SOCKADDR record's `saddr` for 127.0.0.1:port (sockaddr_in in hex: family 2, port, address).
    static func loopbackSockaddr(port: UInt16) -> String {
        "saddr=0200" + String(format: "%04X", port) + "7F000001"
    }
}

/// A thread created at init that connects a UDP socket when asked, then ends.
private final class ConnectingThread: @unchecked Sendable {
    private let asked = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private var port: UInt16 = 0

    init() {
        let thread = Thread { [self] in
            asked.wait()
            let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            precondition(fd >= 0, "socket: \(errno)")
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            precondition(rc == 0, "connect: \(errno)")
            close(fd)
            done.signal()
        }
        thread.start()
    }

    /// Connects from the thread and waits until it has.
    func connect(toLoopbackPort port: UInt16) {
        self.port = port
        asked.signal()
        done.wait()
    }
}
