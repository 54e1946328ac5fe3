// SPDX-License-Identifier: Apache-2.0
// Where a process's standard descriptors lead, for the reverse-shell rule: to the network directly
// (a connected inet socket), through pipes/fifos to a pipeline member that talks to the network, or
// through a channel only its parent holds (pipes, a socketpair or a pty the parent created for it)
// when that parent talks to the network. Pure functions of the state and the detector's memory of
// outbound connects; no command-line text is read here.

/// One process incarnation (a reused pid is another key).
struct ProcessKey: Hashable, Sendable {
    var pid: ProcessID
    var serial: UInt64
    init(_ record: ProcessRecord) { pid = record.pid; serial = record.serial }
}

/// A network peer that a descriptor leads to.
struct NetworkPeer: Sendable {
    /// The process that holds the network connection (the shell itself when `viaSocket`).
    var holder: ProcessKey?
    var address: String?
    var port: UInt16?
    /// The descriptor itself is the socket.
    var viaSocket: Bool
    /// Inode of the socket, when a descriptor showed it.
    var socketInode: UInt64?
    /// The socket is an accepted (inbound) connection: a bind shell, not a reverse shell.
    var inbound = false
}

/// An outbound connect the detector remembers for a process.
struct RememberedConnect: Sendable {
    var serial: UInt64
    var address: String
    var port: UInt16
    var at: UInt64
}

/// Read-only view used to follow descriptors; built per judgement.
struct ReverseShellEvidence {
    /// The judged event's context (shared, not copied: see `DetectionContext`).
    let context: DetectionContext
    var state: SystemState { context.state }
    let connects: [ProcessID: RememberedConnect]
    let now: UInt64
    /// How long a process counts as networked after an outbound connect.
    let connectMemory: UInt64
    /// A parent relaying a shell over a private channel must have connected at most this long before
    /// the shell started (or at any time after).
    let relayConnectWindow: UInt64

    /// The peer of descriptor `fd` of `holder`: a connected inet socket, or a networked process at
    /// the other end of a pipe/fifo reached through at most two processes on descriptors 0-2.
    func peer(of fd: DescriptorInfo, holder: ProcessRecord) -> NetworkPeer? {
        if fd.kind == .socket, let s = fd.socket, s.isConnectedInet {
            return NetworkPeer(holder: ProcessKey(holder), address: s.remoteAddress, port: s.remotePort, viaSocket: true, socketInode: fd.inode,
                               inbound: s.inbound == true)
        }
        guard fd.kind == .pipe, let inode = fd.inode else { return nil }
        var visited = SmallSet<ProcessID>()
        visited.insert(holder.pid)
        // Which end each reached pipe is held at: fd 0 reads, fds 1-2 write. Only a process holding
        // the OTHER end relays; one holding the same end (the parent we forked from, a sibling that
        // inherited the same stdin) merely shares it.
        var seenInodes = SmallSet<UInt64>()
        seenInodes.insert(inode)
        // Breadth first, two hops: the pipes reached at the first hop are collected (an array only
        // when there is one, which is rare) and searched at the second.
        var next: [(inode: UInt64, reads: Bool)]? = []
        if let p = networkedHolder(of: inode, reads: fd.fd == 0, relayFor: holder, visited: &visited, seenInodes: &seenInodes, next: &next) {
            return p
        }
        // The last hop: what its holders hold further is not searched, so not collected.
        var beyondLastHop: [(inode: UInt64, reads: Bool)]? = nil
        for (ino, reads) in next ?? [] {
            if let p = networkedHolder(of: ino, reads: reads, relayFor: holder, visited: &visited, seenInodes: &seenInodes, next: &beyondLastHop) {
                return p
            }
        }
        return nil
    }

