// SPDX-License-Identifier: Apache-2.0
// Turns (rule, event, pid, state) into a Falco-shaped Alert: output_fields under Falco's field names,
// null where the value is unknown, and the `output` sentence rendered from the rule's template with
// Falco's `%field` placeholders. Detectors call this so every alert carries the same facts.

/// Builds alerts. Field names follow Falco's supported fields (falco --list=syscall):
///
/// - `evt.time` (ns since the epoch, integer), `evt.type` (`execve`, `clone`, `procexit`, `open`,
///   `connect`, or the trace kind for events without a syscall of their own)
/// - `proc.pid`, `proc.ppid`, `proc.name` (kernel comm, else exe base name), `proc.exepath`,
///   `proc.cmdline` (proc.name + proc.args, as Falco builds it), `proc.args` (argv[1...]), `proc.cwd`,
///   `proc.pname`, `proc.pcmdline`, `proc.aname[2]`…`proc.aname[5]`, `proc.apid[2]`…`proc.apid[5]`
///   (1 is the parent, given as pname/ppid), and runtime-watch's `proc.ancestry`: ancestors nearest
///   first as "name(pid)", up to `ancestryLimit`
/// - `user.uid` (effective uid, as Falco's driver records it), `group.gid` (effective gid)
/// - `container.id` (12 hex, or `host` for a host process), `container.name` (`host` for a host
///   process), `container.image` (full reference), `container.image.repository`, `container.image.tag`
/// - `k8s.pod.name`, `k8s.ns.name`, `k8s.pod.uid`
/// - `fd.name` (path as the process saw it, or Falco's `lip:lport->rip:rport` tuple), `fd.rip`,
///   `fd.rport`, and for connects `fd.lip`, `fd.lport`, `fd.l4proto`, `fd.type` (`ipv4`/`ipv6`)
///
/// Every key above is always present (null when unknown), so SIEM parsers see a stable shape.
/// Only when a value was cut to `EventBounds` (a hostile or broken input): `proc.truncated`,
/// `container.truncated` and `fd.truncated` list the fields cut (`["argv"]`, `["image"]`, `["path"]`).
public enum AlertBuilder {
    /// Highest `proc.aname[N]`/`proc.apid[N]` level emitted.
    public static let maxAncestorLevel = 5
    /// Most entries in `proc.ancestry`.
    public static let ancestryLimit = 16
    /// `proc.aname[2]`…`proc.aname[5]` and `proc.apid[2]`…: built once, not per alert.
    static let ancestorNameKeys = (2...maxAncestorLevel).map { "proc.aname[\($0)]" }
    static let ancestorPIDKeys = (2...maxAncestorLevel).map { "proc.apid[\($0)]" }

    /// Builds an alert for `rule`.
    /// - Parameters:
    ///   - template: the output sentence with `%field` placeholders (`%%` is a literal percent sign).
    ///   - pid: the process the alert is about (nil: process fields are null).
    ///   - priority: overrides the rule's default priority for this alert.
    ///   - extra: rule-specific fields, added last (they override the standard ones).
    /// - Returns: an alert whose `output_fields` is never empty (it holds at least `evt.time`).
    public static func build(rule: Rule, output template: String, record: EventRecord, pid: ProcessID?,
                             state: SystemState, hostname: String, priority: Priority? = nil,
                             extra: AlertFields = [:]) -> Alert {
        var fields = standardFields(record: record, pid: pid, state: state)
        for (k, v) in extra { fields[k] = v }
        return Alert(timestamp: record.timestamp, ruleID: rule.id, ruleName: rule.name,
                     priority: priority ?? rule.priority, source: rule.source, hostname: hostname,
                     outputTemplate: template, tags: rule.tags, fields: fields, advice: rule.advice)
    }

