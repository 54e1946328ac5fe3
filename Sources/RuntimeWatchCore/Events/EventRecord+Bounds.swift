// SPDX-License-Identifier: Apache-2.0
// `EventBounds` applied to each payload: what is cut, and what the state counts as a record's bytes.
// A payload within its bounds comes back unchanged and unmarked, so ordinary traces and alerts are
// byte-identical to what they were before the bounds.

extension EventRecord {
    /// This record with every string and list of its event cut to `EventBounds`, the cut fields
    /// listed in the payload's `truncated`. Kubernetes audit events are bounded by the request body
    /// and line limits and hold nothing in the state; forks, exits and ids carry no strings.
    public func bounded() -> EventRecord {
        var out = self
        switch event {
        case .snapshot(let p): out.event = .snapshot(p.bounded())
        case .exec(let p): out.event = .exec(p.bounded())
        case .comm(let e): out.event = .comm(e.bounded())
        case .descriptors(let e): out.event = .descriptors(e.bounded())
        case .container(let e): out.event = .container(e.bounded())
        case .fileOpen(let e): out.event = .fileOpen(e.bounded())
        case .connect(let e): out.event = .connect(e.bounded())
        case .fork, .exit, .uid, .gid, .sid, .ptrace, .coredump, .drop, .k8sAudit: return self
        }
        return out
    }
}

extension ProcessInfo {
    /// This process cut to `EventBounds`: "argv", "exe", "cwd", "cgroup", "comm", "fds".
    public func bounded() -> ProcessInfo {
        // Every ordinary process: known within bounds since its image last changed, so not walked
        // per event (the walk below was 3% of replay; BENCHMARKS section 15).
        if isWithinBounds { return self }
        var cut = Truncation(truncated)
        let argv = cut.cut(argv, count: EventBounds.argvCount, bytes: EventBounds.argvBytes, "argv")
        let exe = cut.cut(exe, EventBounds.pathBytes, "exe")
        let cwd = cut.cut(cwd, EventBounds.pathBytes, "cwd")
        let cgroup = cut.cut(cgroup, EventBounds.pathBytes, "cgroup")
        let comm = cut.cut(comm, EventBounds.commBytes, "comm")
        let fds = fds.map { DescriptorInfo.bounded($0, &cut) }
        // Within bounds (every ordinary process): unchanged, still sharing its image.
        guard cut.cutAny else { return self }
        var out = self
        out.argv = argv; out.exe = exe; out.cwd = cwd; out.cgroup = cgroup; out.comm = comm; out.fds = fds
        out.truncated = cut.marks
        return out
    }

    /// Whether `bounded()` would cut none of these fields: the test `bounded()` skips its walk on,
    /// made once per change of the fields (`ProcessInfo`'s image keeps the answer).
    static func fieldsWithinBounds(comm: String?, exe: String?, argv: [String]?, cwd: String?, cgroup: String?,
                                   fds: [DescriptorInfo]?) -> Bool {
        func fits(_ value: String?, _ limit: Int) -> Bool { (value?.utf8.count ?? 0) <= limit }
        guard fits(comm, EventBounds.commBytes), fits(exe, EventBounds.pathBytes), fits(cwd, EventBounds.pathBytes),
              fits(cgroup, EventBounds.pathBytes) else { return false }
        if let argv {
            guard argv.count <= EventBounds.argvCount,
                  argv.reduce(0, { $0 + $1.utf8.count }) <= EventBounds.argvBytes else { return false }
        }
        if let fds {
            guard fds.count <= EventBounds.descriptorCount, fds.allSatisfy(\.isWithinBounds) else { return false }
        }
        return true
    }

    /// Adds `fields` (cut where their event entered) to `truncated`, each once.
    mutating func markTruncated(_ fields: [String]) {
        guard !fields.isEmpty else { return }
        var cut = Truncation(truncated)
        for field in fields { cut.mark(field) }
        truncated = cut.marks
    }

    /// Says whether `field`, just replaced by an event's value, was cut (a comm or fds event
    /// replaces the whole field, so an earlier cut of it no longer applies).
    mutating func setTruncated(_ field: String, _ isCut: Bool) {
        var kept = (truncated ?? []).filter { $0 != field }
        if isCut { kept.append(field) }
        let marks = kept.isEmpty ? nil : kept
        // Unchanged (the common case: nothing cut before or now) is not written: a write copies
        // an image shared with the parent.
        if marks != truncated { truncated = marks }
    }
}

extension DescriptorInfo {
    /// At most `EventBounds.descriptorCount` descriptors, each string cut; any cut marks "fds".
    static func bounded(_ fds: [DescriptorInfo], _ cut: inout Truncation) -> [DescriptorInfo] {
        // Written back only when changed: an exec's descriptors are within bounds and keep their
        // storage (no copy of the array per event).
        var kept = fds.count > EventBounds.descriptorCount ? Array(fds.prefix(EventBounds.descriptorCount)) : fds
        if kept.count < fds.count { cut.mark("fds") }
        for i in kept.indices {
            let d = kept[i].bounded(&cut)
            if d != kept[i] { kept[i] = d }
        }
        return kept
    }

