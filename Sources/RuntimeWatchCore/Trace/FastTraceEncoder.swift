// SPDX-License-Identifier: Apache-2.0
// Writes a trace line byte for byte as the Codable path did (JSONEncoder with sorted keys and
// unescaped slashes, spliced after ts and type), without Foundation: `record` writes every event,
// so this is capture's hot path too. Key order is spelled out per type (sorted by hand); the
// differential tests check the bytes against JSONEncoder for every case and for random values.

/// Appends JSON values to a byte buffer written through a pointer: an `Array` append checks
/// uniqueness through a runtime call for every byte or run, and an alert is ~400 of them
/// (BENCHMARKS.md section 13). `build` starts it in stack space, so a line allocates nothing
/// unless it outgrows that; `finish` appends what was built to the caller's array in one copy.
struct JSONLineBuilder: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    /// Whether `base` was allocated here (after outgrowing the stack space it started in).
    private var ownsBase = false
    /// True until the first member of the innermost open object is written.
    private var first = true

    /// Bytes of stack space a line starts in. Up to 1 KB is what `withUnsafeTemporaryAllocation`
    /// puts on the stack here (4 KB came from malloc: measured, BENCHMARKS.md section 13): most trace
    /// lines fit; an alert (~1.5 KB) moves to the heap once, one malloc.
    static let stackBytes = 1024

    /// Builds one line with `body` and appends it to `out`.
    static func build(appendingTo out: inout [UInt8], _ body: (inout JSONLineBuilder) -> Void) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: stackBytes) { scratch in
            var w = JSONLineBuilder(scratch: scratch)
            body(&w)
            w.finish(appendingTo: &out)
        }
    }

    private init(scratch: UnsafeMutableBufferPointer<UInt8>) {
        base = scratch.baseAddress!
        capacity = scratch.count
    }

    deinit { if ownsBase { base.deallocate() } }

    /// Appends the built bytes to `out` (and frees the heap buffer, if the line needed one).
    consuming func finish(appendingTo out: inout [UInt8]) {
        out.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
    }

    /// Makes room for `n` more bytes.
    @inline(__always)
    private mutating func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private mutating func grow(_ needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: base, count: count)
        if ownsBase { base.deallocate() }
        base = bigger
        capacity = newCapacity
        ownsBase = true
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        reserve(bytes.count)
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    /// Lets `write` fill exactly `n` bytes in place (a fixed-width field such as a timestamp).
    mutating func append(count n: Int, _ write: (UnsafeMutablePointer<UInt8>) -> Void) {
        reserve(n)
        write(base + count)
        count += n
    }

    mutating func openObject() {
        append(0x7B)
        first = true
    }

    mutating func closeObject() {
        append(0x7D)
        first = false
    }

    mutating func openArray() { append(0x5B) }
    mutating func closeArray() { append(0x5D) }

    /// Writes `"key":` with the comma before it when needed. Keys are plain ASCII literals.
    @inline(__always)
    mutating func key(_ name: StaticString) {
        reserve(name.utf8CodeUnitCount + 4)
        if !first { base[count] = 0x2C; count += 1 }
        first = false
        base[count] = 0x22
        (base + count + 1).update(from: name.utf8Start, count: name.utf8CodeUnitCount)
        count += name.utf8CodeUnitCount + 1
        base[count] = 0x22
        base[count + 1] = 0x3A
        count += 2
    }

    /// Writes `"key":` for a key known only at run time (an alert's field name), escaped as a string.
    mutating func key(_ name: String) {
        if !first { append(0x2C) }
        first = false
        string(name)
        append(0x3A)
    }

    /// Writes a comma unless this is the first element (arrays).
    mutating func separator(_ index: Int) { if index > 0 { append(0x2C) } }

    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        // At most 20 decimal digits and a sign; written backwards into the reserved room.
        reserve(21)
        if value == 0 {
            base[count] = 0x30
            count += 1
            return
        }
        var magnitude = UInt64(truncatingIfNeeded: value.magnitude)
        if value < 0 { base[count] = 0x2D; count += 1 }
        // The digits are counted against powers of ten (comparisons, not divisions).
        var digits = 1
        var bound: UInt64 = 10
        while digits < 20 && magnitude >= bound { digits += 1; bound &*= 10 }
        var at = count + digits
        while magnitude > 0 {
            at -= 1
            base[at] = UInt8(truncatingIfNeeded: magnitude % 10) + 0x30
            magnitude /= 10
        }
        count += digits
    }

    mutating func null() {
        reserve(4)
        base[count] = 0x6E; base[count + 1] = 0x75; base[count + 2] = 0x6C; base[count + 3] = 0x6C
        count += 4
    }

    mutating func bool(_ value: Bool) {
        if value {
            reserve(4)
            base[count] = 0x74; base[count + 1] = 0x72; base[count + 2] = 0x75; base[count + 3] = 0x65
            count += 4
        } else {
            reserve(5)
            base[count] = 0x66; base[count + 1] = 0x61; base[count + 2] = 0x6C; base[count + 3] = 0x73
            base[count + 4] = 0x65
            count += 5
        }
    }

    /// A string with JSONEncoder's escapes: `"` and `\`, the short forms \b \f \n \r \t, other
    /// control characters as \u00xx; `/` and everything else (UTF-8) as is. Clean text (nearly all of
    /// it) is checked 8 bytes per step and copied in one run.
    mutating func string(_ value: String) {
        // Native and small strings lend their bytes in place; only a bridged one is copied.
        if value.utf8.withContiguousStorageIfAvailable({ string($0) }) != nil { return }
        var value = value
        value.withUTF8 { utf8 in string(utf8) }
    }

    mutating func string(_ utf8: UnsafeBufferPointer<UInt8>) {
        append(0x22)
        var runStart = 0
        var i = 0
        let n = utf8.count
        while i < n {
            if i + 8 <= n,
               !Self.needsEscape(UnsafeRawPointer(utf8.baseAddress! + i).loadUnaligned(as: UInt64.self)) {
                i += 8
                continue
            }
            let b = utf8[i]
            i += 1
            guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
            if runStart < i - 1 { append(UnsafeBufferPointer(rebasing: utf8[runStart..<(i - 1)])) }
            runStart = i
            append(0x5C)
            switch b {
            case 0x22, 0x5C: append(b)
            case 0x08: append(0x62)
            case 0x0C: append(0x66)
            case 0x0A: append(0x6E)
            case 0x0D: append(0x72)
            case 0x09: append(0x74)
            default:
                append(0x75); append(0x30); append(0x30); append(Self.hex(b >> 4)); append(Self.hex(b & 0xF))
            }
        }
        if runStart < n { append(UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        append(0x22)
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
        openArray()
        values.withUnsafeBufferPointer { values in
            for i in values.indices {
                separator(i)
                string(values[i])
            }
        }
        closeArray()
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
        JSONLineBuilder.build(appendingTo: &out) { w in appendMembers(to: &w) }
    }

    private func appendMembers(to w: inout JSONLineBuilder) {
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
        openArray()
        for (i, d) in fds.enumerated() {
            separator(i)
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
        closeArray()
    }
}
