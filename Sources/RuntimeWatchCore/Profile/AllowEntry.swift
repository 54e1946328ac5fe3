// SPDX-License-Identifier: Apache-2.0
// One allowlist entry of a profile: which rules it silences, for which subjects, for which targets.
// Matching is pure; every scope key that is given must match, keys not given match anything.

/// Where something was written in a profile, for messages ("allowed by default.yaml:12:5").
public struct ProfileLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when unknown.
    public var line: Int
    /// 1-based; 0 when unknown.
    public var column: Int
    public init(file: String, line: Int, column: Int) { self.file = file; self.line = line; self.column = column }
    public var description: String { line > 0 ? "\(file):\(line):\(column)" : file }
}

/// An expected network peer: address blocks (given, or resolved from a host name) and ports.
public struct Destination: Sendable, Hashable {
    public var cidrs: [CIDR]
    /// The host name this destination was written as, if any (its `cidrs` are what it resolved to).
    public var host: String?
    public var ports: PortSet
    public init(cidrs: [CIDR], host: String? = nil, ports: PortSet = .any) {
        self.cidrs = cidrs; self.host = host; self.ports = ports
    }

    /// True if `address` is in one of the blocks and `port` in the port set.
    public func matches(address: IPAddress, port: UInt16) -> Bool {
        guard ports.contains(port) else { return false }
        for c in cidrs where c.contains(address) { return true }
        return false
    }
}

public struct AllowEntry: Sendable, Hashable {
    /// Rule ids this entry applies to (never empty).
    public var rules: Set<String>
    public var namespace: Glob?
    public var pod: Glob?
    public var container: Glob?
    /// Matched against the image reference and against its repository (without tag or digest).
    public var image: Glob?
    /// Matched against the executable path.
    public var executable: Glob?
    /// True: the entry applies to host processes only. False (default): to container processes only.
    public var host: Bool
    /// If non-empty, the target must be a path matching one of these.
    public var paths: [Glob]
    /// If non-empty, the target must be a destination matching one of these.
    public var destinations: [Destination]
    public var reason: String?
    public var origin: ProfileLocation

    public init(rules: Set<String>, namespace: Glob? = nil, pod: Glob? = nil, container: Glob? = nil,
                image: Glob? = nil, executable: Glob? = nil, host: Bool = false, paths: [Glob] = [],
                destinations: [Destination] = [], reason: String? = nil,
                origin: ProfileLocation = ProfileLocation(file: "<code>", line: 0, column: 0)) {
        self.rules = rules; self.namespace = namespace; self.pod = pod; self.container = container
        self.image = image; self.executable = executable; self.host = host; self.paths = paths
        self.destinations = destinations; self.reason = reason; self.origin = origin
    }

    /// True when the entry names a workload (namespace, pod, container, image or executable) or host
    /// processes, rather than applying to every container.
    var isScoped: Bool { namespace != nil || pod != nil || container != nil || image != nil || executable != nil || host }

    /// True if this entry covers `rule` for `subject` acting on `target`.
    public func matches(rule: String, subject: ProfileSubject, target: ProfileTarget) -> Bool {
        rules.contains(rule) && matches(subject: subject) && matches(target: target)
    }

    /// The subject half of `matches`: host/container kind and every given scope key.
    public func matches(subject s: ProfileSubject) -> Bool { admits(subject: s) }

    /// The target half of `matches`: absent `paths`/`destinations` accept any target.
    public func matches(target: ProfileTarget) -> Bool { admits(target: target) }
}

extension AllowEntry: AllowMatching {}
