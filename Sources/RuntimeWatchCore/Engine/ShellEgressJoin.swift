// SPDX-License-Identifier: Apache-2.0
// One line per reverse shell: the egress alert about a shell's own connection is folded into the
// shell's alert instead of being written beside it. The two come from different detectors at
// different moments (the egress rule at the connect; the shell rule at the connect, at an exec, a
// descriptor re-read, or after its grace), in either order, so:
//   - an egress alert is held for `holdNanoseconds` of event time; a reverse-shell or bind-shell
//     alert for the same container and peer (address and port) in that time takes it in
//     (`rw.folded_rules` lists it) and it is not written;
//   - a shell alert is remembered for as long, and an egress alert for its connection that comes
//     after it is not written either (counted in `folded`).
// Every reverse-shell alert that names its peer carries TA0011 (command and control): its
// connection is the channel, whether or not an egress alert was folded into it.

struct ShellEgressJoin {
    /// What ties an egress alert to a shell alert: the workload and the peer.
    struct Key: Hashable {
        var container: String
        var address: IPAddress
        var port: Int64

        init?(_ alert: Alert) {
            guard case .string(let container)? = alert.fields["container.id"],
                  case .string(let address)? = alert.fields["fd.rip"], let ip = IPAddress(address),
                  case .int(let port)? = alert.fields["fd.rport"] else { return nil }
            self.container = container; self.address = ip.unmapped; self.port = port
        }
    }

    private struct Held {
        var key: Key
        var alert: Alert
        var deadline: UInt64
    }

    /// How long an egress alert waits for its shell, and a shell alert is remembered, in event time.
    /// Covers the shell rule's longest wait (a tool launch's 2 s grace) plus capture's skew.
    var holdNanoseconds: UInt64 = 3_000_000_000
    /// Most egress alerts held, and shell connections remembered; past it the oldest go first.
    let capacity = 1024
    /// Egress alerts not written because a shell alert carried their connection.
    private(set) var folded: UInt64 = 0
    private var held: [Held] = []
    private var shells: [Key: UInt64] = [:]

    /// When the earliest held alert is due (`UInt64.max` when none is held).
    var nextDeadline: UInt64 { held.first?.deadline ?? .max }

    /// What to pass on now for `alert`, seen at event time `now`.
    mutating func offer(_ alert: Alert, now: UInt64) -> [Alert] {
        switch alert.ruleID {
        case Rule.unexpectedOutboundConnection.id:
            guard let key = Key(alert) else { return [alert] }
            if let until = shells[key], until >= now {
                folded &+= 1
                return []
            }
            var released: [Alert] = []
            if held.count >= capacity { released.append(held.removeFirst().alert) }
            held.append(Held(key: key, alert: alert, deadline: now &+ holdNanoseconds))
            return released
        case Rule.reverseShell.id, Rule.bindShell.id:
            guard let key = Key(alert) else { return [alert] }
            var shell = alert
            if alert.ruleID == Rule.reverseShell.id, !shell.tags.contains("TA0011") { shell.tags.append("TA0011") }
            let joined = held.filter { $0.key == key }
            if !joined.isEmpty {
                held.removeAll { $0.key == key }
                folded &+= UInt64(joined.count)
                shell.fields["rw.folded_rules"] = .list(joined.map(\.alert.ruleID))
            }
            if shells.count >= capacity { shells = shells.filter { $0.value >= now } }
            if shells.count >= capacity { shells.removeAll() }
            shells[key] = now &+ holdNanoseconds
            return [shell]
        default:
            return [alert]
        }
    }

    /// The held egress alerts due by `now`, in the order they were held.
    mutating func expire(now: UInt64) -> [Alert] {
        guard let cut = held.firstIndex(where: { $0.deadline > now }) else {
            defer { held.removeAll() }
            return held.map(\.alert)
        }
        defer { held.removeFirst(cut) }
        return held[..<cut].map(\.alert)
    }

    /// Every held alert (end of input).
    mutating func flushAll() -> [Alert] {
        defer { held.removeAll() }
        return held.map(\.alert)
    }
}
