// SPDX-License-Identifier: Apache-2.0
// Learn mode: watches a workload's normal behaviour and writes it down as a profile to review and
// use. Per workload (namespace + image repository + executable; host processes by executable) it
// records the destinations it connected to, and every token read or shell the rules flagged. The
// learned entries are scoped to the workload, so the egress rule judges it strictly afterwards:
// anything it did not do while learning alerts.

public struct ProfileLearner: Sendable {
    /// Who an entry is about: the scope keys written to the profile.
    public struct Workload: Sendable, Hashable, Comparable {
        public var namespace: String?
        public var image: String?
        public var executable: String?
        public var isHost: Bool
        public static func < (a: Workload, b: Workload) -> Bool { a.sortKey < b.sortKey }
        var sortKey: String { "\(isHost ? 1 : 0)|\(namespace ?? "")|\(image ?? "")|\(executable ?? "")" }
    }

    private struct Key: Hashable { var rule: String; var workload: Workload }
    private struct Targets { var destinations: Set<Destination> = []; var paths: Set<String> = []; var observations = 0 }
    struct Destination: Hashable, Comparable {
        var address: String
        var port: UInt16
        static func < (a: Destination, b: Destination) -> Bool { (a.address, a.port) < (b.address, b.port) }
    }

    private var learned: [Key: Targets] = [:]
    /// Most distinct targets kept per entry; beyond it the entry is marked as truncated.
    public var maxTargetsPerEntry = 256
    private var truncated: Set<Key> = []
    public private(set) var connectionsSeen = 0
    public private(set) var alertsSeen = 0

    public init() {}

    /// Number of allow entries the profile would have.
    public var entryCount: Int { learned.count }

    /// Learns from one event (already applied to `state`): every outbound connect of a container.
    public mutating func observe(_ record: EventRecord, state: SystemState) {
        guard case .connect(let c) = record.event, c.result == 0 || c.result == 115,
              let address = IPAddress(c.remoteAddress), !address.isLoopback else { return }
        let subject = ProfileSubject(state: state, pid: c.pid)
        guard !subject.isHost, state.process(c.pid)?.container != nil else { return }
        connectionsSeen += 1
        add(rule: Rule.unexpectedOutboundConnection.id, workload: workload(subject, state: state, pid: c.pid),
            destination: Destination(address: c.remoteAddress, port: c.remotePort))
    }

    /// Learns from an alert the rules raised while learning (token reads, shells, API calls).
    /// `Incident` alerts only summarise those alerts: nothing to learn from them.
    public mutating func observe(_ alert: Alert) {
        guard alert.source == .syscall, alert.ruleID != Rule.internalEventDrop.id, alert.ruleID != Rule.incident.id else { return }
        alertsSeen += 1
        func text(_ key: String) -> String? { if case .string(let s) = alert.fields[key] { s } else { nil } }
        let isHost = text("container.id") == "host"
        let w = Workload(namespace: isHost ? nil : text("k8s.ns.name"), image: isHost ? nil : text("container.image.repository"),
                         executable: text("proc.exepath"), isHost: isHost)
        if alert.ruleID == Rule.serviceAccountTokenRead.id, let path = text("fd.name") {
            add(rule: alert.ruleID, workload: w, path: path)
        } else if let rip = text("fd.rip"), case .int(let port)? = alert.fields["fd.rport"], let p = UInt16(exactly: port) {
            add(rule: alert.ruleID, workload: w, destination: Destination(address: rip, port: p))
        } else {
            add(rule: alert.ruleID, workload: w)
        }
    }

    private func workload(_ s: ProfileSubject, state: SystemState, pid: ProcessID) -> Workload {
        let repository = state.container(state.process(pid)?.container)?.imageRepository
        return Workload(namespace: s.namespace, image: repository ?? s.image, executable: s.executable, isHost: s.isHost)
    }

    private mutating func add(rule: String, workload: Workload, destination: Destination? = nil, path: String? = nil) {
        let key = Key(rule: rule, workload: workload)
        var t = learned[key] ?? Targets()
        t.observations += 1
        if let destination {
            if t.destinations.count < maxTargetsPerEntry { t.destinations.insert(destination) } else { truncated.insert(key) }
        }
        if let path {
            if t.paths.count < maxTargetsPerEntry { t.paths.insert(path) } else { truncated.insert(key) }
        }
        learned[key] = t
    }

    /// The learned profile as YAML (profile format version 1), entries sorted for stable output.
    public func yaml(header: String) -> String {
        var out = header.split(separator: "\n", omittingEmptySubsequences: false).map { "# \($0)" }.joined(separator: "\n")
        out += "\nversion: 1\nallow:\n"
        if learned.isEmpty { return out.replacingLastLine("allow: []\n") }
        let keys = learned.keys.sorted { $0.workload == $1.workload ? $0.rule < $1.rule : $0.workload < $1.workload }
        for key in keys {
            let t = learned[key]!
            out += "  - rules: [\(key.rule)]\n"
            let w = key.workload
            if w.isHost { out += "    host: true\n" }
            if let ns = w.namespace { out += "    namespace: \(Self.quote(ns))\n" }
            if let image = w.image { out += "    image: \(Self.quote(image))\n" }
            if let exe = w.executable { out += "    executable: \(Self.quote(exe))\n" }
            if !t.paths.isEmpty {
                out += "    paths:\n"
                for p in t.paths.sorted() { out += "      - \(Self.quote(p))\n" }
            }
            if !t.destinations.isEmpty {
                out += "    destinations:\n"
                for d in t.destinations.sorted() {
                    let prefix = d.address.contains(":") ? 128 : 32
                    out += "      - {cidr: \(Self.quote("\(d.address)/\(prefix)")), ports: \"\(d.port)\"}\n"
                }
            }
            var reason = "learned: \(t.observations) observation\(t.observations == 1 ? "" : "s")"
            if truncated.contains(key) { reason += "; more than \(maxTargetsPerEntry) targets, list truncated: review" }
            out += "    reason: \(Self.quote(reason))\n"
        }
        return out
    }

    /// A YAML double-quoted scalar.
    static func quote(_ s: String) -> String {
        var r = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": r += "\\\""
            case "\\": r += "\\\\"
            case "\n": r += "\\n"
            case "\t": r += "\\t"
            default:
                if ch.value < 0x20 { r += "\\x" + String(ch.value, radix: 16).leftPadded(2) } else { r.unicodeScalars.append(ch) }
            }
        }
        return r + "\""
    }
}

private extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
    func replacingLastLine(_ line: String) -> String {
        var lines = split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last == "" { lines.removeLast() }
        lines[lines.count - 1] = String(line.dropLast())
        return lines.joined(separator: "\n") + "\n"
    }
}
