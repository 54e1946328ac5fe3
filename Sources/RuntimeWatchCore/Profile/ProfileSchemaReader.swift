// SPDX-License-Identifier: Apache-2.0
// The profile schema, read off a Yams node tree. Each accessor checks the node's shape and throws a
// ProfileError at the node's own line and column; unknown keys get a "did you mean" from the keys
// valid at that place. Adding a setting = one key in `settingsKeys` and one case in `settings(from:)`.

import Yams

struct ProfileSchemaReader {
    let file: String
    let knownRuleIDs: Set<String>
    let resolver: HostResolver
    var warnings: [ProfileWarning] = []

    static let topKeys = ["version", "disable", "settings", "allow", "audit", "incidents", "responses"]
    static let settingsKeys = ["fold_window_seconds", "flood_burst", "kubernetes_api", "production_namespaces"]
    static let kubernetesAPIKeys = ["cidrs", "ports"]
    static let entryKeys = ["rules", "namespace", "pod", "container", "image", "executable", "host", "paths",
                            "destinations", "reason"]
    static let destinationKeys = ["cidr", "host", "ports"]

    init(file: String, knownRuleIDs: Set<String>, resolver: @escaping HostResolver) {
        self.file = file; self.knownRuleIDs = knownRuleIDs; self.resolver = resolver
    }

    /// A mapping's entries by key, in file order, with the key node kept for error marks.
    struct Fields {
        var items: [(key: String, keyNode: Node, value: Node)]
        subscript(key: String) -> Node? { items.first { $0.key == key }?.value }
    }

    mutating func profile(from root: Node?) throws(ProfileError) -> Profile {
        guard let root else { return Profile(allow: [], sources: [file]) }
        let fields = try mapping(root, what: "the profile", allowed: Self.topKeys)
        guard let versionNode = fields["version"] else {
            throw error(at: root, "missing required key 'version' (write 'version: 1' at the top)")
        }
        let version = try integer(versionNode, what: "'version'")
        guard version == 1 else { throw error(at: versionNode, "unsupported profile version \(version); this runtime-watch reads version 1") }

        var disabled: Set<String> = []
        if let node = fields["disable"] {
            for (id, idNode) in try stringList(node, what: "'disable'") { disabled.insert(try ruleID(id, at: idNode)) }
        }
        let settings = try fields["settings"].map { n throws(ProfileError) in try self.settings(from: n) } ?? ProfileSettings()
        var entries: [AllowEntry] = []
        if let node = fields["allow"] {
            guard case .sequence(let seq) = node else {
                throw error(at: node, "'allow' must be a list of entries, found \(kind(of: node))")
            }
            for item in seq { entries.append(try allowEntry(from: item)) }
        }
        var profile = Profile(version: version, disabledRules: disabled, settings: settings, allow: entries,
                              sources: [file], warnings: warnings)
        if let node = fields["audit"] { profile.audit = try audit(from: node) }
        if let node = fields["incidents"] { profile.incidents = try incidents(from: node) }
        if let node = fields["responses"] { profile.responses = try responses(from: node) }
        return profile
    }

    // MARK: - Sections

    func settings(from node: Node) throws(ProfileError) -> ProfileSettings {
        let fields = try mapping(node, what: "'settings'", allowed: Self.settingsKeys)
        var s = ProfileSettings()
        if let n = fields["fold_window_seconds"] {
            let seconds = try number(n, what: "'fold_window_seconds'")
            guard seconds >= 0, seconds <= 86_400 else {
                throw error(at: n, "'fold_window_seconds' must be between 0 and 86400, found \(seconds)")
            }
            s.foldWindowSeconds = seconds
        }
        if let n = fields["flood_burst"] {
            let burst = try number(n, what: "'flood_burst'")
            guard burst >= 0, burst <= 1_000_000, burst == burst.rounded() else {
                throw error(at: n, "'flood_burst' must be a whole number between 0 and 1000000, found \(burst)")
            }
            s.floodBurst = Int(burst)
        }
        if let n = fields["kubernetes_api"] {
            let api = try mapping(n, what: "'kubernetes_api'", allowed: Self.kubernetesAPIKeys)
            var cidrs: [CIDR] = []
            if let c = api["cidrs"] {
                for (text, itemNode) in try stringList(c, what: "'cidrs'") { cidrs.append(try cidr(text, at: itemNode)) }
            }
            let ports = try api["ports"].map { p throws(ProfileError) in try self.ports(p) } ?? .any
            s.kubernetesAPI = KubernetesAPISettings(cidrs: cidrs, ports: ports)
        }
        if let n = fields["production_namespaces"] {
            s.productionNamespaces = try globList(n, what: "'production_namespaces'")
        }
        return s
    }