    /// The standard fields for `pid` at `record` (see the type's documentation for the list).
    /// Set in name order, group by group (container, evt, fd, group, k8s, proc, user): `AlertFields`
    /// keeps names sorted, so each set is an append, not a search and an insert.
    public static func standardFields(record: EventRecord, pid: ProcessID?, state: SystemState) -> AlertFields {
        var f = AlertFields()
        f.reserveCapacity(40)
        let (info, containerKnown) = pid.map { processInfo(record: record, pid: $0, state: state) } ?? (nil, nil)
        let workload = WorkloadFields(containerKnown, state: state)
        workload.addContainerFields(to: &f)
        f["evt.time"] = .int(Int64(clamping: record.timestamp))
        f["evt.type"] = .string(falcoEventType(record.event))
        addDescriptorFields(to: &f, event: record.event)
        f["group.gid"] = FieldValue(info?.credentials?.egid)
        workload.addPodFields(to: &f)
        addProcessFields(to: &f, record: record, pid: pid, info: info, state: state)
        f["user.uid"] = FieldValue(info?.credentials?.euid)
        return f
    }

    /// `alert` with `thread.cap_effective` set to the names of the effective capabilities of its
    /// `proc.pid` (from the state, else from what `record` carried), space-separated in number order
    /// (`CAP_NET_RAW CAP_SYS_ADMIN`, Falco's format; empty string for none). `name` maps a number to
    /// its name (injected: Core cannot link libcap); a number it cannot name prints as `CAP_<n>`.
    /// Returns `alert` unchanged when it has no pid or capture did not read the process's CapEff.
    public static func addingCapabilityNames(to alert: Alert, record: EventRecord, state: SystemState,
                                             name: (Int) -> String?) -> Alert {
        addingCapabilityNames(to: alert, record: record, state: state) { capabilityNames(mask: $0, name: name) }
    }

    /// `addingCapabilityNames` with the mask named by `names` (the engine's `CapabilityNameMemo`).
    static func addingCapabilityNames(to alert: Alert, record: EventRecord, state: SystemState,
                                      names: (UInt64) -> String) -> Alert {
        guard case .int(let raw)? = alert.fields["proc.pid"], let pid = Int32(exactly: raw) else { return alert }
        guard let mask = processInfo(record: record, pid: ProcessID(rawValue: pid), state: state).0?.credentials?.capEff else { return alert }
        var annotated = alert
        annotated.fields["thread.cap_effective"] = .string(names(mask))
        return annotated
    }

    /// The names of the capabilities set in `mask`, ascending, space-separated.
    public static func capabilityNames(mask: UInt64, name: (Int) -> String?) -> String {
        (0..<64).filter { mask & (1 << UInt64($0)) != 0 }.map { name($0) ?? "CAP_\($0)" }.joined(separator: " ")
    }

    /// Falco's syscall name for the events that have one; the trace kind otherwise.
    public static func falcoEventType(_ event: Event) -> String {
        switch event {
        case .exec: "execve"
        case .fork: "clone"
        case .exit: "procexit"
        default: event.kind
        }
    }

    /// Process info from the state, else from what the event itself carried (a process that exited
    /// before the state saw it).
    static func processInfo(record: EventRecord, pid: ProcessID, state: SystemState) -> (ProcessInfo?, ContainerID??) {
        if let r = state.process(pid) { return (r.info, .some(r.container)) }
        var carried: ProcessInfo?
        switch record.event {
        case .fileOpen(let o) where o.pid == pid: carried = o.process
        case .connect(let c) where c.pid == pid: carried = c.process
        case .exec(let p) where p.pid == pid, .snapshot(let p) where p.pid == pid: carried = p
        default: break
        }
        guard let carried else { return (nil, nil) }
        // Without a cgroup we cannot tell host from container: leave container unknown.
        guard let cgroup = carried.cgroup else { return (carried, nil) }
        return (carried, .some(SystemState.containerID(forCgroup: cgroup)))
    }

    static func name(of info: ProcessInfo) -> String? {
        if let comm = info.comm, !comm.isEmpty { return comm }
        return info.name
    }

    /// Falco's proc.cmdline: proc.name followed by the arguments.
    static func cmdline(of info: ProcessInfo) -> String? {
        guard let name = name(of: info) else { return nil }
        guard let argv = info.argv, argv.count > 1 else { return name }
        return spaced(name, argv.dropFirst())
    }

