// SPDX-License-Identifier: Apache-2.0
// Decodes a trace line straight from its bytes, without Foundation: replay's hot path. JSONDecoder
// managed ~90k events/s; this reads the flat line in one pass. The Codable form of EventRecord
// (Events/Event.swift) stays the reference: this decoder answers nil for any line it is not sure
// to read exactly as JSONDecoder would (an unknown type or key, a duplicate key, a number with a
// fraction, bad UTF-8, a missing field, anything malformed), and the reader then decodes that line
// with JSONDecoder, which also produces the malformed-line report. So new event types (added to
// the Codable form first) and every error message keep working unchanged.

enum FastTraceDecoder {
    /// The record on `line` (one trimmed trace line), or nil when the line must go to JSONDecoder.
    /// - Parameter c: the cursor that read the previous lines (its buffers and string cache are
    ///   reused), or a new one.
    static func decode(_ line: UnsafeRawBufferPointer, reusing c: inout JSONLineCursor) -> EventRecord? {
        var record = EventRecord.unset
        return decode(line, reusing: &c, into: &record) ? record : nil
    }

    /// `decode(_:reusing:)` into `record`, in place: a record was about 145 bytes (65 since the
    /// large payloads are boxed), and returned through the reader's layers it was copied five
    /// times (13% of a decode-only replay's time, issue 17).
    /// - Returns: false when the line needs JSONDecoder; `record` is then unspecified.
    static func decode(_ line: UnsafeRawBufferPointer, reusing c: inout JSONLineCursor, into record: inout EventRecord) -> Bool {
        c.start(line)
        guard c.consume(0x7B) else { return false }
        // Our writer puts ts and type first; a line that does not is left to JSONDecoder.
        var timestamp: UInt64?
        var type: UnsafeRawBufferPointer?
        for position in 0..<2 {
            if position == 1 { guard c.consume(0x2C) else { return false } }
            guard let key = c.key() else { return false }
            if key.equals("ts"), timestamp == nil {
                guard let ts = c.integer(UInt64.self) else { return false }
                timestamp = ts
            } else if key.equals("type"), type == nil {
                // The type is compared as bytes; an escaped type is left to JSONDecoder.
                guard c.consume(0x22), let raw = c.rawStringBody() else { return false }
                type = raw
            } else {
                return false
            }
        }
        guard let timestamp, let type else { return false }
        guard payload(type: type, &c, into: &record.event) else { return false }
        c.skipSpace()
        guard c.atEnd else { return false }
        record.timestamp = timestamp
        return true
    }

    /// Reads the rest of the top-level object as the payload of `type`.
    private static func payload(type: UnsafeRawBufferPointer, _ c: inout JSONLineCursor, into event: inout Event) -> Bool {
        // Ordered by how often each kind occurs in a live trace.
        if type.equals("fork") { return set(&event, topLevel(&c, ForkFields()), Event.fork) }
        if type.equals("exec") { return set(&event, topLevel(&c, ProcessFields()), Event.exec) }
        if type.equals("exit") { return set(&event, topLevel(&c, ExitFields()), Event.exit) }
        if type.equals("comm") { return set(&event, topLevel(&c, CommFields()), Event.comm) }
        if type.equals("open") { return set(&event, topLevel(&c, FileOpenFields()), Event.fileOpen) }
        if type.equals("connect") { return set(&event, topLevel(&c, ConnectFields()), Event.connect) }
        if type.equals("fds") { return set(&event, topLevel(&c, DescriptorsFields()), Event.descriptors) }
        if type.equals("snapshot") { return set(&event, topLevel(&c, ProcessFields()), Event.snapshot) }
        if type.equals("container") { return set(&event, topLevel(&c, ContainerFields()), Event.container) }
        if type.equals("uid") { return set(&event, topLevel(&c, IDChangeFields()), Event.uid) }
        if type.equals("gid") { return set(&event, topLevel(&c, IDChangeFields()), Event.gid) }
        if type.equals("sid") { return set(&event, topLevel(&c, PIDFields()), Event.sid) }
        if type.equals("coredump") { return set(&event, topLevel(&c, PIDFields()), Event.coredump) }
        if type.equals("ptrace") { return set(&event, topLevel(&c, PtraceFields()), Event.ptrace) }
        if type.equals("drop") { return set(&event, topLevel(&c, DropFields()), Event.drop) }
        return false
    }

