// SPDX-License-Identifier: Apache-2.0
// Rule "Unexpected outbound connection" (TA0011). Two regimes:
//   - a PROFILED workload (some allow entry for this rule is scoped to it by namespace, pod,
//     container, image or executable) is strict: any destination its entries do not list alerts;
//   - any other container gets the embedded baseline, useful with no configuration: it alerts on
//     connections to the Kubernetes API server and to public addresses on ports other than 53, 80
//     and 443. Host processes are only judged when a profile scopes them (`host: true`).
// Priority is Notice, raised to Warning for raw public IPs and to Critical for ports favoured by
// shells and C2 frameworks.
// DNS (port 53) is expected only to the resolvers the process is configured with: its container's
// own /etc/resolv.conf, or the node's. Port 53 to any other address is how DNS tunnels and shells
// on "the DNS port" leave, so it alerts (Warning over UDP, Critical over TCP, where whole sessions
// fit). When a container's resolvers could not be read, its DNS is not judged.

public struct EgressDetector: Detector {
    public var rules: [Rule] { [.unexpectedOutboundConnection] }

    /// Ports C2 frameworks and reverse shells favour (Metasploit, Cobalt Strike defaults, "elite").
    public var c2Ports: Set<UInt16> = [4444, 4445, 1337, 31337, 6666, 6667, 9001, 1234, 5555, 8888, 50050]
    /// Ports the baseline accepts to public addresses.
    public var baselinePorts: Set<UInt16> = [53, 80, 443]

    public init() {}

    /// Only successful or in-flight connects matter.
    public func needsInspection(of record: EventRecord) -> Bool {
        guard case .connect(let c) = record.event else { return false }
        return c.result == 0 || c.result == 115
    }

    public func inspect(_ record: EventRecord, context: DetectionContext) -> [Alert] {
        guard case .connect(let c) = record.event, c.result == 0 || c.result == 115,
              let address = IPAddress(c.remoteAddress) else { return [] }
        let rule = Rule.unexpectedOutboundConnection
        let target = ProfileTarget.destination(address: c.remoteAddress, port: c.remotePort)
        let subject = context.subject(of: c.pid)   // built once: the allowlist and the regime both ask
        if context.profile.expects(rule: rule.id, subject: subject, target: target) { return [] }
        if address.isLoopback { return [] }

        if c.remotePort == 53 {
            guard let unexpected = Self.unexpectedResolver(address, pid: c.pid, subject: subject, context: context) else { return [] }
            // Only a socket known to be TCP is raised: a UDP sender often closes before its type is read.
            let priority: Priority = c.proto == "tcp" ? .critical : .warning
            let reason = "port 53 to an address that is not a configured resolver (expected: \(unexpected.joined(separator: ", ")))"
            return [context.alert(rule, output: Self.template, record: record, pid: c.pid, priority: priority,
                                  extra: ["rw.reason": .string(reason)])]
        }
        let profiled = Self.isProfiled(subject, context: context)
        let toAPIServer = context.profile.settings.kubernetesAPI?.matches(address: address, port: c.remotePort) ?? false
        let isPublic = address.isPublic
        if !profiled {
            guard !subject.isHost, context.state.process(c.pid)?.container != nil else { return [] }
            let baselineAlert = toAPIServer || (isPublic && !baselinePorts.contains(c.remotePort))
            guard baselineAlert else { return [] }
        }

        var priority = rule.priority
        var reason = profiled ? "destination not in the workload's profile" : "public address on an unusual port"
        if toAPIServer { priority = .warning; reason = "Kubernetes API server from a workload not expected to call it" }
        if isPublic { priority = max(priority, .warning) }
        if c2Ports.contains(c.remotePort) { priority = .critical; reason += "; port favoured by shells and C2" }
        let extra: AlertFields = ["rw.reason": .string(reason)]
        return [context.alert(rule, output: Self.template, record: record, pid: c.pid, priority: priority, extra: extra)]
    }

    /// The resolvers `pid` was expected to use (for the alert), when `address` is not one of them; nil
    /// when DNS to `address` is expected: one of the container's or the node's resolvers, resolvers
    /// unknown, or a host process no profile scopes.
    private static func unexpectedResolver(_ address: IPAddress, pid: ProcessID, subject: ProfileSubject,
                                           context: DetectionContext) -> [String]? {
        let peer = address.unmapped
        if context.nodeResolvers.contains(where: { $0.unmapped == peer }) { return nil }
        let expected: [String]
        if let id = context.state.process(pid)?.container {
            guard let own = context.state.container(id)?.resolvers else { return nil }
            expected = own
        } else {
            guard isProfiled(subject, context: context), !context.nodeResolvers.isEmpty else { return nil }
            expected = []
        }
        if expected.contains(where: { IPAddress($0)?.unmapped == peer }) { return nil }
        return expected + context.nodeResolvers.map(\.description)
    }

    /// True when an allow entry of this rule names the workload (its outbound destinations are
    /// profiled, so anything else it reaches is unexpected).
    private static func isProfiled(_ subject: ProfileSubject, context: DetectionContext) -> Bool {
        context.profile.scopes(rule: Rule.unexpectedOutboundConnection.id, to: subject)
    }

    static let template = "Unexpected outbound connection from %proc.exepath (pid=%proc.pid cmdline=%proc.cmdline) to %fd.rip:%fd.rport (%rw.reason; container=%container.id pod=%k8s.ns.name/%k8s.pod.name image=%container.image.repository)"
}

extension IPAddress {
    /// 127.0.0.0/8, ::1, and v4-mapped loopback.
    var isLoopback: Bool { Self.loopback.contains { $0.contains(self) } }
    /// Not loopback, private (RFC 1918, ULA), link-local, CGNAT or multicast.
    var isPublic: Bool { !Self.nonPublic.contains { $0.contains(self) } }

    private static let loopback: [CIDR] = ["127.0.0.0/8", "::1/128", "::ffff:127.0.0.0/104"].compactMap(CIDR.init)
    private static let nonPublic: [CIDR] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4", "::1/128", "::/128", "fc00::/7", "fe80::/10", "ff00::/8",
        "::ffff:10.0.0.0/104", "::ffff:172.16.0.0/108", "::ffff:192.168.0.0/112", "::ffff:127.0.0.0/104",
    ].compactMap(CIDR.init)
}
