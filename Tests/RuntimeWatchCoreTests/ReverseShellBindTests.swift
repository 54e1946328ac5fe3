// SPDX-License-Identifier: Apache-2.0
// Inbound is told from outbound: a shell whose stdio is a connection it (or its listener) accepted
// is a bind shell, not a reverse shell; Critical in a container, a Warning on the host, where
// inetd-style services run a script per connection the same way. Both name the peer.
import XCTest
@testable import RuntimeWatchCore
import Metrics

final class ReverseShellBindTests: XCTestCase {
    private let cid = String(repeating: "bd", count: 32)
    private var podCgroup: String { "/kubepods/besteffort/pod0f5e2f1c-7d3a-4c1e-9b8a-1234567890ab/\(cid)" }
    private let client = "198.51.100.9"

    private func alerts(_ records: [EventRecord]) -> [Alert] {
        let sink = InMemoryAlertSink()
        var engine = Engine(configuration: EngineConfiguration(hostname: "node-1"), detectors: [ReverseShellDetector()],
                            profile: Profile(), sink: sink, metrics: NOOPMetricsHandler.instance)
        for r in records { engine.process(r) }
        engine.process(EventRecord(timestamp: (records.last?.timestamp ?? 0) + 5_000_000_000, event: .exit(ExitEvent(pid: ProcessID(99_999), code: 0))))
        engine.finish()
        return sink.detections
    }

    private func socket(_ n: Int32, inbound: Bool) -> DescriptorInfo {
        DescriptorInfo(fd: n, kind: .socket, target: "socket:[70]", inode: 70,
                       socket: .init(family: "inet", proto: "tcp", localAddress: "198.51.100.2", localPort: inbound ? 4444 : 40_000,
                                     remoteAddress: client, remotePort: inbound ? 51_000 : 4444, state: "ESTABLISHED",
                                     inbound: inbound ? true : nil))
    }

    /// `nc -lp 4444 -e /bin/sh` (busybox nc execs the shell in place on the accepted socket), or a
    /// listener that forks a shell on each accepted connection.
    private func shellOnSocket(cgroup: String, inbound: Bool, inPlace: Bool) -> [EventRecord] {
        var t = TraceBuilder()
        let stdio: [DescriptorInfo] = [DescriptorInfo(fd: 0, kind: .devnull, target: "/dev/null"),
                                       DescriptorInfo(fd: 1, kind: .file, target: "/out"), DescriptorInfo(fd: 2, kind: .file, target: "/out")]
        t.snapshot(100, ppid: 1, exe: "/bin/busybox", cgroup: cgroup, fds: stdio)
        t.fork(parent: 100, child: 200)
        if inPlace {
            t.exec(200, ppid: 100, exe: "/bin/busybox", argv: ["nc", "-lp", "4444", "-e", "/bin/sh"], cgroup: cgroup, fds: stdio)
            t.exec(200, ppid: 100, exe: "/bin/busybox", argv: ["/bin/sh"], cgroup: cgroup, fds: (0...2).map { socket(Int32($0), inbound: inbound) })
        } else {
            t.exec(200, ppid: 100, exe: "/usr/bin/python3", argv: ["python3", "/srv/inetd.py"], cgroup: cgroup, fds: stdio)
            t.fork(parent: 200, child: 201)
            t.exec(201, ppid: 200, exe: "/usr/bin/bash", argv: ["bash", "/srv/handler.sh"], cgroup: cgroup,
                   fds: (0...2).map { socket(Int32($0), inbound: inbound) })
        }
        return t.records
    }

    func testShellOnAnAcceptedConnectionIsABindShellNamingThePeer() {
        for inPlace in [true, false] {
            let found = alerts(shellOnSocket(cgroup: podCgroup, inbound: true, inPlace: inPlace))
            XCTAssertEqual(found.map(\.ruleID), ["bind-shell"], "in place: \(inPlace): \(found.map(\.output))")
            XCTAssertEqual(found.first?.priority, .critical)
            XCTAssertEqual(found.first?.fields["fd.rip"], .string(client))
            XCTAssertEqual(found.first?.fields["fd.rport"], .int(51_000))
        }
    }

    /// The host's inetd-style service running a script per connection: a bind-shell Warning (to
    /// allowlist by executable), never a reverse shell.
    func testHostInetdStyleServiceIsAWarningBindShellNotAReverseShell() {
        let found = alerts(shellOnSocket(cgroup: "/system.slice/inetd.service", inbound: true, inPlace: false))
        XCTAssertEqual(found.map(\.ruleID), ["bind-shell"], "\(found.map(\.output))")
        XCTAssertEqual(found.first?.priority, .warning)
    }

    /// The same shell on a connection it made is still a reverse shell.
    func testShellOnAnOutboundConnectionStaysAReverseShell() {
        let found = alerts(shellOnSocket(cgroup: podCgroup, inbound: false, inPlace: true))
        XCTAssertEqual(found.map(\.ruleID), ["reverse-shell"], "\(found.map(\.output))")
        XCTAssertEqual(found.first?.fields["fd.rport"], .int(4444))
    }
}
