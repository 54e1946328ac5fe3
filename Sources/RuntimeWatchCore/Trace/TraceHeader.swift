// SPDX-License-Identifier: Apache-2.0
// The first line of a trace:
//   {"format":"runtime-watch-trace","version":1,"hostname":"node-1","kernel":"6.1.0-18-amd64","start":"2024-05-01T12:00:00.000000000Z"}
// It says what the file is and where and when it was recorded. Capture fills hostname, kernel and,
// when it could read them, the node's DNS resolvers (`"resolvers":["10.0.0.2"]`, written only when
// known; Core never reads the host).

public struct TraceHeader: Sendable, Hashable {
    /// The `format` value every trace carries.
    public static let formatName = "runtime-watch-trace"
    /// The version this build writes and the only one it reads.
    public static let currentVersion = 1

    public var version: Int
    /// Node the trace was recorded on.
    public var hostname: String
    /// Kernel release (`uname -r`) of that node.
    public var kernel: String
    /// When recording started, nanoseconds since the Unix epoch (written as RFC 3339 UTC).
    public var start: UInt64
    /// The node's own DNS resolvers (its /etc/resolv.conf); empty when unknown.
    public var resolvers: [String]

    public init(hostname: String, kernel: String, start: UInt64, resolvers: [String] = [], version: Int = TraceHeader.currentVersion) {
        self.version = version; self.hostname = hostname; self.kernel = kernel; self.start = start; self.resolvers = resolvers
    }

    /// The header line, without newline, keys in the fixed order format, version, hostname,
    /// kernel, resolvers (when known), start.
    public func jsonLine() -> String {
        var out = "{\"format\":"
        appendJSONString(Self.formatName, to: &out)
        out += ",\"version\":\(version),\"hostname\":"
        appendJSONString(hostname, to: &out)
        out += ",\"kernel\":"
        appendJSONString(kernel, to: &out)
        if !resolvers.isEmpty {
            out += ",\"resolvers\":["
            for (i, r) in resolvers.enumerated() {
                if i > 0 { out += "," }
                appendJSONString(r, to: &out)
            }
            out += "]"
        }
        out += ",\"start\":"
        appendJSONString(RFC3339.format(nanoseconds: start), to: &out)
        out += "}"
        return out
    }
}

/// Decodes the first JSON object of a trace: a header when it has a `format` key, otherwise
/// `header == nil` (the trace has no header and this line is an event).
struct TraceHeaderProbe: Decodable {
    var header: TraceHeader?

    private enum Keys: String, CodingKey { case format, version, hostname, kernel, resolvers, start }

    /// Throws `DecodingError` (not an object, a field missing or mistyped) or `TraceError`
    /// (another format or version, a bad start time).
    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        guard c.contains(.format) else { header = nil; return }
        let format = try c.decode(String.self, forKey: .format)
        guard format == TraceHeader.formatName else { throw TraceError.unsupportedFormat(format) }
        let version = try c.decode(Int.self, forKey: .version)
        guard version == TraceHeader.currentVersion else { throw TraceError.unsupportedVersion(version) }
        let start = try c.decode(String.self, forKey: .start)
        guard let startNanoseconds = RFC3339.parse(start) else {
            throw TraceError.malformedHeader(reason: "field \"start\": \"\(start)\" is not an RFC 3339 time")
        }
        header = TraceHeader(hostname: try c.decode(String.self, forKey: .hostname),
                             kernel: try c.decode(String.self, forKey: .kernel),
                             start: startNanoseconds, resolvers: try c.decodeIfPresent([String].self, forKey: .resolvers) ?? [],
                             version: version)
    }
}

/// Appends `text` as a JSON string literal (quotes, backslashes and control characters escaped).
func appendJSONString(_ text: String, to out: inout String) {
    out += "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    out += "\""
}