    mutating func allowEntry(from node: Node) throws(ProfileError) -> AllowEntry {
        let fields = try mapping(node, what: "an allow entry", allowed: Self.entryKeys)
        guard let rulesNode = fields["rules"] else {
            throw error(at: node, "allow entry has no 'rules' (the rule ids it applies to)")
        }
        var rules: Set<String> = []
        for (id, idNode) in try stringList(rulesNode, what: "'rules'") { rules.insert(try ruleID(id, at: idNode)) }
        guard !rules.isEmpty else { throw error(at: rulesNode, "'rules' is empty; name at least one rule id") }

        var entry = AllowEntry(rules: rules, origin: location(of: node))
        if let n = fields["host"] { entry.host = try boolean(n, what: "'host'") }
        for key in ["namespace", "pod", "container", "image"] {
            guard let n = fields[key] else { continue }
            if entry.host {
                throw error(at: n, "'\(key)' cannot scope a host entry (host: true): host processes have no \(key)")
            }
            let glob = try self.glob(try string(n, what: "'\(key)'"), at: n)
            switch key {
            case "namespace": entry.namespace = glob
            case "pod": entry.pod = glob
            case "container": entry.container = glob
            default: entry.image = glob
            }
        }
        if let n = fields["executable"] { entry.executable = try glob(try string(n, what: "'executable'"), at: n) }
        if let n = fields["paths"] {
            for (path, pathNode) in try stringList(n, what: "'paths'") {
                guard !path.isEmpty else { throw error(at: pathNode, "empty path in 'paths'") }
                entry.paths.append(try glob(path, at: pathNode))
            }
        }
        if let n = fields["destinations"] {
            guard case .sequence(let seq) = n else {
                throw error(at: n, "'destinations' must be a list of {cidr|host, ports} entries, found \(kind(of: n))")
            }
            for item in seq { entry.destinations.append(try destination(from: item)) }
        }
        if let n = fields["reason"] { entry.reason = try string(n, what: "'reason'") }
        return entry
    }

    mutating func destination(from node: Node) throws(ProfileError) -> Destination {
        let fields = try mapping(node, what: "a destination", allowed: Self.destinationKeys)
        let ports = try fields["ports"].map { p throws(ProfileError) in try self.ports(p) } ?? .any
        switch (fields["cidr"], fields["host"]) {
        case (nil, nil):
            throw error(at: node, "destination needs 'cidr' or 'host'")
        case (.some, .some):
            throw error(at: node, "destination has both 'cidr' and 'host'; write two destinations")
        case (.some(let c), nil):
            var cidrs: [CIDR] = []
            for (text, itemNode) in try stringList(c, what: "'cidr'") { cidrs.append(try cidr(text, at: itemNode)) }
            return Destination(cidrs: cidrs, ports: ports)
        case (nil, .some(let h)):
            let name = try string(h, what: "'host'")
            guard !name.isEmpty else { throw error(at: h, "empty 'host'") }
            if let address = IPAddress(name) {
                return Destination(cidrs: [CIDR(address: address, prefixLength: 128)], ports: ports)
            }
            return Destination(cidrs: resolve(name, at: h), host: name, ports: ports)
        }
    }

    /// Resolves a host name through the injected resolver; a failure is a warning, not an error,
    /// so a DNS hiccup at startup cannot refuse the whole profile.
    mutating func resolve(_ name: String, at node: Node) -> [CIDR] {
        var found: [String] = []
        var failure = "no addresses"
        do { found = try resolver(name) } catch { failure = "\(error)" }
        let cidrs = found.compactMap { IPAddress($0).map { CIDR(address: $0, prefixLength: 128) } }
        if cidrs.isEmpty {
            warnings.append(ProfileWarning(location: location(of: node),
                                           message: "host '\(name)' did not resolve (\(failure)); this destination matches nothing until the profile is reloaded"))
        }
        return cidrs
    }

    // MARK: - Typed accessors

    func mapping(_ node: Node, what: String, allowed: [String]) throws(ProfileError) -> Fields {
        guard case .mapping(let map) = node else {
            throw error(at: node, "\(what) must be a mapping of keys to values, found \(kind(of: node))")
        }
        var fields = Fields(items: [])
        for (keyNode, value) in map {
            guard case .scalar(let k) = keyNode else { throw error(at: keyNode, "keys in \(what) must be plain words") }
            guard allowed.contains(k.string) else {
                throw error(at: keyNode, "unknown key '\(k.string)' in \(what)\(ClosestMatch.hint(for: k.string, among: allowed)) (valid keys: \(allowed.joined(separator: ", ")))")
            }
            fields.items.append((k.string, keyNode, value))
        }
        return fields
    }