    /// Stores the payload read, if it was read whole.
    @inline(__always)
    private static func set<Payload>(_ event: inout Event, _ payload: Payload?, _ make: (Payload) -> Event) -> Bool {
        guard let payload else { return false }
        event = make(payload)
        return true
    }

    /// The members after ts and type, up to the closing brace.
    @inline(__always)
    private static func topLevel<F: FieldReader>(_ c: inout JSONLineCursor, _ fields: F) -> F.Value? {
        var fields = fields
        while true {
            if c.consume(0x7D) { return fields.build() }
            guard c.consume(0x2C), let key = c.key(), fields.read(key, &c) else { return nil }
        }
    }

    /// A nested object (`credentials`, `socket`, `process`, an element of `fds`).
    @inline(__always)
    fileprivate static func nested<F: FieldReader>(_ c: inout JSONLineCursor, _ fields: F) -> F.Value? {
        var fields = fields
        guard c.members({ cursor, key in fields.read(key, &cursor) }) else { return nil }
        return fields.build()
    }
}

// MARK: - Field readers: one per payload type, mirroring its synthesized Codable.

/// Collects the fields of one payload type.
private protocol FieldReader {
    associatedtype Value
    /// Reads the value of `key`. - Returns: false for an unknown or duplicate key or a bad value.
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool
    /// The value, or nil when a required field is missing.
    func build() -> Value?
}

/// A field that may be absent, null (both nil, as `decodeIfPresent` reads them) or set.
private struct Slot<T> {
    var seen = false
    var value: T?

    /// Reads the value with `read` unless it is null. - Returns: false on a duplicate or bad value.
    @inline(__always)
    mutating func fill(_ c: inout JSONLineCursor, optional: Bool = false, _ read: (inout JSONLineCursor) -> T?) -> Bool {
        guard !seen else { return false }
        seen = true
        if optional, c.consumeNull() { return true }
        guard let v = read(&c) else { return false }
        value = v
        return true
    }
}

private func pid(_ c: inout JSONLineCursor) -> ProcessID? { c.integer(Int32.self).map(ProcessID.init(rawValue:)) }

private struct ForkFields: FieldReader {
    var parent = Slot<ProcessID>(), child = Slot<ProcessID>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        if key.equals("child") { return child.fill(&c, pid) }
        if key.equals("parent") { return parent.fill(&c, pid) }
        return false
    }
    func build() -> ForkEvent? {
        guard let parent = parent.value, let child = child.value else { return nil }
        return ForkEvent(parent: parent, child: child)
    }
}

private struct ExitFields: FieldReader {
    var pid = Slot<ProcessID>(), code = Slot<Int32>(), signal = Slot<Int32>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        if key.equals("pid") { return pid.fill(&c, RuntimeWatchCore.pid) }
        if key.equals("code") { return code.fill(&c) { $0.integer() } }
        if key.equals("signal") { return signal.fill(&c, optional: true) { $0.integer() } }
        return false
    }
    func build() -> ExitEvent? {
        guard let pid = pid.value, let code = code.value else { return nil }
        return ExitEvent(pid: pid, code: code, signal: signal.value)
    }
}

