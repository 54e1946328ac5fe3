// SPDX-License-Identifier: Apache-2.0
// Live: ConnectCapture against the real kernel audit subsystem. Connections are made by child
// processes started after the capture (a task forked before audit was first enabled has no audit
// context), to loopback listeners and to the TEST-NET listener in a test netns. Root only.

import Foundation
import RuntimeWatchCore
@testable import RuntimeWatchCapture
import RuntimeWatchSystem
import XCTest

final class ConnectCaptureLiveTests: XCTestCase {
    private var capture: ConnectCapture!
    private var collector: ConnectEventCollector!
    private var key = ""
    private var enabledBefore: UInt32 = 0

    override func setUpWithError() throws {
        try requireRoot("netlink audit connect capture")
        try requireTools([(path: NetnsListener.python, package: "python3")])
        enabledBefore = try AuditNetlinkControl().status().enabled
        key = "rw-test-\(RuncContainer.randomHex(bytes: 4))"
        // The host's lease directory, as monitors use it: the audit flags are then shared with a
        // monitor or another test run on this host (first in saves them, last out restores them).
        var configuration = ConnectCapture.Configuration()
        configuration.key = key
        capture = ConnectCapture(configuration: configuration)
        let stream = try capture.start()
        collector = ConnectEventCollector(stream)
        addTeardownBlock { [capture, key] in
            capture?.stop()
            Self.removeRuleLease(key: key)
        }
    }

    /// A random test key's rule lease would stay in /run/runtime-watch; nobody else holds it.
    static func removeRuleLease(key: String) {
        guard let directory = ConnectCapture.Configuration().leaseDirectory else { return }
        unlink(ConnectCapture.ruleLeasePath(directory: directory, key: key))
    }

    override func tearDown() {
        capture?.stop()
        super.tearDown()
    }

    func testBlockingLoopbackConnectIsCapturedWithPidAddressPortAndSuccess() throws {
        let listener = try LoopbackListener(family: AF_INET)
        // Held open 3 s: the socket's type is asked of the socket, which must still exist.
        let client = try ConnectProbe.run(host: "127.0.0.1", port: listener.port, mode: "block-hold")
        XCTAssertEqual(client.errno, 0)

        let event = try XCTUnwrap(collector.waitFor { $0.pid.rawValue == client.pid && $0.remotePort == listener.port })
        XCTAssertEqual(event.remoteAddress, "127.0.0.1")
        XCTAssertEqual(event.result, 0)
        XCTAssertEqual(event.proto, "tcp")
        XCTAssertEqual(collector.events.filter { $0.pid.rawValue == client.pid && $0.remotePort == listener.port }.count, 1,
                       "one connect, one event")
    }

    func testNonBlockingConnectReportsWhatTheSyscallReturned() throws {
        let listener = try LoopbackListener(family: AF_INET)
        let client = try ConnectProbe.run(host: "127.0.0.1", port: listener.port, mode: "nonblock")
        XCTAssertTrue([0, EINPROGRESS].contains(client.errno), "connect returned errno \(client.errno)")

        let event = try XCTUnwrap(collector.waitFor { $0.pid.rawValue == client.pid && $0.remotePort == listener.port })
        XCTAssertEqual(event.result, client.errno, "the event carries the syscall's own result")
    }

    func testConnectToClosedLoopbackPortReportsConnectionRefused() throws {
        let closedPort = try LoopbackListener.unusedPort()
        let client = try ConnectProbe.run(host: "127.0.0.1", port: closedPort, mode: "block")
        XCTAssertEqual(client.errno, ECONNREFUSED)

        let event = try XCTUnwrap(collector.waitFor { $0.pid.rawValue == client.pid && $0.remotePort == closedPort })
        XCTAssertEqual(event.result, ECONNREFUSED)
        XCTAssertEqual(event.remoteAddress, "127.0.0.1")
        // The client exits at once, so its socket is gone before a probe could ask its type; only a
        // stream is refused at connect, and the event says so rather than "unknown".
        XCTAssertEqual(event.proto, "tcp")
    }

    /// A connect still in progress (or refused, or timed out) is a stream's: reported as tcp without
    /// asking the socket, even when the client closed it before the record was read.
    func testNonBlockingConnectInProgressIsTCPAfterItsSocketClosed() throws {
        // Linux answers a non-blocking TCP connect with EINPROGRESS even on loopback (the handshake
        // completes after connect returns); a few tries in case one completed first.
        let listener = try LoopbackListener(family: AF_INET)
        var inProgress: ConnectProbe.Outcome?
        for _ in 0..<20 where inProgress == nil {
            let client = try ConnectProbe.run(host: "127.0.0.1", port: listener.port, mode: "nonblock")
            if client.errno == EINPROGRESS { inProgress = client }
        }
        let client = try XCTUnwrap(inProgress, "no non-blocking loopback connect returned EINPROGRESS in 20 tries")
        let event = try XCTUnwrap(collector.waitFor { $0.pid.rawValue == client.pid && $0.remotePort == listener.port })
        XCTAssertEqual(event.result, EINPROGRESS)
        XCTAssertEqual(event.proto, "tcp")
    }

