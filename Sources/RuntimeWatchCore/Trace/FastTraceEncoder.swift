// SPDX-License-Identifier: Apache-2.0
// Writes a trace line byte for byte as the Codable path did (JSONEncoder with sorted keys and
// unescaped slashes, spliced after ts and type), without Foundation: `record` writes every event,
// so this is capture's hot path too. Key order is spelled out per type (sorted by hand); the
// differential tests check the bytes against JSONEncoder for every case and for random values.

/// Appends JSON values to a byte buffer.
struct JSONLineBuilder {
    var bytes: [UInt8]
    /// True until the first member of the innermost open object is written.
    private var first = true

    init(into bytes: [UInt8]) { self.bytes = bytes }

    mutating func openObject() {
        bytes.append(0x7B)
        first = true
    }

    mutating func closeObject() {
        bytes.append(0x7D)
        first = false
    }

    /// Writes `"key":` with the comma before it when needed. Keys are plain ASCII literals.
    @inline(__always)
    mutating func key(_ name: StaticString) {
        if !first { bytes.append(0x2C) }
        first = false
        bytes.append(0x22)
        bytes.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        bytes.append(0x22)
        bytes.append(0x3A)
    }

    /// Writes `"key":` for a key known only at run time (an alert's field name), escaped as a string.
    mutating func key(_ name: String) {
        if !first { bytes.append(0x2C) }
        first = false
        string(name)
        bytes.append(0x3A)
    }

    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        if value == 0 {
            bytes.append(0x30)
            return
        }
        var magnitude = UInt64(truncatingIfNeeded: value.magnitude)
        if value < 0 { bytes.append(0x2D) }
        // At most 20 decimal digits; written backwards into a small stack buffer.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var n = 20
            while magnitude > 0 {
                n -= 1
                digits[n] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
                magnitude /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[n..<20]))
        }
    }

    mutating func null() { bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }

    mutating func bool(_ value: Bool) {
        if value { bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]) }
    }

    /// A string with JSONEncoder's escapes: `"` and `\`, the short forms \b \f \n \r \t, other
    /// control characters as \u00xx; `/` and everything else (UTF-8) as is. Clean text (nearly all of
    /// it) is checked 8 bytes per step and copied in one run.
    mutating func string(_ value: String) {
        bytes.append(0x22)
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            var i = 0
            let count = utf8.count
            while i < count {
                if i + 8 <= count,
                   !Self.needsEscape(UnsafeRawPointer(utf8.baseAddress! + i).loadUnaligned(as: UInt64.self)) {
                    i += 8
                    continue
                }
                let b = utf8[i]
                i += 1
                guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                if runStart < i - 1 { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<(i - 1)])) }
                runStart = i
                bytes.append(0x5C)
                switch b {
                case 0x22, 0x5C: bytes.append(b)
                case 0x08: bytes.append(0x62)
                case 0x0C: bytes.append(0x66)
                case 0x0A: bytes.append(0x6E)
                case 0x0D: bytes.append(0x72)
                case 0x09: bytes.append(0x74)
                default:
                    bytes.append(contentsOf: [0x75, 0x30, 0x30, Self.hex(b >> 4), Self.hex(b & 0xF)])
                }
            }
            if runStart < count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(0x22)
    }

    /// Whether any of the 8 bytes in `word` is a control character, `"` or `\` (the classic
    /// "has a byte less than n" and "has a zero byte" word tricks; exact, no false negatives, and a
    /// false positive only sends those 8 bytes through the byte loop).
    @inline(__always)
    static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        let control = (word &- ones &* 0x20) & ~word & highs != 0
        return control || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
    }

    /// The lowercase hex digit of a nibble, as JSONEncoder writes \u00xx (no table to allocate).
    private static func hex(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10 }

    mutating func stringArray(_ values: [String]) {
        bytes.append(0x5B)
        for (i, v) in values.enumerated() {
            if i > 0 { bytes.append(0x2C) }
            string(v)
        }
        bytes.append(0x5D)
    }

    // Optional members are left out when nil, as `encodeIfPresent` does.
    mutating func member(_ name: StaticString, _ value: String?) { if let value { key(name); string(value) } }
    mutating func member<T: FixedWidthInteger>(_ name: StaticString, _ value: T?) { if let value { key(name); integer(value) } }
    mutating func member(_ name: StaticString, _ value: ProcessID?) { if let value { key(name); integer(value.rawValue) } }
    mutating func member(_ name: StaticString, _ value: Bool) { key(name); bool(value) }
    mutating func member(_ name: StaticString, _ value: [String]?) { if let value { key(name); stringArray(value) } }
}

