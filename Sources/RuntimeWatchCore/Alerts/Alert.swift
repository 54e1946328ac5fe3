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
    /// One human sentence with the key facts. An alert built from a template renders it when first
    /// asked (see `Sentence`); setting it sets the text.
    public var output: String {
        get { sentence.text }
        set { sentence = .text(newValue) }
    }
    public var tags: [String]
    public var fields: AlertFields
    /// The rule's response advice.
    public var advice: String
    /// How many identical alerts this one stands for (folding); 1 when not folded.
    public var count: Int
    /// `output`, as given or still to be rendered.
    private var sentence: Sentence

    /// The output sentence. A detector's alert carries its template and the fields as they were when
    /// it was built, and is rendered where it leaves the engine (`renderOutput()`): a repeat that
    /// the fold window only counts is never rendered (issue 17: the token-read rule's repeats spent
    /// 1.7% of a replay and 4.3% of a token-open storm rendering sentences no one read). Rendering
    /// from the fields as they were at build time gives the same text as rendering then.
    private enum Sentence: Sendable {
        case text(String)
        /// `template` over `fields`; `whenEmpty` stands in for a sentence that renders empty.
        case template(String, fields: AlertFields, whenEmpty: String?)

        var text: String {
            switch self {
            case .text(let text): return text
            case .template(let template, let fields, let whenEmpty):
                let rendered = AlertBuilder.render(template, fields: fields)
                return rendered.isEmpty ? whenEmpty ?? rendered : rendered
            }
        }
    }

    public init(timestamp: UInt64, ruleID: String, ruleName: String, priority: Priority, source: AlertSource,
                hostname: String, output: String, tags: [String], fields: AlertFields,
                advice: String, count: Int = 1) {
        self.init(timestamp: timestamp, ruleID: ruleID, ruleName: ruleName, priority: priority, source: source,
                  hostname: hostname, sentence: .text(output), tags: tags, fields: fields, advice: advice, count: count)
    }

    /// An alert whose `output` is `template` rendered over `fields` (`AlertBuilder.render`), later.
    init(timestamp: UInt64, ruleID: String, ruleName: String, priority: Priority, source: AlertSource,
         hostname: String, outputTemplate template: String, tags: [String], fields: AlertFields, advice: String) {
        self.init(timestamp: timestamp, ruleID: ruleID, ruleName: ruleName, priority: priority, source: source,
                  hostname: hostname, sentence: .template(template, fields: fields, whenEmpty: nil), tags: tags,
                  fields: fields, advice: advice, count: 1)
    }

    private init(timestamp: UInt64, ruleID: String, ruleName: String, priority: Priority, source: AlertSource,
                 hostname: String, sentence: Sentence, tags: [String], fields: AlertFields, advice: String, count: Int) {
        self.timestamp = timestamp; self.ruleID = ruleID; self.ruleName = ruleName; self.priority = priority
        self.source = source; self.hostname = hostname; self.sentence = sentence; self.tags = tags
        self.fields = fields; self.advice = advice; self.count = count
    }

    /// Renders the output sentence now, once, if it is still a template: the engine calls this as
    /// an alert leaves it, so every sink reads the same text without rendering it again.
    public mutating func renderOutput() {
        if case .template = sentence { sentence = .text(sentence.text) }
    }

    /// Makes an output that is, or will render, empty read `text` instead (`AlertGate`).
    mutating func replaceEmptyOutput(with text: String) {
        switch sentence {
        case .text(let current): if current.isEmpty { sentence = .text(text) }
        case .template(let template, let fields, let whenEmpty):
            if whenEmpty == nil { sentence = .template(template, fields: fields, whenEmpty: text) }
        }
    }

    // Equality and hashing see the sentence's text, not whether it is rendered yet.

    public static func == (a: Alert, b: Alert) -> Bool {
        a.timestamp == b.timestamp && a.ruleID == b.ruleID && a.ruleName == b.ruleName && a.priority == b.priority
            && a.source == b.source && a.hostname == b.hostname && a.tags == b.tags && a.fields == b.fields
            && a.advice == b.advice && a.count == b.count && a.output == b.output
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(timestamp); hasher.combine(ruleID); hasher.combine(ruleName); hasher.combine(priority)
        hasher.combine(source); hasher.combine(hostname); hasher.combine(output); hasher.combine(tags)
        hasher.combine(fields); hasher.combine(advice); hasher.combine(count)
    }
}