    /// Whether `bounded(_:)` would leave this descriptor as it is.
    var isWithinBounds: Bool {
        guard target.utf8.count <= EventBounds.pathBytes else { return false }
        guard let s = socket else { return true }
        return s.family.utf8.count <= EventBounds.nameBytes && s.proto.utf8.count <= EventBounds.nameBytes
            && (s.state?.utf8.count ?? 0) <= EventBounds.nameBytes
            && (s.localAddress?.utf8.count ?? 0) <= EventBounds.addressBytes
            && (s.remoteAddress?.utf8.count ?? 0) <= EventBounds.addressBytes
    }

    private func bounded(_ cut: inout Truncation) -> DescriptorInfo {
        var out = self
        out.target = cut.cut(target, EventBounds.pathBytes, "fds")
        guard var s = socket else { return out }
        s.family = cut.cut(s.family, EventBounds.nameBytes, "fds")
        s.proto = cut.cut(s.proto, EventBounds.nameBytes, "fds")
        s.state = cut.cut(s.state, EventBounds.nameBytes, "fds")
        s.localAddress = cut.cut(s.localAddress, EventBounds.addressBytes, "fds")
        s.remoteAddress = cut.cut(s.remoteAddress, EventBounds.addressBytes, "fds")
        out.socket = s
        return out
    }

    var stringBytes: Int {
        let s = socket.map { $0.family.utf8.count + $0.proto.utf8.count + ($0.state?.utf8.count ?? 0)
            + ($0.localAddress?.utf8.count ?? 0) + ($0.remoteAddress?.utf8.count ?? 0) } ?? 0
        return 64 + target.utf8.count + s
    }
}

extension CommEvent {
    /// "comm" when the name was cut.
    public func bounded() -> CommEvent {
        var out = self
        var cut = Truncation(truncated)
        out.comm = cut.cut(comm, EventBounds.commBytes, "comm")
        out.truncated = cut.marks
        return out
    }
}

extension DescriptorsEvent {
    /// "fds" when the list or a descriptor's string was cut.
    public func bounded() -> DescriptorsEvent {
        var out = self
        var cut = Truncation(truncated)
        out.fds = DescriptorInfo.bounded(fds, &cut)
        out.truncated = cut.marks
        return out
    }
}

extension FileOpenEvent {
    /// "path", "containerPath"; the opener's process info as `ProcessInfo.bounded()`.
    public func bounded() -> FileOpenEvent {
        var out = self
        var cut = Truncation(truncated)
        out.path = cut.cut(path, EventBounds.pathBytes, "path")
        out.containerPath = cut.cut(containerPath, EventBounds.pathBytes, "containerPath")
        out.process = process?.bounded()
        out.truncated = cut.marks
        return out
    }
}

extension ConnectEvent {
    /// "proto", "localAddress", "remoteAddress"; the process info as `ProcessInfo.bounded()`.
    public func bounded() -> ConnectEvent {
        var out = self
        var cut = Truncation(truncated)
        out.proto = cut.cut(proto, EventBounds.nameBytes, "proto")
        out.localAddress = cut.cut(localAddress, EventBounds.addressBytes, "localAddress")
        out.remoteAddress = cut.cut(remoteAddress, EventBounds.addressBytes, "remoteAddress")
        out.process = process?.bounded()
        out.truncated = cut.marks
        return out
    }
}

extension ContainerInfo {
    /// Each field cut to its bound and named in `truncated` (the id as "id").
    public func bounded() -> ContainerInfo {
        var out = self
        var cut = Truncation(truncated)
        out.id = ContainerID(cut.cut(id.rawValue, EventBounds.nameBytes, "id"))
        out.runtime = cut.cut(runtime, EventBounds.nameBytes, "runtime")
        out.podUID = cut.cut(podUID, EventBounds.nameBytes, "podUID")
        out.qosClass = cut.cut(qosClass, EventBounds.nameBytes, "qosClass")
        out.podName = cut.cut(podName, EventBounds.nameBytes, "podName")
        out.namespace = cut.cut(namespace, EventBounds.nameBytes, "namespace")
        out.containerName = cut.cut(containerName, EventBounds.nameBytes, "containerName")
        out.image = cut.cut(image, EventBounds.pathBytes, "image")
        out.entrypoint = cut.cut(entrypoint, count: EventBounds.argvCount, bytes: EventBounds.argvBytes, "entrypoint")
        out.bundle = cut.cut(bundle, EventBounds.pathBytes, "bundle")
        out.resolvers = cut.cut(resolvers, count: EventBounds.resolverCount,
                                bytes: EventBounds.resolverCount * EventBounds.addressBytes, "resolvers")
        out.truncated = cut.marks
        return out
    }

    /// Bytes of strings this entry holds (what the container directory's byte budget counts).
    var stringBytes: Int {
        let names = [id.rawValue, runtime, podUID, qosClass, podName, namespace, containerName, image, bundle]
        let lists = [entrypoint, resolvers].compactMap { $0 }.joined()
        return names.reduce(0) { $0 + ($1?.utf8.count ?? 0) } + lists.reduce(0) { $0 + $1.utf8.count + 16 }
    }
}