    /// One hop of `peer(of:holder:)`: the first holder of the other end of pipe `ino` that is
    /// networked, else nil, appending the pipes those holders hold on 0-2 to `next` (when not nil).
    private func networkedHolder(of ino: UInt64, reads: Bool, relayFor holder: ProcessRecord, visited: inout SmallSet<ProcessID>,
                                 seenInodes: inout SmallSet<UInt64>, next: inout [(inode: UInt64, reads: Bool)]?) -> NetworkPeer? {
        for other in state.processes(holdingInode: ino, aliveAt: now) where !visited.contains(other.pid) {
            // The shell's own forks share its pipes; they are the same session, not a relay.
            if isDescendant(other, of: holder) { continue }
            let otherFDs = (other.info.fds ?? []).lazy.filter { (0...2).contains($0.fd) }
            guard otherFDs.contains(where: { $0.inode == ino && ($0.fd == 0) != reads }) else { continue }
            visited.insert(other.pid)
            if let p = networked(other) { return p }
            guard next != nil else { continue }
            for f in otherFDs where f.kind == .pipe {
                if let i = f.inode, !seenInodes.contains(i) {
                    seenInodes.insert(i)
                    next?.append((i, f.fd == 0))
                }
            }
        }
        return nil
    }

    /// A process alive at `now` (the judged event's time) that talks to the network: a connected inet socket on 0-2, or an outbound
    /// connect within `connectMemory`.
    func networked(_ proc: ProcessRecord) -> NetworkPeer? {
        guard proc.wasAlive(at: now) else { return nil }
        for fd in proc.info.fds ?? [] where (0...2).contains(fd.fd) {
            if fd.kind == .socket, let s = fd.socket, s.isConnectedInet {
                return NetworkPeer(holder: ProcessKey(proc), address: s.remoteAddress, port: s.remotePort, viaSocket: false, socketInode: fd.inode,
                                   inbound: s.inbound == true)
            }
        }
        if let c = recentConnect(proc, within: connectMemory) {
            return NetworkPeer(holder: ProcessKey(proc), address: c.address, port: c.port, viaSocket: false, socketInode: nil)
        }
        return nil
    }

    /// The remembered outbound connect of this incarnation of `proc`, if no older than `window`.
    func recentConnect(_ proc: ProcessRecord, within window: UInt64) -> RememberedConnect? {
        guard let c = connects[proc.pid], c.serial == proc.serial || c.serial == 0, now &- c.at <= window else { return nil }
        return c
    }

    /// True when `fd` is a channel that nobody but `proc` and its own descendants holds on 0-2: an
    /// anonymous pipe or a unix socket its parent made for it (`subprocess.Popen(stdin=PIPE)`,
    /// node's `spawn`, `ncat -e`, `socat EXEC:`, awk's `cmd | getline`). The other end then lives on
    /// a descriptor above 2 of whoever created it.
    func isPrivateChannel(_ fd: DescriptorInfo, of proc: ProcessRecord) -> Bool {
        let anonymousPipe = fd.kind == .pipe && fd.target.hasPrefix("pipe:")
        let unixSocket = fd.kind == .socket && (fd.socket == nil || fd.socket?.family == "unix")
        guard anonymousPipe || unixSocket, let inode = fd.inode else { return false }
        return state.processes(holdingInode: inode, aliveAt: now).allSatisfy { $0.pid == proc.pid || isDescendant($0, of: proc) }
    }

    /// The parent's network peer when `proc` is wired to its parent over private channels in both
    /// directions (fd 0 and fd 1/2) and the parent (an interpreter or network tool) connected out
    /// around the time `proc` started. Returns nil otherwise. A command whose output alone goes
    /// back to an inline interpreter (`awk '…' | getline`, popen loops) is the detector's command
    /// loop, reported on the interpreter: naming the command instead would depend on whether
    /// capture read it before it exec'd the next image.
    func parentRelay(of proc: ProcessRecord, fds: [DescriptorInfo]) -> NetworkPeer? {
        guard let ppid = proc.ppid, let parent = state.process(ppid), parent.wasAlive(at: now),
              proc.parentSerial == nil || proc.parentSerial == parent.serial else { return nil }
        let parentKind = ProgramClassifier.kind(of: parent.info)
        guard parentKind == .interpreter || parentKind == .networkTool else { return nil }
        guard let c = recentConnect(parent, within: connectMemory), c.at &+ relayConnectWindow >= proc.firstSeen else { return nil }
        let input = fds.first { $0.fd == 0 }.map { isPrivateChannel($0, of: proc) } ?? false
        let output = fds.contains { ($0.fd == 1 || $0.fd == 2) && isPrivateChannel($0, of: proc) }
        guard input, output else { return nil }
        // Both directions private to a networked parent is also how node's exec()/spawnSync and
        // python's Popen(stdin=PIPE, stdout=PIPE) run a one-off command after an API call; a
        // reverse shell's shell reads its commands from that input instead.
        guard ProgramClassifier.readsCommandsFromInput(proc.info) else { return nil }
        return NetworkPeer(holder: ProcessKey(parent), address: c.address, port: c.port, viaSocket: false, socketInode: nil)
    }

