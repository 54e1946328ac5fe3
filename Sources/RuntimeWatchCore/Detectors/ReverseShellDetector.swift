// SPDX-License-Identifier: Apache-2.0
// Rule "Reverse shell" (T1059.004): a shell or interpreter whose input AND output lead to a network
// peer. Three shapes, all judged from descriptors 0-2 that capture read, never from command-line text:
//   1. direct: the shell's own stdin and stdout/stderr are a connected inet socket (`nc -e`, bash
//      `/dev/tcp` redirections, perl/ruby/php `exec` after dup);
//   2. relayed: the shell's stdio are pipes, fifos or a pty whose other ends are held by a process that
//      talks to the network (`mkfifo` pipelines, `telnet | sh | telnet`, python `pty.spawn`, node
//      `child_process`, gawk `/inet` coprocesses);
//   3. launched: a network tool started to run a program on its socket (`nc -e`, `ncat --sh-exec`,
//      `socat … EXEC:`); reported on the shell it starts, or on the tool if no shell follows in time.
// Requiring both directions keeps `curl … | sh` (input only) and `echo | nc` (output only) quiet.

public struct ReverseShellDetector: Detector {
    public var rules: [Rule] { [.reverseShell] }

    /// How long a tool launch waits for the shell it starts before it is reported on its own.
    public var launchGraceNanoseconds: UInt64 = 2_000_000_000
    /// How long a process counts as networked after an outbound connect event.
    public var connectMemoryNanoseconds: UInt64 = 600_000_000_000

    private struct Launch: Sendable {
        var record: EventRecord
        var match: ToolExecMatch
        var remote: (address: String, port: UInt16)?
        var deadline: UInt64
    }
    private struct ShellKey: Hashable, Sendable { var pid: ProcessID; var serial: UInt64 }

    /// Tool launches waiting for their shell, by tool pid. Bounded by `maxTracked`.
    private var launches: [ProcessID: Launch] = [:]
    /// Processes that made an outbound connect: pid → (serial, remote, time). Bounded.
    private var connected: [ProcessID: (serial: UInt64, address: String, port: UInt16, at: UInt64)] = [:]
    /// Shells already reported (one alert per shell process). Bounded FIFO.
    private var reported: Set<ShellKey> = []
    private var reportedOrder: [ShellKey] = []
    private let maxTracked = 4096

    public init() {}

    public mutating func inspect(_ record: EventRecord, context: DetectionContext) -> [Alert] {
        var alerts = expireLaunches(now: record.timestamp, context: context)
        switch record.event {
        case .exec(let info), .snapshot(let info):
            if let a = evaluate(info.pid, record: record, context: context) { alerts.append(a) }
            noteLaunch(info, record: record)
        case .descriptors(let d):
            if let a = evaluate(d.pid, record: record, context: context) { alerts.append(a) }
            alerts += evaluatePeers(of: d.pid, record: record, context: context)
        case .connect(let c) where c.result == 0 || c.result == 115:   // EINPROGRESS: non-blocking
            let serial = context.state.process(c.pid)?.serial ?? 0
            if connected.count >= maxTracked { connected.removeAll(keepingCapacity: true) }
            connected[c.pid] = (serial, c.remoteAddress, c.remotePort, record.timestamp)
            alerts += evaluatePeers(of: c.pid, record: record, context: context)
        case .exit(let e):
            if let launch = launches.removeValue(forKey: e.pid) { alerts.append(launchAlert(launch, context: context)) }
            connected[e.pid] = nil
        default:
            break
        }
        return alerts
    }

    // MARK: - Judging one process

