// SPDX-License-Identifier: Apache-2.0
// How much one event may bring into the monitor (issue 19 item 2): a trace of 5,000 execs with
// 900 KB of argv each grew replay to 4.46 GB. Live capture reads at most 64 KiB of cmdline; a trace
// or a hostile event can carry anything a line holds. Every string and list an event carries is cut
// to its bound here, once, where every event enters (`DriveLoop`, before the recorder and the
// engine: `EventRecord.bounded()`), and the payload lists the fields it cut in `truncated`
// (`proc.truncated` in alerts). README "Memory bounds" gives the worst-case total these bounds allow.

public enum EventBounds {
    /// argv and a container's entrypoint: at most this many bytes in all (an argument is cut at a
    /// Unicode scalar boundary)...
    public static let argvBytes = 16 * 1024
    /// ...and this many arguments.
    public static let argvCount = 1024
    /// exe, cwd, cgroup, a descriptor's target, an opened path, an image reference, a bundle: PATH_MAX.
    public static let pathBytes = 4096
    /// comm: the kernel's is 15 bytes, but a trace's (or prctl's view through other tools) may
    /// say more; this leaves room for any honest name.
    public static let commBytes = 256
    /// Descriptors per process or event: capture reads 0, 1 and 2.
    public static let descriptorCount = 3
    /// Names and words: container id, runtime, pod name and UID, namespace, QoS class, container
    /// name, socket family, protocol and state (Kubernetes names are at most 253 bytes).
    public static let nameBytes = 256
    /// An IP address as text (the longest IPv6 form with a zone is well under this).
    public static let addressBytes = 64
    /// DNS resolvers of one container (glibc reads 3; capture keeps this many).
    public static let resolverCount = 8
}

/// Cuts values to their bounds and remembers which fields it cut.
struct Truncation {
    private(set) var fields: [String]
    /// Whether anything was cut through this value (a field listed already may be cut again).
    private(set) var cutAny = false

    /// Starts from the fields an earlier cut already listed.
    init(_ already: [String]?) { fields = already ?? [] }

    /// The list for a payload's `truncated`: nil when nothing was cut.
    var marks: [String]? { fields.isEmpty ? nil : fields }

    mutating func mark(_ field: String) {
        cutAny = true
        if !fields.contains(field) { fields.append(field) }
    }

    mutating func cut(_ value: String, _ limit: Int, _ field: String) -> String {
        guard value.utf8.count > limit else { return value }
        mark(field)
        return Self.prefix(value, bytes: limit)
    }

    mutating func cut(_ value: String?, _ limit: Int, _ field: String) -> String? {
        value.map { cut($0, limit, field) }
    }

    /// At most `count` elements with at most `bytes` in all; the element that crosses the byte
    /// bound keeps its prefix (so a single huge argument still shows how it begins).
    mutating func cut(_ list: [String]?, count: Int, bytes: Int, _ field: String) -> [String]? {
        guard let list, list.count > count || list.reduce(0, { $0 + $1.utf8.count }) > bytes else { return list }
        mark(field)
        var kept: [String] = []
        var budget = bytes
        for element in list.prefix(count) {
            guard budget > 0 else { break }
            let piece = Self.prefix(element, bytes: budget)
            kept.append(piece)
            budget -= piece.utf8.count
        }
        return kept
    }

    /// The longest prefix of `text` within `bytes` UTF-8 bytes that ends on a Unicode scalar
    /// boundary. Steps back over continuation bytes only (at most 3), so it costs O(1) on the
    /// native UTF-8 strings events carry, whatever their length.
    static func prefix(_ text: String, bytes: Int) -> String {
        let utf8 = text.utf8
        guard utf8.count > bytes else { return text }
        var end = utf8.index(utf8.startIndex, offsetBy: max(bytes, 0))
        while end > utf8.startIndex, utf8[end] & 0xC0 == 0x80 { end = utf8.index(before: end) }
        return String(decoding: utf8[..<end], as: UTF8.self)
    }
}
