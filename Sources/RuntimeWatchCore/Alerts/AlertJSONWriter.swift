// SPDX-License-Identifier: Apache-2.0
// An alert as one JSON line, appended byte by byte to a caller's buffer (issue 17): the JSONEncoder
// path built an encoder, a keyed container and a dictionary of boxed values per alert (about 70 µs
// and 130 mallocs). The output is byte-identical to `JSONEncoder` with `.sortedKeys` and
// `.withoutEscapingSlashes` over Falco's alert shape: keys in UTF-8 byte order, strings
// escaped as that encoder escapes them (`JSONLineBuilder.string`, shared with the trace writer).
// A differential test (`AlertJSONWriterTests`) holds it to that over the golden fixtures and
// hostile strings.

enum AlertJSONWriter {
    /// The JSON line (no trailing newline), for callers that want a String; writers of many alerts
    /// use `append` with a buffer they keep.
    static func line(_ alert: Alert) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(512 + alert.output.utf8.count + alert.fields.count * 48)
        append(alert, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the alert's JSON object (no newline) to `out`; top-level keys in sorted order.
    static func append(_ a: Alert, to out: inout [UInt8]) {
        JSONLineBuilder.build(appendingTo: &out) { w in appendObject(a, to: &w) }
    }

    private static func appendObject(_ a: Alert, to w: inout JSONLineBuilder) {
        w.openObject()
        w.key("advice"); w.string(a.advice)
        if a.count > 1 { w.key("count"); w.integer(a.count) }
        w.key("hostname"); w.string(a.hostname)
        w.key("output"); w.string(a.output)
        w.key("output_fields")
        w.openObject()
        // `AlertFields` keeps the names in UTF-8 byte order: written as they are, no sorting.
        a.fields.withEntries { entries in
            for i in entries.indices {
                w.key(entries[i].name)
                switch entries[i].value {
                case .string(let s): w.string(s)
                case .int(let i): w.integer(i)
                case .list(let l): w.stringArray(l)
                case .null: w.null()
                }
            }
        }
        w.closeObject()
        w.key("priority"); w.string(a.priority.rawValue)
        w.key("rule"); w.string(a.ruleName)
        w.key("rule_id"); w.string(a.ruleID)
        w.key("source"); w.string(a.source.rawValue)
        w.key("tags"); w.stringArray(a.tags)
        w.key("time")
        w.append(UInt8(ascii: "\""))
        w.append(count: RFC3339.formattedLength) { RFC3339.write(nanoseconds: a.timestamp, to: $0) }
        w.append(UInt8(ascii: "\""))
        w.closeObject()
    }
}
