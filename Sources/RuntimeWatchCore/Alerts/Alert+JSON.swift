// SPDX-License-Identifier: Apache-2.0
// Falco's JSON alert shape: time (RFC 3339, ns, Z), rule, priority, source, hostname, output, tags,
// output_fields. Plus runtime-watch's `rule_id`, `advice` and (when folded) `count`; Falco readers
// (falcosidekick, SIEM parsers) ignore keys they do not know.

import Foundation

extension Alert: Codable {
    private enum Keys: String, CodingKey {
        case time, rule, priority, source, hostname, output, tags
        case outputFields = "output_fields"
        case ruleID = "rule_id", advice, count
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(RFC3339.format(nanoseconds: timestamp), forKey: .time)
        try c.encode(ruleName, forKey: .rule)
        try c.encode(priority, forKey: .priority)
        try c.encode(source, forKey: .source)
        try c.encode(hostname, forKey: .hostname)
        try c.encode(output, forKey: .output)
        try c.encode(tags, forKey: .tags)
        try c.encode(fields, forKey: .outputFields)
        try c.encode(ruleID, forKey: .ruleID)
        try c.encode(advice, forKey: .advice)
        if count > 1 { try c.encode(count, forKey: .count) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let time = try c.decode(String.self, forKey: .time)
        guard let ns = RFC3339.parse(time) else {
            throw DecodingError.dataCorruptedError(forKey: .time, in: c, debugDescription: "not RFC 3339: \(time)")
        }
        self.init(
            timestamp: ns,
            ruleID: try c.decodeIfPresent(String.self, forKey: .ruleID) ?? "",
            ruleName: try c.decode(String.self, forKey: .rule),
            priority: try c.decode(Priority.self, forKey: .priority),
            source: try c.decode(AlertSource.self, forKey: .source),
            hostname: try c.decode(String.self, forKey: .hostname),
            output: try c.decode(String.self, forKey: .output),
            tags: try c.decode([String].self, forKey: .tags),
            fields: try c.decode([String: FieldValue].self, forKey: .outputFields),
            advice: try c.decodeIfPresent(String.self, forKey: .advice) ?? "",
            count: try c.decodeIfPresent(Int.self, forKey: .count) ?? 1)
    }

    /// One JSON line (no trailing newline), keys sorted so output is stable and diffable.
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Alert's fields are all encodable; a failure here is a programming error.
        let data = try! encoder.encode(self)
        return String(decoding: data, as: UTF8.self)
    }
}

/// RFC 3339 timestamps with nanosecond precision in UTC, as Falco writes `time`.
public enum RFC3339 {
    public static func format(nanoseconds: UInt64) -> String {
        let seconds = time_t(nanoseconds / 1_000_000_000)
        let fraction = nanoseconds % 1_000_000_000
        var tmValue = tm()
        var s = seconds
        gmtime_r(&s, &tmValue)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ",
                      Int(tmValue.tm_year) + 1900, Int(tmValue.tm_mon) + 1, Int(tmValue.tm_mday),
                      Int(tmValue.tm_hour), Int(tmValue.tm_min), Int(tmValue.tm_sec), fraction)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil if malformed.
    public static func parse(_ text: String) -> UInt64? {
        let u = Array(text.utf8)
        guard u.count >= 20, u[4] == 45, u[7] == 45, u[10] == 84 || u[10] == 116, u[13] == 58, u[16] == 58 else { return nil }
        func num(_ a: Int, _ b: Int) -> Int? {
            var v = 0
            for i in a..<b { guard u[i] >= 48 && u[i] <= 57 else { return nil }; v = v * 10 + Int(u[i] - 48) }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 7), let d = num(8, 10), let h = num(11, 13),
              let mi = num(14, 16), let s = num(17, 19) else { return nil }
        var i = 19
        var frac: UInt64 = 0
        var digits = 0
        if i < u.count && u[i] == 46 {
            i += 1
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                if digits < 9 { frac = frac * 10 + UInt64(u[i] - 48); digits += 1 }
                i += 1
            }
            while digits < 9 { frac *= 10; digits += 1 }
        }
        var offset = 0
        guard i < u.count else { return nil }
        if u[i] == 90 || u[i] == 122 { i += 1 }
        else if (u[i] == 43 || u[i] == 45), i + 6 <= u.count, let oh = num(i + 1, i + 3), let om = num(i + 4, i + 6) {
            offset = (oh * 3600 + om * 60) * (u[i] == 43 ? 1 : -1)
            i += 6
        } else { return nil }
        guard i == u.count else { return nil }
        var t = tm()
        t.tm_year = Int32(y - 1900); t.tm_mon = Int32(mo - 1); t.tm_mday = Int32(d)
        t.tm_hour = Int32(h); t.tm_min = Int32(mi); t.tm_sec = Int32(s)
        let epoch = Int(timegm(&t)) - offset
        guard epoch >= 0 else { return nil }
        return UInt64(epoch) * 1_000_000_000 + frac
    }
}
