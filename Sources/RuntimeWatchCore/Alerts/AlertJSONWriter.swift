// SPDX-License-Identifier: Apache-2.0
// An alert as one JSON line, appended byte by byte to a caller's buffer (issue 17): the JSONEncoder
// path built an encoder, a keyed container and a dictionary of boxed values per alert (about 70 µs
// and 130 mallocs). The output is byte-identical to `JSONEncoder` with `.sortedKeys` and
// `.withoutEscapingSlashes` over Falco's alert shape: keys sorted by their UTF-8 bytes, strings
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
        var w = JSONLineBuilder(into: out)
        out = []  // hand the storage to the builder without a copy
        w.openObject()
        w.key("advice"); w.string(a.advice)
        if a.count > 1 { w.key("count"); w.integer(a.count) }
        w.key("hostname"); w.string(a.hostname)
        w.key("output"); w.string(a.output)
        w.key("output_fields")
        w.openObject()
        forEachFieldSortedByName(a.fields) { name, value in
            w.key(name)
            switch value {
            case .string(let s): w.string(s)
            case .int(let i): w.integer(i)
            case .list(let l): w.stringArray(l)
            case .null: w.null()
            }
        }
        w.closeObject()
        w.key("priority"); w.string(a.priority.rawValue)
        w.key("rule"); w.string(a.ruleName)
        w.key("rule_id"); w.string(a.ruleID)
        w.key("source"); w.string(a.source.rawValue)
        w.key("tags"); w.stringArray(a.tags)
        w.key("time")
        w.bytes.append(UInt8(ascii: "\""))
        RFC3339.append(nanoseconds: a.timestamp, to: &w.bytes)
        w.bytes.append(UInt8(ascii: "\""))
        w.closeObject()
        out = w.bytes
    }

    /// Calls `body` with each field in JSONEncoder's order, by UTF-8 bytes. Sorting compares each
    /// name's first 16 bytes as two integers (Falco names nearly always differ there) and the whole
    /// names only on a tie. Keys and dictionary indexes live in stack space (up to 42 fields):
    /// sorting allocates nothing and copies no string.
    private static func forEachFieldSortedByName(_ fields: [String: FieldValue],
                                                 _ body: (String, FieldValue) -> Void) {
        let n = fields.count
        withUnsafeTemporaryAllocation(of: Dictionary<String, FieldValue>.Index.self, capacity: n) { indexes in
            withUnsafeTemporaryAllocation(of: NameOrder.self, capacity: n) { order in
                var slot = 0
                var index = fields.startIndex
                while index != fields.endIndex {
                    indexes.initializeElement(at: slot, to: index)
                    order.initializeElement(at: slot, to: NameOrder(name: fields.keys[index], slot: slot))
                    slot += 1
                    fields.formIndex(after: &index)
                }
                // Insertion sort: a few dozen names, nearly all decided by the integer prefixes.
                for i in 1..<max(n, 1) {
                    let item = order[i]
                    var j = i
                    while j > 0, item.precedes(order[j - 1], names: { fields.keys[indexes[$0]] }) {
                        order[j] = order[j - 1]
                        j -= 1
                    }
                    order[j] = item
                }
                for i in 0..<n {
                    let index = indexes[order[i].slot]
                    body(fields.keys[index], fields.values[index])
                }
                _ = indexes.deinitialize()
            }
        }
    }

    /// A field name's sort key: its first 16 UTF-8 bytes, big-endian, as two integers; `slot` is
    /// where its dictionary index is kept.
    private struct NameOrder {
        var high: UInt64 = 0
        var low: UInt64 = 0
        let slot: Int

        init(name: String, slot: Int) {
            self.slot = slot
            var name = name
            name.withUTF8 { utf8 in
                for (i, byte) in utf8.prefix(16).enumerated() {
                    let shift = UInt64(56 - 8 * (i & 7))
                    if i < 8 { high |= UInt64(byte) << shift } else { low |= UInt64(byte) << shift }
                }
            }
        }

        /// UTF-8 byte order: the prefixes decide unless they are equal, then the whole names do (a
        /// name shorter than 16 bytes is zero-padded, and zero sorts first, as the shorter should).
        @inline(__always)
        func precedes(_ other: NameOrder, names: (Int) -> String) -> Bool {
            if high != other.high { return high < other.high }
            if low != other.low { return low < other.low }
            return names(slot).utf8.lexicographicallyPrecedes(names(other.slot).utf8)
        }
    }
}