    /// `head` then each of `rest`, space-separated, built at its final size (one allocation;
    /// `joined` and `+` allocated at each step, and alerts are built for every folded repeat too).
    static func spaced(_ head: String?, _ rest: ArraySlice<String>) -> String {
        var bytes = head.map { $0.utf8.count } ?? -1
        for part in rest { bytes += 1 + part.utf8.count }
        var out = ""
        out.reserveCapacity(max(bytes, 0))
        if let head { out += head }
        for (i, part) in rest.enumerated() {
            if head != nil || i > 0 { out += " " }
            out += part
        }
        return out
    }

    /// The `proc.*` fields, in name order.
    private static func addProcessFields(to f: inout AlertFields, record: EventRecord, pid: ProcessID?,
                                         info: ProcessInfo?, state: SystemState) {
        // Ancestry: parent first. Built from the ppid so it works for processes the state lacks.
        // Each ancestor's fields are kept as the walk reaches it: no array of whole records.
        let ppid = pid.flatMap { state.process($0)?.ppid } ?? info?.ppid
        var ancestry: [String] = []
        var parentName: FieldValue = .null, parentCmdline: FieldValue = .null
        var ancestorNames = InlineArray<4, FieldValue>(repeating: .null)   // proc.aname[2]…[5]
        var ancestorPIDs = InlineArray<4, FieldValue>(repeating: .null)    // proc.apid[2]…[5]
        func add(_ ancestor: ProcessRecord) {
            let ancestorName = name(of: ancestor.info)
            let level = ancestry.count + 1
            if level == 1 {
                parentName = FieldValue(ancestorName)
                parentCmdline = FieldValue(cmdline(of: ancestor.info))
            } else if level <= maxAncestorLevel {
                ancestorNames[level - 2] = FieldValue(ancestorName)
                ancestorPIDs[level - 2] = FieldValue(ancestor.pid.rawValue)
            }
            ancestry.append("\(ancestorName ?? "?")(\(ancestor.pid.rawValue))")
        }
        if let ppid, let parent = state.process(ppid) {
            add(parent)
            for ancestor in state.ancestors(of: ppid, limit: ancestryLimit - 1) { add(ancestor) }
        }
        for level in 2...maxAncestorLevel { f[ancestorNameKeys[level - 2]] = ancestorNames[level - 2] }
        f["proc.ancestry"] = .list(ancestry)   // "proc.ana…" < "proc.anc…" < "proc.apid"
        for level in 2...maxAncestorLevel { f[ancestorPIDKeys[level - 2]] = ancestorPIDs[level - 2] }
        f["proc.args"] = FieldValue(info?.argv.map { spaced(nil, $0.dropFirst()) })
        f["proc.cmdline"] = FieldValue(info.flatMap(cmdline(of:)))
        f["proc.cwd"] = FieldValue(info?.cwd)
        f["proc.exepath"] = FieldValue(info?.exe)
        f["proc.name"] = FieldValue(info.flatMap(name(of:)))
        f["proc.pcmdline"] = parentCmdline
        f["proc.pid"] = FieldValue(pid?.rawValue)
        f["proc.pname"] = parentName
        f["proc.ppid"] = FieldValue(ppid?.rawValue)
        if let cut = info?.truncated { f["proc.truncated"] = .list(cut) }
    }

    /// Container and pod fields. `containerKnown` is nil when we cannot tell; .some(nil) for a host
    /// process. Kept apart because the names fall in two groups (`container.*`, then `k8s.*` after
    /// `evt`, `fd` and `group`).
    private struct WorkloadFields {
        var id: FieldValue = .null, name: FieldValue = .null
        var image: FieldValue = .null, repository: FieldValue = .null, tag: FieldValue = .null
        var truncated: [String]?
        var pod: FieldValue = .null, namespace: FieldValue = .null, podUID: FieldValue = .null

        init(_ containerKnown: ContainerID??, state: SystemState) {
            switch containerKnown {
            case .some(.none):
                id = .string("host"); name = .string("host")
            case .some(.some(let cid)):
                id = .string(cid.short)
                if let c = state.container(cid) {
                    name = FieldValue(c.containerName)
                    image = FieldValue(c.image)
                    repository = FieldValue(c.imageRepository)
                    tag = FieldValue(imageTag(c))
                    pod = FieldValue(c.podName)
                    namespace = FieldValue(c.namespace)
                    podUID = FieldValue(c.podUID)
                    truncated = c.truncated
                }
            case .none:
                break
            }
        }

