// SPDX-License-Identifier: Apache-2.0
// An alert as one JSON line, written byte by byte (issue 17): the JSONEncoder path built an encoder,
// a keyed container and a dictionary of boxed values per alert (about 70 µs and 130 mallocs).
// The output is byte-identical to `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes`
// over `Alert`'s Codable shape: keys sorted by their UTF-8 bytes, strings escaped as that encoder
// escapes them (`"` `\` and the control characters; `/` and non-ASCII as they are). A differential
// test (`AlertJSONWriterTests`) holds it to that over the golden fixtures and hostile strings.

enum AlertJSONWriter {
    /// The JSON line (no trailing newline).
    static func line(_ alert: Alert) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(512 + alert.output.utf8.count + alert.fields.count * 48)
        append(alert, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the alert's JSON object; top-level keys in sorted order.
    static func append(_ a: Alert, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        key("advice", first: true, &out); string(a.advice, &out)
        if a.count > 1 { key("count", &out); integer(Int64(a.count), &out) }
        key("hostname", &out); string(a.hostname, &out)
        key("output", &out); string(a.output, &out)
        key("output_fields", &out)
        out.append(UInt8(ascii: "{"))
        var first = true
        // Field names are ASCII, whose String order is byte order (the fast comparison); a name
        // with other characters is ordered by its bytes, as JSONEncoder orders it.
        let names = Array(a.fields.keys)
        let sorted = names.allSatisfy(\.isASCIIOnly) ? names.sorted() : names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in sorted {
            key(name, first: first, &out)
            first = false
            value(a.fields[name]!, &out)
        }
        out.append(UInt8(ascii: "}"))
        key("priority", &out); string(a.priority.rawValue, &out)
        key("rule", &out); string(a.ruleName, &out)
        key("rule_id", &out); string(a.ruleID, &out)
        key("source", &out); string(a.source.rawValue, &out)
        key("tags", &out); list(a.tags, &out)
        key("time", &out); string(RFC3339.format(nanoseconds: a.timestamp), &out)
        out.append(UInt8(ascii: "}"))
    }

    private static func key(_ name: String, first: Bool = false, _ out: inout [UInt8]) {
        if !first { out.append(UInt8(ascii: ",")) }
        string(name, &out)
        out.append(UInt8(ascii: ":"))
    }

    private static func value(_ v: FieldValue, _ out: inout [UInt8]) {
        switch v {
        case .string(let s): string(s, &out)
        case .int(let i): integer(i, &out)
        case .list(let l): list(l, &out)
        case .null: out.append(contentsOf: "null".utf8)
        }
    }

    private static func list(_ items: [String], _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, s) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            string(s, &out)
        }
        out.append(UInt8(ascii: "]"))
    }

    /// Decimal digits, written without building a String.
    private static func integer(_ i: Int64, _ out: inout [UInt8]) {
        if i < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = i.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            out.append(contentsOf: buffer[(20 - count)...])
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private static func string(_ s: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(byte)
            case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
            case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
            case 0x0C: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
            case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

private extension String {
    /// True when every byte is ASCII (a quick scan of the UTF-8 view).
    var isASCIIOnly: Bool { utf8.allSatisfy { $0 < 0x80 } }
}