private struct IDChangeFields: FieldReader {
    var pid = Slot<ProcessID>(), real = Slot<UInt32>(), effective = Slot<UInt32>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        if key.equals("pid") { return pid.fill(&c, RuntimeWatchCore.pid) }
        if key.equals("real") { return real.fill(&c) { $0.integer() } }
        if key.equals("effective") { return effective.fill(&c) { $0.integer() } }
        return false
    }
    func build() -> IDChangeEvent? {
        guard let pid = pid.value, let real = real.value, let effective = effective.value else { return nil }
        return IDChangeEvent(pid: pid, real: real, effective: effective)
    }
}

private struct PIDFields: FieldReader {
    var pid = Slot<ProcessID>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        key.equals("pid") ? pid.fill(&c, RuntimeWatchCore.pid) : false
    }
    func build() -> PIDEvent? { pid.value.map(PIDEvent.init(pid:)) }
}

private struct CommFields: FieldReader {
    var pid = Slot<ProcessID>(), comm = Slot<String>(), truncated = Slot<[String]>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        if key.equals("pid") { return pid.fill(&c, RuntimeWatchCore.pid) }
        if key.equals("comm") { return comm.fill(&c) { $0.string() } }
        if key.equals("truncated") { return truncated.fill(&c, optional: true) { $0.stringArray() } }
        return false
    }
    func build() -> CommEvent? {
        guard let pid = pid.value, let comm = comm.value else { return nil }
        var e = CommEvent(pid: pid, comm: comm)
        e.truncated = truncated.value
        return e
    }
}

private struct PtraceFields: FieldReader {
    var pid = Slot<ProcessID>(), tracer = Slot<ProcessID>(), attach = Slot<Bool>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        if key.equals("pid") { return pid.fill(&c, RuntimeWatchCore.pid) }
        if key.equals("tracer") { return tracer.fill(&c, RuntimeWatchCore.pid) }
        if key.equals("attach") { return attach.fill(&c) { $0.bool() } }
        return false
    }
    func build() -> PtraceEvent? {
        guard let pid = pid.value, let tracer = tracer.value, let attach = attach.value else { return nil }
        return PtraceEvent(pid: pid, tracer: tracer, attach: attach)
    }
}

private struct DropFields: FieldReader {
    var source = Slot<String>(), count = Slot<UInt64>(), reason = Slot<String>(), cause = Slot<String>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        if key.equals("source") { return source.fill(&c) { $0.string() } }
        if key.equals("cause") { return cause.fill(&c) { $0.string() } }
        if key.equals("count") { return count.fill(&c) { $0.integer() } }
        if key.equals("reason") { return reason.fill(&c) { $0.string() } }
        return false
    }
    func build() -> DropEvent? {
        guard let source = source.value, let count = count.value, let reason = reason.value else { return nil }
        return DropEvent(source: source, count: count, reason: reason, cause: cause.value)
    }
}

private struct CredentialsFields: FieldReader {
    var uid = Slot<UInt32>(), euid = Slot<UInt32>(), gid = Slot<UInt32>(), egid = Slot<UInt32>(), capEff = Slot<UInt64>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        if key.equals("uid") { return uid.fill(&c) { $0.integer() } }
        if key.equals("euid") { return euid.fill(&c) { $0.integer() } }
        if key.equals("gid") { return gid.fill(&c) { $0.integer() } }
        if key.equals("egid") { return egid.fill(&c) { $0.integer() } }
        if key.equals("capEff") { return capEff.fill(&c, optional: true) { $0.integer() } }
        return false
    }
    func build() -> Credentials? {
        guard let uid = uid.value, let euid = euid.value, let gid = gid.value, let egid = egid.value else { return nil }
        return Credentials(uid: uid, euid: euid, gid: gid, egid: egid, capEff: capEff.value)
    }
}

