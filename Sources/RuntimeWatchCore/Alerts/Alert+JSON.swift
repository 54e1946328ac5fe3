// SPDX-License-Identifier: Apache-2.0
// Falco's JSON alert shape: time (RFC 3339, ns, Z), rule, priority, source, hostname, output, tags,
// output_fields. Plus runtime-watch's `rule_id`, `advice` and (when folded) `count`; Falco readers
// (falcosidekick, SIEM parsers) ignore keys they do not know.

import Foundation

// Alerts are written by `AlertJSONWriter` (one way to encode); Decodable reads them back
// (`incidents FILE` over an `--output` alert file, tests).
extension Alert: Decodable {
    private enum Keys: String, CodingKey {
        case time, rule, priority, source, hostname, output, tags
        case outputFields = "output_fields"
        case ruleID = "rule_id", advice, count
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
            fields: try c.decode(AlertFields.self, forKey: .outputFields),
            advice: try c.decodeIfPresent(String.self, forKey: .advice) ?? "",
            count: try c.decodeIfPresent(Int.self, forKey: .count) ?? 1)
    }

    /// One JSON line (no trailing newline), keys sorted so output is stable and diffable.
    public func jsonLine() -> String { AlertJSONWriter.line(self) }

    /// Appends the JSON line (no newline) to `out`: for writers that keep one buffer for many alerts.
    public func appendJSONLine(to out: inout [UInt8]) { AlertJSONWriter.append(self, to: &out) }
}