extension EventRecord {
    /// Appends the trace line (no newline): ts, type, then the payload's members in sorted order.
    func appendFastJSONLine(to out: inout [UInt8]) {
        // API-server audit events are rare and nested as the API server wrote them: the Codable
        // path writes them (it cannot fail for these plain value types; if it ever did, the line
        // would be missing, never malformed).
        if case .k8sAudit = event {
            try? appendCodableJSONLine(to: &out, using: Self.makeLineEncoder())
            return
        }
        var w = JSONLineBuilder(into: out)
        out = []  // hand the storage to the builder without a copy
        w.openObject()
        w.member("ts", timestamp)
        w.member("type", event.kind)
        switch event {
        case .snapshot(let p), .exec(let p): w.processMembers(p)
        case .fork(let e):
            w.member("child", e.child)
            w.member("parent", e.parent)
        case .exit(let e):
            w.member("code", e.code)
            w.member("pid", e.pid)
            w.member("signal", e.signal)
        case .uid(let e), .gid(let e):
            w.member("effective", e.effective)
            w.member("pid", e.pid)
            w.member("real", e.real)
        case .sid(let e), .coredump(let e):
            w.member("pid", e.pid)
        case .comm(let e):
            w.member("comm", e.comm)
            w.member("pid", e.pid)
            w.member("truncated", e.truncated)
        case .ptrace(let e):
            w.member("attach", e.attach)
            w.member("pid", e.pid)
            w.member("tracer", e.tracer)
        case .container(let e):
            w.member("bundle", e.bundle)
            w.member("containerName", e.containerName)
            w.member("entrypoint", e.entrypoint)
            w.member("id", e.id.rawValue)
            w.member("image", e.image)
            w.member("namespace", e.namespace)
            w.member("podName", e.podName)
            w.member("podUID", e.podUID)
            w.member("qosClass", e.qosClass)
            w.member("resolvers", e.resolvers)
            w.member("runtime", e.runtime)
            w.member("truncated", e.truncated)
        case .drop(let e):
            w.member("cause", e.cause)
            w.member("count", e.count)
            w.member("reason", e.reason)
            w.member("source", e.source)
        case .fileOpen(let e):
            w.member("containerPath", e.containerPath)
            w.member("path", e.path)
            w.member("pid", e.pid)
            if let p = e.process {
                w.key("process")
                w.processObject(p)
            }
            w.member("truncated", e.truncated)
            w.member("write", e.write)
        case .connect(let e):
            w.member("localAddress", e.localAddress)
            w.member("localPort", e.localPort)
            w.member("pid", e.pid)
            if let p = e.process {
                w.key("process")
                w.processObject(p)
            }
            w.member("proto", e.proto)
            w.member("remoteAddress", e.remoteAddress)
            w.member("remotePort", e.remotePort)
            w.member("result", e.result)
            w.member("truncated", e.truncated)
        case .descriptors(let e):
            w.key("fds")
            w.descriptorArray(e.fds)
            w.member("pid", e.pid)
            w.member("truncated", e.truncated)
        case .k8sAudit:
            break   // written above
        }
        w.closeObject()
        out = w.bytes
    }
}

extension JSONLineBuilder {
    mutating func processObject(_ p: ProcessInfo) {
        openObject()
        processMembers(p)
        closeObject()
    }

    mutating func processMembers(_ p: ProcessInfo) {
        member("argv", p.argv)
        member("cgroup", p.cgroup)
        member("comm", p.comm)
        if let c = p.credentials {
            key("credentials")
            openObject()
            member("capEff", c.capEff)
            member("egid", c.egid)
            member("euid", c.euid)
            member("gid", c.gid)
            member("uid", c.uid)
            closeObject()
        }
        member("cwd", p.cwd)
        member("exe", p.exe)
        if let fds = p.fds {
            key("fds")
            descriptorArray(fds)
        }
        member("pid", p.pid)
        member("ppid", p.ppid)
        member("source", p.source)
        member("startTicks", p.startTicks)
        member("truncated", p.truncated)
    }

    mutating func descriptorArray(_ fds: [DescriptorInfo]) {
        bytes.append(0x5B)
        for (i, d) in fds.enumerated() {
            if i > 0 { bytes.append(0x2C) }
            openObject()
            member("fd", d.fd)
            member("inode", d.inode)
            member("kind", d.kind.rawValue)
            if let s = d.socket {
                key("socket")
                openObject()
                member("family", s.family)
                if let inbound = s.inbound { member("inbound", inbound) }
                member("localAddress", s.localAddress)
                member("localPort", s.localPort)
                member("proto", s.proto)
                member("remoteAddress", s.remoteAddress)
                member("remotePort", s.remotePort)
                member("state", s.state)
                closeObject()
            }
            member("target", d.target)
            closeObject()
        }
        bytes.append(0x5D)
    }
}