    func testIPv6LoopbackConnectIsCaptured() throws {
        let listener = try LoopbackListener(family: AF_INET6)
        let client = try ConnectProbe.run(host: "::1", port: listener.port, mode: "block")
        XCTAssertEqual(client.errno, 0)

        let event = try XCTUnwrap(collector.waitFor { $0.pid.rawValue == client.pid && $0.remotePort == listener.port })
        XCTAssertEqual(event.remoteAddress, "::1")
        XCTAssertEqual(event.result, 0)
    }

    func testUDPConnectIsReportedAsUDPWhileTheSocketIsOpen() throws {
        let port = try LoopbackListener.unusedPort()
        // "udp-hold" keeps the socket open for 3 s after connect, so the type probe can see it.
        let client = try ConnectProbe.run(host: "127.0.0.1", port: port, mode: "udp-hold")
        XCTAssertEqual(client.errno, 0)

        let event = try XCTUnwrap(collector.waitFor { $0.pid.rawValue == client.pid && $0.remotePort == port })
        XCTAssertEqual(event.proto, "udp")
        XCTAssertEqual(event.result, 0)
    }

    /// A sender that closes at once may be gone before its socket is asked its type: the event then
    /// says "unknown", never a guess of "tcp" (DNS over TCP to a stranger is raised higher).
    func testUDPSocketClosedAtOnceIsNeverReportedAsTCP() throws {
        let port = try LoopbackListener.unusedPort()
        let client = try ConnectProbe.run(host: "127.0.0.1", port: port, mode: "udp")
        let event = try XCTUnwrap(collector.waitFor { $0.pid.rawValue == client.pid && $0.remotePort == port })
        XCTAssertTrue(["udp", "unknown"].contains(event.proto), "proto \(event.proto)")
    }

    func testUnixSocketConnectIsNotReported() throws {
        let client = try ConnectProbe.run(host: "/dev/log-does-not-exist-\(key)", port: 0, mode: "unix")
        XCTAssertEqual(client.errno, ENOENT)
        // A later inet connect from the same kind of child proves the capture was live meanwhile.
        let listener = try LoopbackListener(family: AF_INET)
        let marker = try ConnectProbe.run(host: "127.0.0.1", port: listener.port, mode: "block")
        XCTAssertNotNil(collector.waitFor { $0.pid.rawValue == marker.pid })

        XCTAssertTrue(collector.events.filter { $0.pid.rawValue == client.pid }.isEmpty)
        XCTAssertGreaterThanOrEqual(capture.statistics.assembler.nonInet, 1)
    }

    func testContainerConnectToNetnsListenerIsAttributedToItsHostPid() throws {
        try requireTools([(path: TestNetwork.ip, package: "iproute2"), (path: BusyboxRootfs.busybox, package: "busybox-static"),
                          (path: RuncContainer.runc, package: "runc")])
        let network = try TestNetwork()
        addTeardownBlock { network.teardown() }
        var configuration = RuncContainer.Configuration()
        configuration.networkNamespacePath = network.pathB
        let container = try RuncContainer(configuration)
        addTeardownBlock { container.stop() }
        try container.start()
        let listener = try network.startListener(sending: "bye", timeout: .seconds(10))

        let clientPID = try container.execDetached(["nc", "-w", "2", TestNetwork.addressA, String(listener.port)])
        let seen = try listener.result()
        XCTAssertNotNil(seen.peer, "the container reached the listener")

        let event = try XCTUnwrap(collector.waitFor { $0.pid.rawValue == clientPID && $0.remotePort == listener.port },
                                  "events: \(collector.events)")
        XCTAssertEqual(event.remoteAddress, TestNetwork.addressA)
        XCTAssertEqual(event.result, 0)
    }

    func testRuleIsInstalledWhileRunningAndRemovedAndFlagRestoredOnStop() throws {
        let control = try AuditNetlinkControl()
        defer { control.close() }
        XCTAssertEqual(try control.countRules(key: key), 1)
        XCTAssertNotEqual(try control.status().enabled, 0)

        capture.stop()

        XCTAssertEqual(try control.countRules(key: key), 0)
        XCTAssertEqual(try control.status().enabled, enabledBefore)
    }

    func testStartRemovesAStaleRuleOfTheSameKey() throws {
        capture.stop()
        let control = try AuditNetlinkControl()
        defer { control.close() }
        XCTAssertTrue(try control.addConnectRule(key: key), "simulate a crashed run's leftover rule")
        defer { _ = try? control.deleteConnectRule(key: key) }

        var configuration = ConnectCapture.Configuration()
        configuration.key = key
        let second = ConnectCapture(configuration: configuration)
        _ = try second.start()
        XCTAssertEqual(try control.countRules(key: key), 1)
        second.stop()
        XCTAssertEqual(try control.countRules(key: key), 0)
    }