private struct SocketFields: FieldReader {
    var family = Slot<String>(), proto = Slot<String>(), localAddress = Slot<String>(), localPort = Slot<UInt16>()
    var remoteAddress = Slot<String>(), remotePort = Slot<UInt16>(), state = Slot<String>(), inbound = Slot<Bool>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        if key.equals("family") { return family.fill(&c) { $0.string() } }
        if key.equals("inbound") { return inbound.fill(&c, optional: true) { $0.bool() } }
        if key.equals("proto") { return proto.fill(&c) { $0.string() } }
        if key.equals("localAddress") { return localAddress.fill(&c, optional: true) { $0.string() } }
        if key.equals("localPort") { return localPort.fill(&c, optional: true) { $0.integer() } }
        if key.equals("remoteAddress") { return remoteAddress.fill(&c, optional: true) { $0.string() } }
        if key.equals("remotePort") { return remotePort.fill(&c, optional: true) { $0.integer() } }
        if key.equals("state") { return state.fill(&c, optional: true) { $0.string() } }
        return false
    }
    func build() -> DescriptorInfo.Socket? {
        guard let family = family.value, let proto = proto.value else { return nil }
        return DescriptorInfo.Socket(family: family, proto: proto, localAddress: localAddress.value, localPort: localPort.value,
                                     remoteAddress: remoteAddress.value, remotePort: remotePort.value, state: state.value,
                                     inbound: inbound.value)
    }
}

private struct DescriptorFields: FieldReader {
    var fd = Slot<Int32>(), kind = Slot<DescriptorInfo.Kind>(), target = Slot<String>(), inode = Slot<UInt64>()
    var socket = Slot<DescriptorInfo.Socket>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        if key.equals("fd") { return fd.fill(&c) { $0.integer() } }
        if key.equals("kind") { return kind.fill(&c, descriptorKind) }
        if key.equals("target") { return target.fill(&c) { $0.string() } }
        if key.equals("inode") { return inode.fill(&c, optional: true) { $0.integer() } }
        if key.equals("socket") { return socket.fill(&c, optional: true) { FastTraceDecoder.nested(&$0, SocketFields()) } }
        return false
    }
    func build() -> DescriptorInfo? {
        guard let fd = fd.value, let kind = kind.value, let target = target.value else { return nil }
        return DescriptorInfo(fd: fd, kind: kind, target: target, inode: inode.value, socket: socket.value)
    }
}

/// A descriptor's kind, matched on its bytes: every descriptor of every exec has one, and making a
/// String of it to look the case up by name was 1% of a replay. An escaped kind is left to
/// JSONDecoder (nil), as an unknown one is.
private func descriptorKind(_ c: inout JSONLineCursor) -> DescriptorInfo.Kind? {
    guard c.consume(0x22), let raw = c.rawStringBody() else { return nil }
    for (kind, name) in descriptorKindNames where name.count == raw.count && raw.elementsEqual(name) { return kind }
    return nil
}

/// Each kind with the bytes of its name, as the trace spells it.
private let descriptorKindNames: [(DescriptorInfo.Kind, [UInt8])] = DescriptorInfo.Kind.allCases.map { ($0, Array($0.rawValue.utf8)) }

/// An array of descriptor objects. - Returns: nil if any element does not decode.
private func descriptorArray(_ c: inout JSONLineCursor) -> [DescriptorInfo]? {
    guard c.consume(0x5B) else { return nil }
    if c.consume(0x5D) { return [] }
    // Built in place rather than gathered and copied out as string arrays are: capture reads
    // descriptors 0-2, so three is the usual count and one allocation of that size fits, and a
    // copy of a descriptor (strings and an optional socket) is not the cheap copy a String's is.
    var fds: [DescriptorInfo] = []
    fds.reserveCapacity(3)
    repeat {
        guard let d = FastTraceDecoder.nested(&c, DescriptorFields()) else { return nil }
        fds.append(d)
    } while c.consume(0x2C)
    guard c.consume(0x5D) else { return nil }
    return fds
}