        func addContainerFields(to f: inout AlertFields) {
            f["container.id"] = id
            f["container.image"] = image
            f["container.image.repository"] = repository
            f["container.image.tag"] = tag
            f["container.name"] = name
            if let truncated { f["container.truncated"] = .list(truncated) }
        }

        func addPodFields(to f: inout AlertFields) {
            f["k8s.ns.name"] = namespace
            f["k8s.pod.name"] = pod
            f["k8s.pod.uid"] = podUID
        }
    }

    /// The tag of `repo:tag` (nil for digests-only or untagged references).
    static func imageTag(_ c: ContainerInfo) -> String? {
        guard var ref = c.image else { return nil }
        if let at = ref.firstIndex(of: "@") { ref = String(ref[..<at]) }
        guard let colon = ref.lastIndex(of: ":"), !ref[colon...].contains("/") else { return nil }
        return String(ref[ref.index(after: colon)...])
    }

    /// The `fd.*` fields, in name order.
    private static func addDescriptorFields(to f: inout AlertFields, event: Event) {
        switch event {
        case .fileOpen(let o):
            f["fd.name"] = .string(o.containerPath ?? o.path)
            f["fd.rip"] = .null
            f["fd.rport"] = .null
            if let cut = o.truncated { f["fd.truncated"] = .list(cut) }
        case .connect(let c):
            func endpoint(_ address: String, _ port: UInt16) -> String {
                address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
            }
            let remote = endpoint(c.remoteAddress, c.remotePort)
            f["fd.l4proto"] = .string(c.proto)
            f["fd.lip"] = FieldValue(c.localAddress)
            f["fd.lport"] = FieldValue(c.localPort)
            if let la = c.localAddress, let lp = c.localPort {
                f["fd.name"] = .string(endpoint(la, lp) + "->" + remote)
            } else {
                f["fd.name"] = .string(remote)
            }
            f["fd.rip"] = .string(c.remoteAddress)
            f["fd.rport"] = .int(Int64(c.remotePort))
            if let cut = c.truncated { f["fd.truncated"] = .list(cut) }
            f["fd.type"] = .string(c.remoteAddress.contains(":") ? "ipv6" : "ipv4")
        default:
            f["fd.name"] = .null
            f["fd.rip"] = .null
            f["fd.rport"] = .null
        }
    }

    /// Renders Falco-style `%field` placeholders from `fields`. A field name runs over letters, digits,
    /// `_`, `.`, `[` and `]`; trailing dots that are not part of a known field are sentence punctuation.
    /// Unknown or null fields render as `<NA>`, as Falco prints them; `%%` is a literal `%`.
    public static func render(_ template: String, fields: AlertFields) -> String {
        // Walks the UTF-8 bytes and copies literal runs whole: placeholders are ASCII, so every
        // index stopped at is a character boundary of `template`.
        var out = ""
        out.reserveCapacity(template.utf8.count + 64)
        let bytes = template.utf8
        func isNameByte(_ b: UInt8) -> Bool {
            (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z"))
                || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
                || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "[") || b == UInt8(ascii: "]")
        }
        var i = bytes.startIndex
        var literalStart = i
        while i < bytes.endIndex {
            guard bytes[i] == UInt8(ascii: "%") else { i = bytes.index(after: i); continue }
            out += template[literalStart..<i]
            let nameStart = bytes.index(after: i)
            if nameStart < bytes.endIndex, bytes[nameStart] == UInt8(ascii: "%") {
                out.append("%")
                i = bytes.index(after: nameStart)
                literalStart = i
                continue
            }
            var j = nameStart
            while j < bytes.endIndex, isNameByte(bytes[j]) { j = bytes.index(after: j) }
            var name = String(template[nameStart..<j])
            var end = j
            while fields[name] == nil, name.hasSuffix(".") { name.removeLast(); end = bytes.index(before: end) }
            if name.isEmpty {
                out.append("%")
                i = nameStart
                literalStart = i
                continue
            }
            out += (fields[name] ?? .null).description
            i = end
            literalStart = i
        }
        out += template[literalStart...]
        return out
    }
}