    /// Two monitors on one host (a DaemonSet pod and `sudo runtime-watch`, or a restart that
    /// overlaps): the first one out must not pull the rule from under the other.
    func testTwoInstancesShareTheRuleAndOnlyTheLastOneOutDeletesIt() throws {
        var configuration = ConnectCapture.Configuration()
        configuration.key = "rw-test-\(RuncContainer.randomHex(bytes: 4))"
        let control = try AuditNetlinkControl()
        defer {
            _ = try? control.deleteConnectRule(key: configuration.key)
            control.close()
            Self.removeRuleLease(key: configuration.key)
        }

        let first = ConnectCapture(configuration: configuration)
        _ = try first.start()
        XCTAssertNil(first.leaseProblem)
        let second = ConnectCapture(configuration: configuration)
        let secondEvents = ConnectEventCollector(try second.start())
        defer { second.stop() }
        XCTAssertEqual(try control.countRules(key: configuration.key), 1, "one shared rule, not two")

        first.stop()
        XCTAssertEqual(try control.countRules(key: configuration.key), 1, "the second instance still holds the rule")
        let listener = try LoopbackListener(family: AF_INET)
        let client = try ConnectProbe.run(host: "127.0.0.1", port: listener.port, mode: "block")
        XCTAssertNotNil(secondEvents.waitFor { $0.pid.rawValue == client.pid && $0.remotePort == listener.port },
                        "the second instance still captures after the first stopped")

        second.stop()
        XCTAssertEqual(try control.countRules(key: configuration.key), 0, "the last one out deletes the rule")
    }
}

/// Collects connect events from a capture stream on a background task.
final class ConnectEventCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [ConnectEvent] = []
    private var task: Task<Void, Never>?

    init(_ stream: AsyncStream<EventRecord>) {
        task = Task { [weak self] in
            for await record in stream {
                guard case .connect(let event) = record.event else { continue }
                self?.append(event)
            }
        }
    }

    deinit { task?.cancel() }

    private func append(_ event: ConnectEvent) { lock.withLock { collected.append(event) } }

    var events: [ConnectEvent] { lock.withLock { collected } }

    /// The first event matching `predicate`, waiting at most `timeout`; nil if none came.
    func waitFor(timeout: Duration = .seconds(5), _ predicate: (ConnectEvent) -> Bool) -> ConnectEvent? {
        var found: ConnectEvent?
        _ = waitUntil(timeout: timeout) {
            found = events.first(where: predicate)
            return found != nil
        }
        return found
    }
}

/// A listening socket in this process (listening needs no audit context); closed on deinit.
final class LoopbackListener {
    let fd: Int32
    let port: UInt16

    init(family: Int32) throws {
        fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        port = try Self.bindLoopback(fd, family: family)
        guard listen(fd, 64) == 0 else { close(fd); throw HarnessError("listen: errno \(errno)") }
    }

    deinit { close(fd) }

    /// A loopback TCP port that nothing listens on (bound, then released).
    static func unusedPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        return try bindLoopback(fd, family: AF_INET)
    }

    private static func bindLoopback(_ fd: Int32, family: Int32) throws -> UInt16 {
        if family == AF_INET6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
            let rc = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 ? getsockname(fd, $0, &length) : -1
                }
            }
            guard rc == 0 else { throw HarnessError("bind [::1]: errno \(errno)") }
            return UInt16(bigEndian: address.sin6_port)
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 ? getsockname(fd, $0, &length) : -1
            }
        }
        guard rc == 0 else { throw HarnessError("bind 127.0.0.1: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// Runs one connect in a fresh python3 child (so it is audited) and reports its pid and errno.
enum ConnectProbe {
    struct Outcome { var pid: Int32; var errno: Int32 }

    /// mode: block | block-hold | nonblock | udp | udp-hold | unix (host is then a socket path); the
    /// -hold modes keep the socket open 3 s after the connect. Bounded to 10 s.
    static func run(host: String, port: UInt16, mode: String) throws -> Outcome {
        let result = try CommandRunner.run([NetnsListener.python, "-c", script, host, String(port), mode], timeout: .seconds(10))
        let parts = result.stdout.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard result.status == 0, parts.count == 2 else { throw HarnessError("connect probe failed: \(result)") }
        return Outcome(pid: parts[0], errno: parts[1])
    }

    private static let script = #"""
import os, socket, sys, time
host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if mode == "unix":
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    target = host
else:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM if mode.startswith("udp") else socket.SOCK_STREAM)
    target = (host, port)
    if mode == "nonblock":
        s.setblocking(False)
# No settimeout(): Python implements timeouts with a non-blocking connect (EINPROGRESS).
rc = s.connect_ex(target)
print(os.getpid(), rc, flush=True)
if mode.endswith("-hold"):
    time.sleep(3)
s.close()
"""#
}