private struct ProcessFields: FieldReader {
    var pid = Slot<ProcessID>(), ppid = Slot<ProcessID>(), comm = Slot<String>(), exe = Slot<String>()
    var argv = Slot<[String]>(), cwd = Slot<String>(), credentials = Slot<Credentials>(), cgroup = Slot<String>()
    var fds = Slot<[DescriptorInfo]>(), startTicks = Slot<UInt64>(), source = Slot<String>(), truncated = Slot<[String]>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        switch key.count {
        case 3:
            if key.equals("pid") { return pid.fill(&c, RuntimeWatchCore.pid) }
            if key.equals("exe") { return exe.fill(&c, optional: true) { $0.string() } }
            if key.equals("cwd") { return cwd.fill(&c, optional: true) { $0.string() } }
            if key.equals("fds") { return fds.fill(&c, optional: true, descriptorArray) }
        case 4:
            if key.equals("ppid") { return ppid.fill(&c, optional: true, RuntimeWatchCore.pid) }
            if key.equals("comm") { return comm.fill(&c, optional: true) { $0.string() } }
            if key.equals("argv") { return argv.fill(&c, optional: true) { $0.stringArray() } }
        default:
            if key.equals("cgroup") { return cgroup.fill(&c, optional: true) { $0.string() } }
            if key.equals("source") { return source.fill(&c, optional: true) { $0.string() } }
            if key.equals("startTicks") { return startTicks.fill(&c, optional: true) { $0.integer() } }
            if key.equals("truncated") { return truncated.fill(&c, optional: true) { $0.stringArray() } }
            if key.equals("credentials") {
                return credentials.fill(&c, optional: true) { FastTraceDecoder.nested(&$0, CredentialsFields()) }
            }
        }
        return false
    }
    func build() -> ProcessInfo? {
        guard let pid = pid.value else { return nil }
        var p = ProcessInfo(pid: pid, ppid: ppid.value, comm: comm.value, exe: exe.value, argv: argv.value, cwd: cwd.value,
                            credentials: credentials.value, cgroup: cgroup.value, fds: fds.value,
                            startTicks: startTicks.value, source: source.value)
        p.truncated = truncated.value
        return p
    }
}

private struct ContainerFields: FieldReader {
    var id = Slot<String>(), runtime = Slot<String>(), podUID = Slot<String>(), qosClass = Slot<String>()
    var podName = Slot<String>(), namespace = Slot<String>(), containerName = Slot<String>(), image = Slot<String>()
    var entrypoint = Slot<[String]>(), bundle = Slot<String>(), resolvers = Slot<[String]>(), truncated = Slot<[String]>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        if key.equals("id") { return id.fill(&c) { $0.string() } }
        if key.equals("runtime") { return runtime.fill(&c) { $0.string() } }
        if key.equals("podUID") { return podUID.fill(&c, optional: true) { $0.string() } }
        if key.equals("qosClass") { return qosClass.fill(&c, optional: true) { $0.string() } }
        if key.equals("podName") { return podName.fill(&c, optional: true) { $0.string() } }
        if key.equals("namespace") { return namespace.fill(&c, optional: true) { $0.string() } }
        if key.equals("containerName") { return containerName.fill(&c, optional: true) { $0.string() } }
        if key.equals("image") { return image.fill(&c, optional: true) { $0.string() } }
        if key.equals("entrypoint") { return entrypoint.fill(&c, optional: true) { $0.stringArray() } }
        if key.equals("bundle") { return bundle.fill(&c, optional: true) { $0.string() } }
        if key.equals("resolvers") { return resolvers.fill(&c, optional: true) { $0.stringArray() } }
        if key.equals("truncated") { return truncated.fill(&c, optional: true) { $0.stringArray() } }
        return false
    }
    func build() -> ContainerInfo? {
        guard let id = id.value, let runtime = runtime.value else { return nil }
        var info = ContainerInfo(id: ContainerID(id), runtime: runtime, podUID: podUID.value, qosClass: qosClass.value,
                                 podName: podName.value, namespace: namespace.value, containerName: containerName.value,
                                 image: image.value, entrypoint: entrypoint.value, bundle: bundle.value, resolvers: resolvers.value)
        info.truncated = truncated.value
        return info
    }
}

