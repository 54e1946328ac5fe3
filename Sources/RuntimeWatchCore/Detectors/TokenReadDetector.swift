// SPDX-License-Identifier: Apache-2.0
// Rules "Service account token read" (T1552.007) and "Kubernetes API contacted after token read".
// Capture watches only token files, so every non-write open here is a token read. What decides an
// alert is WHO reads: the profile's allowlist (namespace, image, executable path — never the process
// name alone), and the workload's own main process, which Kubernetes client libraries make re-read
// the token as it rotates.

public struct TokenReadDetector: Detector {
    public var rules: [Rule] { [.serviceAccountTokenRead, .kubernetesAPIAfterTokenRead] }

    /// Treat a read by the container's entrypoint executable, with no shell or interpreter between it
    /// and the container's init, as expected (client libraries re-read rotated tokens).
    public var allowEntrypointReaders = true
    /// How long after an unexpected token read an API-server connection from the same container is
    /// linked to it.
    public var correlationWindowNanoseconds: UInt64 = 600_000_000_000

    private struct TokenRead: Sendable {
        var time: UInt64
        var pid: ProcessID
        var exe: String?
        var path: String
    }
    /// Last unexpected token read per container (or per host pid for host processes). Bounded.
    private var unexpectedReads: [String: TokenRead] = [:]
    private let maxTracked = 4096
    /// Reads linked, by pod UID, to the API requests made with the pod's token (audit events).
    private var auditLink = TokenUseLink(windowNanoseconds: 600_000_000_000)
    /// The latest audit event time (audit events run on the API server's clock).
    private var auditClock: UInt64 = 0

    public init() {}

    public mutating func inspect(_ record: EventRecord, context: DetectionContext) -> [Alert] {
        switch record.event {
        case .fileOpen(let open) where !open.write:
            return tokenRead(open, record: record, context: context)
        case .connect(let c) where c.result == 0 || c.result == 115:
            return apiAfterRead(c, record: record, context: context)
        case .k8sAudit(let e):
            return requestWithPodToken(e, record: record, context: context)
        default:
            return []
        }
    }

    /// Only reads of token files and successful or in-flight connects matter.
    public func needsInspection(of record: EventRecord) -> Bool {
        switch record.event {
        case .fileOpen(let open): !open.write
        case .connect(let c): (c.result == 0 || c.result == 115) && !unexpectedReads.isEmpty
        case .k8sAudit(let e): e.user.extraValue(K8sTokenUseDetector.podUIDExtra) != nil
        default: false
        }
    }

    private mutating func tokenRead(_ open: FileOpenEvent, record: EventRecord, context: DetectionContext) -> [Alert] {
        let pid = open.pid
        let seenPath = open.containerPath ?? open.path
        if context.expects(.serviceAccountTokenRead, pid: pid, target: .path(seenPath)) { return [] }
        let info = context.state.process(pid)?.info ?? open.process
        let kind = info.map(ProgramClassifier.kind(of:)) ?? .other
        if allowEntrypointReaders, kind == .other, isEntrypointReader(pid, context: context) { return [] }

        let critical: Bool
        switch kind {
        case .shell, .copyOrEncodeTool, .networkTool: critical = true
        case .interpreter: critical = info.map(ProgramClassifier.isOneLiner) ?? false
        case .other: critical = false
        }
        let key = correlationKey(pid, context: context)
        if unexpectedReads.count >= maxTracked { unexpectedReads.removeAll(keepingCapacity: true) }
        unexpectedReads[key] = TokenRead(time: record.timestamp, pid: pid, exe: info?.exe, path: seenPath)
        if let podUID = context.state.process(pid)?.container.flatMap({ context.state.container($0)?.podUID }) {
            auditLink.noteRead(TokenUseLink.Read(time: record.timestamp, pid: pid, exe: info?.exe, path: seenPath), podUID: podUID, record: record)
        }

        let extra: AlertFields = [
            "fd.name": .string(seenPath),
            "rw.token.host_path": .string(open.path),
            "rw.reader_kind": .string(kind.rawValue),
        ]
        return [context.alert(.serviceAccountTokenRead, output: Self.readTemplate, record: record, pid: pid,
                              priority: critical ? .critical : nil, extra: extra)]
    }

    private mutating func apiAfterRead(_ c: ConnectEvent, record: EventRecord, context: DetectionContext) -> [Alert] {
        guard !unexpectedReads.isEmpty else { return [] }
        let key = correlationKey(c.pid, context: context)
        guard let read = unexpectedReads[key], record.timestamp >= read.time,
              record.timestamp - read.time <= correlationWindowNanoseconds,
              isAPIServer(address: c.remoteAddress, port: c.remotePort, context: context) else { return [] }
        if context.expects(.kubernetesAPIAfterTokenRead, pid: c.pid,
                           target: .destination(address: c.remoteAddress, port: c.remotePort)) { return [] }
        unexpectedReads[key] = nil   // one linked alert per read
        let extra: AlertFields = [
            "rw.token.read_time": .int(Int64(clamping: read.time)),
            "rw.token.reader_pid": .int(Int64(read.pid.rawValue)),
            "rw.token.reader_exepath": FieldValue(read.exe),
            "rw.token.path": .string(read.path),
        ]
        return [context.alert(.kubernetesAPIAfterTokenRead, output: Self.apiTemplate, record: record, pid: c.pid, extra: extra)]
    }