    /// The peer of a command `proc` ran (exec'd, alive or recently exited) whose stdout or stderr is
    /// a connected socket to the same remote address as `input`, or nil.
    func childOutput(of proc: ProcessRecord, to input: NetworkPeer) -> NetworkPeer? {
        guard let address = input.address else { return nil }
        for child in state.processes.children(of: proc.pid) where child.origin != .fork {
            for fd in child.info.fds ?? [] where fd.fd == 1 || fd.fd == 2 {
                guard fd.kind == .socket, let s = fd.socket, s.isConnectedInet, s.remoteAddress == address else { continue }
                return NetworkPeer(holder: ProcessKey(child), address: s.remoteAddress, port: s.remotePort, viaSocket: false, socketInode: fd.inode)
            }
        }
        return nil
    }

    /// The connection a fork inherited: `proc` never exec'd, and its parent, a shell, connected out
    /// to `input`'s address before `proc` was forked (within `relayConnectWindow`; 1 s of slack for
    /// the two capture sources' clocks). Nil otherwise.
    func inheritedConnection(of proc: ProcessRecord, to input: NetworkPeer) -> NetworkPeer? {
        guard proc.origin == .fork, let address = input.address, let ppid = proc.ppid, let parent = state.process(ppid),
              proc.parentSerial == nil || proc.parentSerial == parent.serial,
              ProgramClassifier.kind(of: parent.info) == .shell,
              let c = recentConnect(parent, within: relayConnectWindow), c.address == address,
              c.at <= proc.firstSeen &+ 1_000_000_000 else { return nil }
        // Holding the connection is not writing to it: `cat <&3 | while read l; do echo "$l"; done`
        // (a bash HTTP check) holds it too. Require a command the loop ran whose output capture
        // could not see because it finished first; one it saw on a socket is `childOutput`'s case,
        // and one it saw elsewhere writes elsewhere.
        let ranUnseenCommand = state.processes.children(of: proc.pid).contains { child in
            child.origin != .fork && !(child.info.fds ?? []).contains { $0.fd == 1 || $0.fd == 2 }
        }
        guard ranUnseenCommand else { return nil }
        return NetworkPeer(holder: ProcessKey(parent), address: c.address, port: c.port, viaSocket: false, socketInode: nil)
    }

    /// True when `other` descends from `ancestor` (same incarnations), up to 8 generations.
    func isDescendant(_ other: ProcessRecord, of ancestor: ProcessRecord) -> Bool {
        state.ancestors(of: other.pid, limit: 8).contains { $0.pid == ancestor.pid && $0.serial == ancestor.serial }
    }

    /// True when `proc` has a named pipe (a `pipe` whose target is a path) on fd 0 or 1.
    func feedsNamedPipe(_ proc: ProcessRecord) -> Bool {
        (proc.info.fds ?? []).contains { ($0.fd == 0 || $0.fd == 1) && $0.kind == .pipe && $0.target.hasPrefix("/") }
    }

    /// Socket inodes `proc` holds on 0-2 (connected inet only).
    func socketInodes(of proc: ProcessRecord) -> Set<UInt64> {
        Set((proc.info.fds ?? []).compactMap { fd in
            (0...2).contains(fd.fd) && fd.kind == .socket && fd.socket?.isConnectedInet == true ? fd.inode : nil
        })
    }
}