private struct FileOpenFields: FieldReader {
    var pid = Slot<ProcessID>(), path = Slot<String>(), containerPath = Slot<String>(), write = Slot<Bool>()
    var process = Slot<ProcessInfo>(), truncated = Slot<[String]>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        if key.equals("pid") { return pid.fill(&c, RuntimeWatchCore.pid) }
        if key.equals("path") { return path.fill(&c) { $0.string() } }
        if key.equals("truncated") { return truncated.fill(&c, optional: true) { $0.stringArray() } }
        if key.equals("containerPath") { return containerPath.fill(&c, optional: true) { $0.string() } }
        if key.equals("write") { return write.fill(&c) { $0.bool() } }
        if key.equals("process") { return process.fill(&c, optional: true) { FastTraceDecoder.nested(&$0, ProcessFields()) } }
        return false
    }
    func build() -> FileOpenEvent? {
        guard let pid = pid.value, let path = path.value, let write = write.value else { return nil }
        var e = FileOpenEvent(pid: pid, path: path, containerPath: containerPath.value, write: write, process: process.value)
        e.truncated = truncated.value
        return e
    }
}

private struct ConnectFields: FieldReader {
    var pid = Slot<ProcessID>(), proto = Slot<String>(), localAddress = Slot<String>(), localPort = Slot<UInt16>()
    var remoteAddress = Slot<String>(), remotePort = Slot<UInt16>(), result = Slot<Int32>(), process = Slot<ProcessInfo>()
    var truncated = Slot<[String]>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        if key.equals("pid") { return pid.fill(&c, RuntimeWatchCore.pid) }
        if key.equals("proto") { return proto.fill(&c) { $0.string() } }
        if key.equals("localAddress") { return localAddress.fill(&c, optional: true) { $0.string() } }
        if key.equals("localPort") { return localPort.fill(&c, optional: true) { $0.integer() } }
        if key.equals("remoteAddress") { return remoteAddress.fill(&c) { $0.string() } }
        if key.equals("remotePort") { return remotePort.fill(&c) { $0.integer() } }
        if key.equals("result") { return result.fill(&c) { $0.integer() } }
        if key.equals("truncated") { return truncated.fill(&c, optional: true) { $0.stringArray() } }
        if key.equals("process") { return process.fill(&c, optional: true) { FastTraceDecoder.nested(&$0, ProcessFields()) } }
        return false
    }
    func build() -> ConnectEvent? {
        guard let pid = pid.value, let proto = proto.value, let remoteAddress = remoteAddress.value,
              let remotePort = remotePort.value, let result = result.value else { return nil }
        var e = ConnectEvent(pid: pid, proto: proto, localAddress: localAddress.value, localPort: localPort.value,
                             remoteAddress: remoteAddress, remotePort: remotePort, result: result, process: process.value)
        e.truncated = truncated.value
        return e
    }
}

private struct DescriptorsFields: FieldReader {
    var pid = Slot<ProcessID>(), fds = Slot<[DescriptorInfo]>(), truncated = Slot<[String]>()
    mutating func read(_ key: UnsafeRawBufferPointer, _ c: inout JSONLineCursor) -> Bool {
        if key.equals("pid") { return pid.fill(&c, RuntimeWatchCore.pid) }
        if key.equals("fds") { return fds.fill(&c, descriptorArray) }
        if key.equals("truncated") { return truncated.fill(&c, optional: true) { $0.stringArray() } }
        return false
    }
    func build() -> DescriptorsEvent? {
        guard let pid = pid.value, let fds = fds.value else { return nil }
        var e = DescriptorsEvent(pid: pid, fds: fds)
        e.truncated = truncated.value
        return e
    }
}