    /// Alerts if `pid` is a shell-like process whose input and output both lead to the network.
    private mutating func evaluate(_ pid: ProcessID, record: EventRecord, context: DetectionContext) -> Alert? {
        guard let proc = context.state.process(pid), proc.isAlive, ProgramClassifier.isShellOrInterpreter(proc.info) else { return nil }
        let key = ShellKey(pid: pid, serial: proc.serial)
        guard !reported.contains(key), let fds = proc.info.fds else { return nil }

        var input: Peer?
        var output: Peer?
        var socketFDs: [String] = []
        for fd in fds where (0...2).contains(fd.fd) {
            guard let peer = networkPeer(of: fd, holder: proc, context: context, now: record.timestamp) else { continue }
            if peer.viaSocket { socketFDs.append(String(fd.fd)) }
            if fd.fd == 0 { input = input ?? peer } else { output = output ?? peer }
        }
        // A pty slave relayed by a networked parent (python pty.spawn, socat …,pty).
        if input == nil || output == nil, let tty = fds.first(where: { $0.fd == 0 && $0.kind == .tty }), tty.target.hasPrefix("/dev/pts/"),
           let parent = proc.ppid.flatMap({ context.state.process($0) }), let peer = networked(parent, context: context, now: record.timestamp) {
            input = input ?? peer
            output = output ?? peer
        }
        // `cat fifo | sh | nc host port > fifo`: cat opens the fifo by name (not on its fds 0-2), so
        // the input side is invisible; a networked peer that feeds a named pipe closes the loop.
        if (input == nil) != (output == nil), let known = input ?? output, let relay = known.process,
           let relayProc = context.state.process(relay), feedsNamedPipe(relayProc) {
            input = input ?? known
            output = output ?? known
        }
        let launch = launchFor(proc, context: context)
        if (input == nil || output == nil), let launch {
            // The tool said it runs this program on its socket; its own socket may not be on 0-2.
            let peer = Peer(process: launch.record.event.pid, address: launch.remote?.address, port: launch.remote?.port, viaSocket: false)
            input = input ?? peer
            output = output ?? peer
        }
        guard let inPeer = input, let outPeer = output else { return nil }
        let remote = inPeer.address != nil ? inPeer : outPeer
        if let address = remote.address, let port = remote.port,
           context.allowEntry(for: .reverseShell, pid: pid, target: .destination(address: address, port: port)) != nil { return nil }
        if remote.address == nil, context.allowEntry(for: .reverseShell, pid: pid) != nil { return nil }

        markReported(key)
        var technique = socketFDs.count == 3 || (socketFDs.contains("0") && socketFDs.count >= 2)
            ? "stdio is a network socket" : "stdio relayed through pipes or a pty to a networked process"
        var extra: [String: FieldValue] = [
            "fd.rip": FieldValue(remote.address), "fd.rport": FieldValue(remote.port),
            "rw.socket_fds": .list(socketFDs),
        ]
        if let relay = [inPeer, outPeer].first(where: { !$0.viaSocket })?.process, relay != pid,
           let relayProc = context.state.process(relay) {
            extra["rw.relay"] = .string("\(relayProc.info.name ?? "?")(\(relay))")
        }
        if let launch {
            launches[launch.record.event.pid ?? pid] = nil
            extra["rw.launcher"] = .string("\(launch.match.tool) \(launch.match.option) \(launch.match.program)")
            technique = "\(launch.match.tool) \(launch.match.option)"
        }
        extra["rw.technique"] = .string(technique)
        return context.alert(.reverseShell, output: Self.shellTemplate, record: record, pid: pid, extra: extra)
    }

    /// Re-judges the shells that share a pipe with `pid` (a pipeline member just became networked).
    private mutating func evaluatePeers(of pid: ProcessID, record: EventRecord, context: DetectionContext) -> [Alert] {
        guard let proc = context.state.process(pid), let fds = proc.info.fds else { return [] }
        var alerts: [Alert] = []
        var seen: Set<ProcessID> = [pid]
        for fd in fds where (0...2).contains(fd.fd) && fd.kind == .pipe {
            guard let inode = fd.inode else { continue }
            for holder in context.state.processes(holdingInode: inode) where seen.insert(holder.pid).inserted {
                if let a = evaluate(holder.pid, record: record, context: context) { alerts.append(a) }
                // One more hop: `cat fifo | sh | nc` links sh to nc through cat.
                for fd2 in holder.info.fds ?? [] where (0...2).contains(fd2.fd) && fd2.kind == .pipe {
                    guard let inode2 = fd2.inode, inode2 != inode else { continue }
                    for h2 in context.state.processes(holdingInode: inode2) where seen.insert(h2.pid).inserted {
                        if let a = evaluate(h2.pid, record: record, context: context) { alerts.append(a) }
                    }
                }
            }
        }
        return alerts
    }

    // MARK: - Peers

    private struct Peer {
        var process: ProcessID?
        var address: String?
        var port: UInt16?
        var viaSocket: Bool
    }

    /// Where descriptor `fd` of `holder` leads: the network directly (a connected inet socket), or a
    /// networked process at the other end of a pipe/fifo (up to two hops), else nil.
    private func networkPeer(of fd: DescriptorInfo, holder: ProcessRecord, context: DetectionContext, now: UInt64) -> Peer? {
        if fd.kind == .socket, let s = fd.socket, s.isConnectedInet {
            return Peer(process: holder.pid, address: s.remoteAddress, port: s.remotePort, viaSocket: true)
        }
        guard fd.kind == .pipe, let inode = fd.inode else { return nil }
        var visited: Set<ProcessID> = [holder.pid]
        var frontier: [UInt64] = [inode]
        var seenInodes: Set<UInt64> = [inode]
        for _ in 0..<2 {
            var next: [UInt64] = []
            for ino in frontier {
                for other in context.state.processes(holdingInode: ino) where visited.insert(other.pid).inserted {
                    if let p = networked(other, context: context, now: now) { return p }
                    for f in other.info.fds ?? [] where (0...2).contains(f.fd) && f.kind == .pipe {
                        if let i = f.inode, seenInodes.insert(i).inserted { next.append(i) }
                    }
                }
            }
            frontier = next
        }
        return nil
    }