    /// An audit event made with a pod's bound token: linked to a suspicious read in that pod.
    private mutating func requestWithPodToken(_ e: AuditEvent, record: EventRecord, context: DetectionContext) -> [Alert] {
        auditClock = max(auditClock, record.timestamp)
        if AuditStagePolicy.shouldEvaluate(e), let podUID = e.user.extraValue(K8sTokenUseDetector.podUIDExtra) {
            let ref = e.objectRef
            let object = [ref?.namespace, ref?.name].compactMap { $0.flatMap { $0.isEmpty ? nil : $0 } }.joined(separator: "/")
            let line = "\(e.verb) \([ref?.resource, ref?.subresource].compactMap { $0 }.joined(separator: "/")) \(object.isEmpty ? "-" : object) "
                + (e.responseStatus?.code.map(String.init) ?? "-")
            auditLink.noteRequest(TokenUseLink.Request(time: record.timestamp, auditID: e.auditID, line: line), podUID: podUID, record: record)
        }
        return auditLink.due(auditNow: auditClock, tick: nil).map { linkedAlert($0, context: context) }
    }

    /// Requests still being collected when the audit source goes quiet (or the input ends).
    public mutating func due(now: UInt64, context: DetectionContext) -> [Alert] {
        guard !auditLink.isIdle else { return [] }
        return auditLink.due(auditNow: auditClock, tick: now).map { linkedAlert($0, context: context) }
    }

    private func linkedAlert(_ linked: TokenUseLink.Linked, context: DetectionContext) -> Alert {
        let more = linked.total > linked.requests.count ? "; \(linked.total - linked.requests.count) more" : ""
        let extra: AlertFields = [
            "rw.token.read_time": .int(Int64(clamping: linked.read.time)),
            "rw.token.reader_pid": .int(Int64(linked.read.pid.rawValue)),
            "rw.token.reader_exepath": FieldValue(linked.read.exe),
            "rw.token.path": .string(linked.read.path),
            "rw.token.pod_uid": .string(linked.podUID),
            "rw.evidence": .string("audit"),
            "ka.requests": .list(linked.requests.map(\.line)),
            "ka.requests.count": .int(Int64(linked.total)),
        ]
        let output = "Service account token read by %rw.token.reader_exepath (pid=%rw.token.reader_pid) then used for "
            + "\(linked.total) API request\(linked.total == 1 ? "" : "s"): \(linked.requests.map(\.line).joined(separator: "; "))\(more) "
            + "(container=%container.id pod=%k8s.ns.name/%k8s.pod.name)"
        return context.alert(.kubernetesAPIAfterTokenRead, output: output, record: linked.record, pid: linked.read.pid, extra: extra)
    }

    /// The API server: the profile's `kubernetes_api` setting, else any address on 443/6443 once a
    /// token was read (the in-cluster service VIP is not known to the node without the API).
    private func isAPIServer(address: String, port: UInt16, context: DetectionContext) -> Bool {
        if let api = context.profile.settings.kubernetesAPI, let ip = IPAddress(address) {
            return api.matches(address: ip, port: port)
        }
        return port == 443 || port == 6443
    }

    private func correlationKey(_ pid: ProcessID, context: DetectionContext) -> String {
        if let c = context.state.process(pid)?.container { return c.rawValue }
        return "host:\(pid.rawValue)"
    }

    /// True when `pid` runs the container's entrypoint executable and no shell or interpreter sits
    /// between it and the container's init.
    private func isEntrypointReader(_ pid: ProcessID, context: DetectionContext) -> Bool {
        guard let proc = context.state.process(pid), let containerID = proc.container,
              let entry = context.state.container(containerID)?.entrypoint?.first, let exe = proc.info.exe else { return false }
        let matches = entry.hasPrefix("/") ? exe == entry : ProgramClassifier.baseName(exe) == entry
        guard matches else { return false }
        return !context.state.ancestors(of: pid, limit: 16).contains {
            $0.container == containerID && ProgramClassifier.isShellOrInterpreter($0.info)
        }
    }

    static let readTemplate = "%fd.name read by %proc.name (exe=%proc.exepath pid=%proc.pid cmdline=%proc.cmdline parent=%proc.pname user=%user.uid container=%container.id pod=%k8s.ns.name/%k8s.pod.name image=%container.image.repository)"
    static let apiTemplate = "Kubernetes API server %fd.rip:%fd.rport contacted by %proc.exepath (pid=%proc.pid) after %rw.token.reader_exepath read the service account token (container=%container.id pod=%k8s.ns.name/%k8s.pod.name)"
}
