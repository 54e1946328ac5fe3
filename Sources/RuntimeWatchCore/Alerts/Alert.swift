// SPDX-License-Identifier: Apache-2.0
// The alert, in Falco's JSON output format so falcosidekick and SIEM parsers read it unchanged.
// Field names follow Falco (`proc.pid`, `container.id`, `k8s.pod.name`, `fd.rip`, …).

/// A value in `output_fields`: Falco emits strings, numbers, lists and null.
public enum FieldValue: Sendable, Hashable, Decodable, CustomStringConvertible {
    case string(String)
    case int(Int64)
    case list([String])
    case null

    public init(_ s: String?) { self = s.map(FieldValue.string) ?? .null }
    public init<I: BinaryInteger>(_ i: I?) { self = i.map { .int(Int64($0)) } ?? .null }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let i = try? c.decode(Int64.self) { self = .int(i) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else { self = .list(try c.decode([String].self)) }
    }
    /// Text form used in `output` sentences; "<NA>" for null, as Falco prints it.
    public var description: String {
        switch self {
        case .string(let s): s
        case .int(let i): String(i)
        case .list(let l): l.joined(separator: ",")
        case .null: "<NA>"
        }
    }
}

public struct Alert: Sendable, Hashable {
    /// Event time, nanoseconds since the Unix epoch.
    public var timestamp: UInt64
    /// The rule's stable id (not serialised as `rule`; `rule` is the human name as in Falco).
    public var ruleID: String
    public var ruleName: String
    public var priority: Priority
    public var source: AlertSource
    public var hostname: String
    /// One human sentence with the key facts.
    public var output: String
    public var tags: [String]
    public var fields: AlertFields
    /// The rule's response advice.
    public var advice: String
    /// How many identical alerts this one stands for (folding); 1 when not folded.
    public var count: Int
    public init(timestamp: UInt64, ruleID: String, ruleName: String, priority: Priority, source: AlertSource,
                hostname: String, output: String, tags: [String], fields: AlertFields,
                advice: String, count: Int = 1) {
        self.timestamp = timestamp; self.ruleID = ruleID; self.ruleName = ruleName; self.priority = priority
        self.source = source; self.hostname = hostname; self.output = output; self.tags = tags
        self.fields = fields; self.advice = advice; self.count = count
    }
}