    /// A process that talks to the network: a connected inet socket on 0-2, or a recent outbound connect.
    private func networked(_ proc: ProcessRecord, context: DetectionContext, now: UInt64) -> Peer? {
        guard proc.isAlive else { return nil }
        for fd in proc.info.fds ?? [] where (0...2).contains(fd.fd) {
            if fd.kind == .socket, let s = fd.socket, s.isConnectedInet {
                return Peer(process: proc.pid, address: s.remoteAddress, port: s.remotePort, viaSocket: false)
            }
        }
        if let c = connected[proc.pid], c.serial == proc.serial || c.serial == 0, now &- c.at <= connectMemoryNanoseconds {
            return Peer(process: proc.pid, address: c.address, port: c.port, viaSocket: false)
        }
        return nil
    }

    /// True when `proc` has a named pipe (a `pipe` whose target is a path) on fd 0 or 1.
    private func feedsNamedPipe(_ proc: ProcessRecord) -> Bool {
        (proc.info.fds ?? []).contains { ($0.fd == 0 || $0.fd == 1) && $0.kind == .pipe && $0.target.hasPrefix("/") }
    }


    // MARK: - Tool launches

    private mutating func noteLaunch(_ info: ProcessInfo, record: EventRecord) {
        guard let name = ProgramClassifier.effectiveName(exe: info.exe, argv: info.argv, comm: info.comm),
              ProgramClassifier.kind(ofName: name) == .networkTool,
              let argv = info.argv,
              let match = ReverseShellToolMatcher.match(name: argv.first.map(ProgramClassifier.baseName) == "busybox" ? "busybox" : name, argv: argv)
                ?? ReverseShellToolMatcher.match(name: name, argv: argv) else { return }
        if launches.count >= maxTracked { launches.removeAll(keepingCapacity: true) }
        launches[info.pid] = Launch(record: record, match: match, remote: ToolRemote.parse(name: name, argv: argv),
                                    deadline: record.timestamp &+ launchGraceNanoseconds)
    }

    /// The pending launch of `proc` itself (nc -e execs the shell in place) or of an ancestor.
    private func launchFor(_ proc: ProcessRecord, context: DetectionContext) -> Launch? {
        if let l = launches[proc.pid] { return l }
        for ancestor in context.state.ancestry(of: proc.pid, limit: 4) {
            if let l = launches[ancestor.pid] { return l }
        }
        return nil
    }

    private mutating func expireLaunches(now: UInt64, context: DetectionContext) -> [Alert] {
        guard !launches.isEmpty else { return [] }
        var alerts: [Alert] = []
        for (pid, launch) in launches where launch.deadline <= now {
            launches[pid] = nil
            alerts.append(launchAlert(launch, context: context))
        }
        return alerts
    }

    private func launchAlert(_ launch: Launch, context: DetectionContext) -> Alert {
        let extra: [String: FieldValue] = [
            "fd.rip": FieldValue(launch.remote?.address), "fd.rport": FieldValue(launch.remote?.port),
            "rw.socket_fds": .list([]),
            "rw.launcher": .string("\(launch.match.tool) \(launch.match.option) \(launch.match.program)"),
            "rw.technique": .string("\(launch.match.tool) \(launch.match.option)"),
        ]
        return context.alert(.reverseShell, output: Self.launchTemplate, record: launch.record,
                             pid: launch.record.event.pid, extra: extra)
    }

    private mutating func markReported(_ key: ShellKey) {
        reported.insert(key)
        reportedOrder.append(key)
        if reportedOrder.count > maxTracked {
            let drop = reportedOrder.prefix(maxTracked / 4)
            for k in drop { reported.remove(k) }
            reportedOrder.removeFirst(drop.count)
        }
    }

    static let shellTemplate = "%proc.name (pid=%proc.pid cmdline=%proc.cmdline) has its input and output connected to %fd.rip:%fd.rport (technique=%rw.technique parent=%proc.pname container=%container.id pod=%k8s.ns.name/%k8s.pod.name)"
    static let launchTemplate = "Network tool launched to run a program on its socket: %proc.cmdline (pid=%proc.pid) runs a program on its socket to %fd.rip:%fd.rport (technique=%rw.technique container=%container.id pod=%k8s.ns.name/%k8s.pod.name)"
}

/// The remote end a tool was told to connect to, from its argv (for alerts on launches whose socket
/// was never seen).
enum ToolRemote {
    static func parse(name: String, argv: [String]) -> (address: String, port: UInt16)? {
        if name == "socat" {
            for a in argv.dropFirst() where !a.hasPrefix("-") {
                let parts = a.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
                guard parts.count >= 3, parts[0].uppercased().hasPrefix("TCP") || parts[0].uppercased().hasPrefix("UDP"),
                      let port = UInt16(parts[2].split(separator: ",").first ?? "") else { continue }
                return (parts[1], port)
            }
            return nil
        }
        // nc/ncat: the last two positional arguments are host and port.
        let positional = argv.dropFirst().filter { !$0.hasPrefix("-") }
        guard positional.count >= 2, let port = UInt16(positional[positional.count - 1]) else { return nil }
        return (positional[positional.count - 2], port)
    }
}
