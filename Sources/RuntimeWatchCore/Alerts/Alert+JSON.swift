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

    /// One JSON line (no trailing newline), keys sorted so output is stable and diffable; written
    /// by `AlertJSONWriter`, byte-identical to JSONEncoder over `encode(to:)` (which stays for
    /// Codable users and as the reference of the writer's differential test).
    public func jsonLine() -> String { AlertJSONWriter.line(self) }
}
