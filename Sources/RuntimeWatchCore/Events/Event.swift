// SPDX-License-Identifier: Apache-2.0
// One kernel observation, live or replayed. The Codable form of `EventRecord` IS the trace format:
// one flat JSON object per line, `{"ts":…,"type":"exec",…payload fields…}`. Adding a case needs a
// fixture and a line in README's event table.

/// A process forked. Only thread-group leaders are reported (threads are not processes).
public struct ForkEvent: Sendable, Hashable, Codable {
    public var parent: ProcessID
    public var child: ProcessID
    public init(parent: ProcessID, child: ProcessID) { self.parent = parent; self.child = child }
}

/// A process exited (thread-group leader only).
public struct ExitEvent: Sendable, Hashable, Codable {
    public var pid: ProcessID
    public var code: Int32
    /// Terminating signal, if killed by one.
    public var signal: Int32?
    public init(pid: ProcessID, code: Int32, signal: Int32? = nil) { self.pid = pid; self.code = code; self.signal = signal }
}

/// setuid/setgid family: the process's real and effective ids changed.
public struct IDChangeEvent: Sendable, Hashable, Codable {
    public var pid: ProcessID
    public var real: UInt32
    public var effective: UInt32
    public init(pid: ProcessID, real: UInt32, effective: UInt32) { self.pid = pid; self.real = real; self.effective = effective }
}

/// A process-scoped event that carries only the pid (setsid, coredump).
public struct PIDEvent: Sendable, Hashable, Codable {
    public var pid: ProcessID
    public init(pid: ProcessID) { self.pid = pid }
}

/// prctl(PR_SET_NAME) or exec changed `comm`.
public struct CommEvent: Sendable, Hashable, Codable {
    public var pid: ProcessID
    public var comm: String
    /// ["comm"] when the name was cut to `EventBounds.commBytes`; nil otherwise.
    public var truncated: [String]?
    public init(pid: ProcessID, comm: String) { self.pid = pid; self.comm = comm }
}

/// ptrace attach/detach.
public struct PtraceEvent: Sendable, Hashable, Codable {
    public var pid: ProcessID
    public var tracer: ProcessID
    public var attach: Bool
    public init(pid: ProcessID, tracer: ProcessID, attach: Bool) { self.pid = pid; self.tracer = tracer; self.attach = attach }
}

/// Capture lost events (receive-buffer overflow, queue full). Recorded so replay reproduces the
/// internal drop alert.
public struct DropEvent: Sendable, Hashable, Codable {
    /// Which source lost them: "proc_connector", "fanotify", "connect", "k8s_audit", …
    public var source: String
    public var count: UInt64
    public var reason: String
    /// Why, as one word for metrics and tuning: "queue_full", "kernel_overflow", "sequence_gap", …
    /// (nil in traces recorded before causes were named).
    public var cause: String?
    public init(source: String, count: UInt64, reason: String, cause: String? = nil) {
        self.source = source; self.count = count; self.reason = reason; self.cause = cause
    }
    /// "source/cause" (or the source alone without a cause): the key of drop counters and metrics.
    public var key: String { cause.map { source + "/" + $0 } ?? source }
}

/// A watched file (a service-account token) was opened.
public struct FileOpenEvent: Sendable, Hashable, Codable {
    public var pid: ProcessID
    /// The path the monitor watches (host path for kubelet volumes).
    public var path: String
    /// The path as the process inside its container sees it, when known.
    public var containerPath: String?
    public var write: Bool
    /// What capture read of the opener at the time, for openers that exit before anything else sees them.
    public var process: ProcessInfo?
    /// The fields cut to `EventBounds` ("path", "containerPath"); nil when nothing was cut.
    public var truncated: [String]?
    public init(pid: ProcessID, path: String, containerPath: String? = nil, write: Bool = false, process: ProcessInfo? = nil) {
        self.pid = pid; self.path = path; self.containerPath = containerPath; self.write = write; self.process = process
    }
}

/// An outbound connect.
public struct ConnectEvent: Sendable, Hashable, Codable {
    public var pid: ProcessID
    /// "tcp", "udp", or "unknown" (capture could not ask the socket: it was already closed).
    public var proto: String
    public var localAddress: String?
    public var localPort: UInt16?
    public var remoteAddress: String
    public var remotePort: UInt16
    /// 0 on success, otherwise the errno (EINPROGRESS for a non-blocking connect in flight).
    public var result: Int32
    public var process: ProcessInfo?
    /// The fields cut to `EventBounds` ("proto", "localAddress", "remoteAddress"); nil when nothing was cut.
    public var truncated: [String]?
    public init(pid: ProcessID, proto: String, localAddress: String? = nil, localPort: UInt16? = nil,
                remoteAddress: String, remotePort: UInt16, result: Int32 = 0, process: ProcessInfo? = nil) {
        self.pid = pid; self.proto = proto; self.localAddress = localAddress; self.localPort = localPort
        self.remoteAddress = remoteAddress; self.remotePort = remotePort; self.result = result; self.process = process
    }
}

/// Capture re-read a process's descriptors 0-2 (a shell gained a socket after exec).
public struct DescriptorsEvent: Sendable, Hashable, Codable {
    public var pid: ProcessID
    public var fds: [DescriptorInfo]
    /// ["fds"] when the list or a descriptor's string was cut to `EventBounds`; nil otherwise.
    public var truncated: [String]?
    public init(pid: ProcessID, fds: [DescriptorInfo]) { self.pid = pid; self.fds = fds }
}