    func string(_ node: Node, what: String) throws(ProfileError) -> String {
        guard case .scalar(let s) = node, tagName(node) != .null else {
            throw error(at: node, "\(what) must be a string, found \(kind(of: node))")
        }
        return s.string
    }

    /// A list of strings; a single scalar is accepted as a one-item list. Items keep their nodes.
    func stringList(_ node: Node, what: String) throws(ProfileError) -> [(String, Node)] {
        switch node {
        case .scalar:
            return [(try string(node, what: what), node)]
        case .sequence(let seq):
            var out: [(String, Node)] = []
            for item in seq { out.append((try string(item, what: "items of \(what)"), item)) }
            return out
        default:
            throw error(at: node, "\(what) must be a list of strings, found \(kind(of: node))")
        }
    }

    func integer(_ node: Node, what: String) throws(ProfileError) -> Int {
        guard tagName(node) == .int, let v = node.int else {
            throw error(at: node, "\(what) must be an integer, found \(kind(of: node))")
        }
        return v
    }

    func number(_ node: Node, what: String) throws(ProfileError) -> Double {
        guard tagName(node) == .int || tagName(node) == .float, let v = node.float ?? node.int.map(Double.init), v.isFinite else {
            throw error(at: node, "\(what) must be a number, found \(kind(of: node))")
        }
        return v
    }

    func boolean(_ node: Node, what: String) throws(ProfileError) -> Bool {
        guard tagName(node) == .bool, let v = node.bool else {
            throw error(at: node, "\(what) must be true or false, found \(kind(of: node))")
        }
        return v
    }

    /// A glob pattern, refused past `ProfileLimits.maxPatternBytes` (matching cost grows with it).
    func glob(_ text: String, at node: Node) throws(ProfileError) -> Glob {
        guard text.utf8.count <= ProfileLimits.maxPatternBytes else {
            throw error(at: node, "pattern is \(text.utf8.count) bytes, over the \(ProfileLimits.maxPatternBytes)-byte limit for a pattern")
        }
        return Glob(text)
    }

    /// A list of globs (a scalar is a one-item list).
    func globList(_ node: Node, what: String) throws(ProfileError) -> [Glob] {
        var out: [Glob] = []
        for (text, itemNode) in try stringList(node, what: what) { out.append(try glob(text, at: itemNode)) }
        return out
    }

    func ruleID(_ id: String, at node: Node) throws(ProfileError) -> String {
        guard knownRuleIDs.contains(id) else {
            throw error(at: node, "unknown rule id '\(id)'\(ClosestMatch.hint(for: id, among: knownRuleIDs)) (known: \(knownRuleIDs.sorted().joined(separator: ", ")))")
        }
        return id
    }

    func cidr(_ text: String, at node: Node) throws(ProfileError) -> CIDR {
        guard let c = CIDR(text) else {
            throw error(at: node, "bad CIDR '\(text)': expected an IPv4 or IPv6 address with an optional /prefix (0-32 for IPv4, 0-128 for IPv6)")
        }
        return c
    }

    /// Ports as "443,8000-9000", a number, or a list of either.
    func ports(_ node: Node) throws(ProfileError) -> PortSet {
        let text: String
        switch node {
        case .scalar:
            text = try string(node, what: "'ports'")
        case .sequence(let seq):
            var items: [String] = []
            for item in seq { items.append(try string(item, what: "items of 'ports'")) }
            text = items.joined(separator: ",")
        default:
            throw error(at: node, "'ports' must be a port list like \"443,8000-9000\", found \(kind(of: node))")
        }
        switch PortSet.parse(text) {
        case .success(let set): return set
        case .failure(let e): throw error(at: node, "bad port range '\(text)': \(e.reason)")
        }
    }

    /// The node's resolved tag (`Tag.name` is internal to Yams; its raw value is public).
    func tagName(_ node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.rawValue) }

    // MARK: - Errors

    func location(of node: Node) -> ProfileLocation {
        ProfileLocation(file: file, line: node.mark?.line ?? 0, column: node.mark?.column ?? 0)
    }

    func error(at node: Node, _ reason: String) -> ProfileError {
        ProfileError(file: file, line: node.mark?.line, column: node.mark?.column, reason: reason)
    }

    func kind(of node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let s):
            switch tagName(node) {
            case .null: return "null"
            case .bool: return "a boolean (\(s.string))"
            case .int, .float: return "a number (\(s.string))"
            default: return "the string \"\(s.string)\""
            }
        }
    }
}