public enum Event: Sendable, Hashable {
    /// A process that was already running when the monitor started (startup /proc scan or resync).
    case snapshot(ProcessInfo)
    case fork(ForkEvent)
    case exec(ProcessInfo)
    case exit(ExitEvent)
    case uid(IDChangeEvent)
    case gid(IDChangeEvent)
    case sid(PIDEvent)
    case comm(CommEvent)
    case ptrace(PtraceEvent)
    case coredump(PIDEvent)
    /// Metadata for a container, emitted once when capture first sees its id.
    // `indirect` (boxed): a rare event whose payload would otherwise set the size of every event
    // value, and events are copied at each stage of the pipeline.
    indirect case container(ContainerInfo)
    // Boxed too, though common: inline, a connect (two addresses and a process) made every event
    // a 145-byte value, and a replayed event was copied about fifty times on its way through the
    // decoder, the drive loop, the engine and the detectors (a `memmove` each: 14% of a replay's
    // time). Boxed, an event is the size of a process info; a boxed event costs one allocation.
    indirect case drop(DropEvent)
    indirect case fileOpen(FileOpenEvent)
    indirect case connect(ConnectEvent)
    indirect case descriptors(DescriptorsEvent)
    /// A Kubernetes API-server audit event (webhook or audit log), not a kernel observation. Its
    /// payload keys are the API server's own (`auditID`, `stage`, `verb`, `objectRef`, …). Boxed
    /// like `container`: inline, its ~450 bytes made every process event a 600-byte copy.
    indirect case k8sAudit(AuditEvent)

    /// The trace `type` tag, also used as the metrics `kind` dimension and Falco's `evt.type`.
    public var kind: String {
        switch self {
        case .snapshot: "snapshot"
        case .fork: "fork"
        case .exec: "exec"
        case .exit: "exit"
        case .uid: "uid"
        case .gid: "gid"
        case .sid: "sid"
        case .comm: "comm"
        case .ptrace: "ptrace"
        case .coredump: "coredump"
        case .container: "container"
        case .drop: "drop"
        case .fileOpen: "open"
        case .connect: "connect"
        case .descriptors: "fds"
        case .k8sAudit: "k8s_audit"
        }
    }

    /// The process the event is about, if any.
    public var pid: ProcessID? {
        switch self {
        case .snapshot(let p), .exec(let p): p.pid
        case .fork(let e): e.child
        case .exit(let e): e.pid
        case .uid(let e), .gid(let e): e.pid
        case .sid(let e), .coredump(let e): e.pid
        case .comm(let e): e.pid
        case .ptrace(let e): e.pid
        case .fileOpen(let e): e.pid
        case .connect(let e): e.pid
        case .descriptors(let e): e.pid
        case .container, .drop, .k8sAudit: nil
        }
    }
}

/// One event with its wall-clock time. This is one line of a trace.
public struct EventRecord: Sendable, Hashable {
    /// Nanoseconds since the Unix epoch (wall clock; capture converts kernel monotonic stamps).
    public var timestamp: UInt64
    public var event: Event
    public init(timestamp: UInt64, event: Event) { self.timestamp = timestamp; self.event = event }

    /// A record to decode into (`TraceReader.next(into:)`); its contents mean nothing.
    public static var unset: EventRecord { EventRecord(timestamp: 0, event: .sid(PIDEvent(pid: ProcessID(0)))) }
}

extension EventRecord: Codable {
    private enum Keys: String, CodingKey { case ts, type }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        timestamp = try c.decode(UInt64.self, forKey: .ts)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "snapshot": event = .snapshot(try ProcessInfo(from: decoder))
        case "fork": event = .fork(try ForkEvent(from: decoder))
        case "exec": event = .exec(try ProcessInfo(from: decoder))
        case "exit": event = .exit(try ExitEvent(from: decoder))
        case "uid": event = .uid(try IDChangeEvent(from: decoder))
        case "gid": event = .gid(try IDChangeEvent(from: decoder))
        case "sid": event = .sid(try PIDEvent(from: decoder))
        case "comm": event = .comm(try CommEvent(from: decoder))
        case "ptrace": event = .ptrace(try PtraceEvent(from: decoder))
        case "coredump": event = .coredump(try PIDEvent(from: decoder))
        case "container": event = .container(try ContainerInfo(from: decoder))
        case "drop": event = .drop(try DropEvent(from: decoder))
        case "open": event = .fileOpen(try FileOpenEvent(from: decoder))
        case "connect": event = .connect(try ConnectEvent(from: decoder))
        case "fds": event = .descriptors(try DescriptorsEvent(from: decoder))
        case "k8s_audit": event = .k8sAudit(try AuditEvent(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown event type \"\(type)\"")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(timestamp, forKey: .ts)
        try c.encode(event.kind, forKey: .type)
        switch event {
        case .snapshot(let p), .exec(let p): try p.encode(to: encoder)
        case .fork(let e): try e.encode(to: encoder)
        case .exit(let e): try e.encode(to: encoder)
        case .uid(let e), .gid(let e): try e.encode(to: encoder)
        case .sid(let e), .coredump(let e): try e.encode(to: encoder)
        case .comm(let e): try e.encode(to: encoder)
        case .ptrace(let e): try e.encode(to: encoder)
        case .container(let e): try e.encode(to: encoder)
        case .drop(let e): try e.encode(to: encoder)
        case .fileOpen(let e): try e.encode(to: encoder)
        case .connect(let e): try e.encode(to: encoder)
        case .descriptors(let e): try e.encode(to: encoder)
        case .k8sAudit(let e): try e.encode(to: encoder)
        }
    }
}
