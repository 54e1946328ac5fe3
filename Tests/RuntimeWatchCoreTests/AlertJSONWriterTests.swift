// SPDX-License-Identifier: Apache-2.0
// The byte-level alert writer against the JSONEncoder path it replaced (sortedKeys,
// withoutEscapingSlashes over the Codable shape Alert had, kept here as ReferenceAlert):
// byte-identical on the synthetic workload's alerts, on every alert of the golden fixtures and on
// alerts full of hostile strings.

import Foundation
import XCTest
@testable import RuntimeWatchCore

/// The Codable shape `Alert.encode(to:)` had before the byte writer replaced it: the reference the
/// writer must match, kept here only. Its time is formatted independently of `RFC3339.write`.
private struct ReferenceAlert: Encodable {
    let alert: Alert
    private enum Keys: String, CodingKey {
        case time, rule, priority, source, hostname, output, tags
        case outputFields = "output_fields"
        case ruleID = "rule_id", advice, count
    }
    private struct Value: Encodable {
        let value: FieldValue
        func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch value {
            case .string(let s): try c.encode(s)
            case .int(let i): try c.encode(i)
            case .list(let l): try c.encode(l)
            case .null: try c.encodeNil()
            }
        }
    }
    static func time(_ nanoseconds: UInt64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var t = tm()
        gmtime_r(&seconds, &t)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%09lluZ", Int(t.tm_year) + 1900, Int(t.tm_mon) + 1, Int(t.tm_mday),
                      Int(t.tm_hour), Int(t.tm_min), Int(t.tm_sec), nanoseconds % 1_000_000_000)
    }
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(Self.time(alert.timestamp), forKey: .time)
        try c.encode(alert.ruleName, forKey: .rule)
        try c.encode(alert.priority, forKey: .priority)
        try c.encode(alert.source, forKey: .source)
        try c.encode(alert.hostname, forKey: .hostname)
        try c.encode(alert.output, forKey: .output)
        try c.encode(alert.tags, forKey: .tags)
        try c.encode(Dictionary(uniqueKeysWithValues: alert.fields.map { ($0.0, Value(value: $0.1)) }), forKey: .outputFields)
        try c.encode(alert.ruleID, forKey: .ruleID)
        try c.encode(alert.advice, forKey: .advice)
        if alert.count > 1 { try c.encode(alert.count, forKey: .count) }
    }
}

final class AlertJSONWriterTests: XCTestCase {
    private func reference(_ alert: Alert) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(ReferenceAlert(alert: alert)), as: UTF8.self)
    }

    private func assertSame(_ alert: Alert, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try reference(alert)
        XCTAssertEqual(alert.jsonLine(), expected, file: file, line: line)
        // The appending path, into a buffer that already holds a line: appends, never overwrites.
        var buffer = Array("previous\n".utf8)
        alert.appendJSONLine(to: &buffer)
        XCTAssertEqual(String(decoding: buffer, as: UTF8.self), "previous\n" + expected, file: file, line: line)
    }

    /// Times at the edges: the epoch, fractions with leading zeros, the last second before 2000,
    /// a leap day, and the largest time nanoseconds in a UInt64 hold (2554).
    func testTimesAtTheEdges() throws {
        for ns: UInt64 in [0, 1, 999_999_999, 946_684_799_000_000_001, 1_709_164_800_050_000_000, .max] {
            XCTAssertEqual(RFC3339.format(nanoseconds: ns), ReferenceAlert.time(ns))
            try assertSame(Alert(timestamp: ns, ruleID: "r", ruleName: "R", priority: .notice, source: .syscall, hostname: "h",
                                 output: "o", tags: [], fields: [:], advice: ""))
        }
    }

    func testHostileStringsAndEveryValueKind() throws {
        let nasty = ["", "plain", "quote \" backslash \\ slash / ", "\u{0}\u{1}\u{7}\u{8}\u{9}\u{A}\u{B}\u{C}\u{D}\u{1B}\u{1F}\u{7F}",
                     "émoji 🐚 ünïcode \u{301}", "\u{2028}\u{2029}", "</script>", "%proc.name", "{\"json\":[1,2]}"]
        for (i, text) in nasty.enumerated() {
            var fields: AlertFields = [
                "proc.cmdline": .string(text), "proc.pid": .int(Int64(i) - 3), "big": .int(.max), "small": .int(.min),
                "list": .list([text, "", "b"]), "empty": .list([]), "none": .null, "Z.upper": .string("z"), "a.b[c]": .string(text),
                "ka.uri.param[command]": .string("x"), "fd.rport": .int(4444), "fd.rip": .string("198.51.100.7"),
            ]
            fields[text.isEmpty ? "e" : String(text.prefix(4))] = .string(text)
            let alert = Alert(timestamp: 1_795_165_200_123_456_789 + UInt64(i), ruleID: "r-\(i)", ruleName: "Rule \(text)", priority: .critical,
                              source: i % 2 == 0 ? .syscall : .k8sAudit, hostname: "node \(text)", output: "out \(text)",
                              tags: ["T1", text], fields: fields, advice: "advice \(text)", count: i)
            try assertSame(alert)
        }
    }

    /// Numbers on both sides of every power of ten, where the digit count changes (the builder
    /// counts digits against powers of ten before writing them), and the extremes.
    func testIntegersAtEveryPowerOfTen() throws {
        var values: [Int64] = [0, .max, .min, .min + 1]
        var power: Int64 = 1
        for _ in 0...18 {
            values += [power - 1, power, power + 1, -(power - 1), -power, -(power + 1)]
            if power <= Int64.max / 10 { power *= 10 }
        }
        for (i, value) in values.enumerated() {
            try assertSame(Alert(timestamp: UInt64(i), ruleID: "r", ruleName: "R", priority: .notice, source: .syscall, hostname: "h",
                                 output: "o", tags: [], fields: ["n": .int(value), "m": .int(value / 7)], advice: "", count: i))
        }
    }

    /// Lines of every length around the builder's stack space (`JSONLineBuilder.stackBytes`), where
    /// it moves to the heap: a plain run, an escape, a number or the time lands on the boundary.
    func testLinesAroundTheBuildersStackSpace() throws {
        func alert(_ output: String, _ fields: AlertFields) -> Alert {
            Alert(timestamp: 1_795_165_200_123_456_789, ruleID: "r", ruleName: "R", priority: .notice, source: .syscall,
                  hostname: "h", output: output, tags: ["t"], fields: fields, advice: "")
        }
        let fields: AlertFields = ["n": .int(-1234567), "s": .string("a\"b"), "l": .list(["x", "\n"])]
        let shortest = alert("", fields).jsonLine().utf8.count
        let limit = JSONLineBuilder.stackBytes
        for length in (limit - shortest - 40)...(limit - shortest + 40) {
            try assertSame(alert(String(repeating: "x", count: length), fields))
            try assertSame(alert(String(repeating: "x", count: length - 1) + "\u{1}", fields))
            try assertSame(alert("", ["o": .string(String(repeating: "y", count: length))]))
        }
    }

    /// Names that the 16-byte integer prefixes cannot tell apart (equal first 16 bytes, a name that
    /// is a prefix of another, NUL bytes, non-ASCII) sort as JSONEncoder sorts them.
    func testFieldNamesThatShareLongPrefixes() throws {
        let names = ["container.image", "container.image.repository", "container.image.tag", "container.image\u{0}",
                     "container.image.", "aaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaab", "aaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaa",
                     "aaaaaaaaaaaaaaaa\u{0}", "é", "z", "Ω.name", "ÿ", "proc.aname[2]", "proc.apid[2]", "proc.ancestry", "", "a"]
        var fields: AlertFields = [:]
        for (i, name) in names.enumerated() { fields[name] = .int(Int64(i)) }
        try assertSame(Alert(timestamp: 1, ruleID: "r", ruleName: "R", priority: .notice, source: .syscall, hostname: "h",
                             output: "o", tags: [], fields: fields, advice: ""))
    }

    /// Every character that needs an escape, at every offset of strings from 0 to 24 bytes long:
    /// the escaper checks 8 bytes per step, so the offsets around each step are where it could slip.
    func testEscapesAtEveryOffsetOfTheWordScan() throws {
        let specials: [Character] = ["\"", "\\", "\u{0}", "\u{1F}", "\n", "\t", "\u{7F}", "é", "/"]
        var fields: AlertFields = [:]
        for length in 0...24 {
            for offset in 0..<max(length, 1) {
                for (k, special) in specials.enumerated() {
                    var text = Array(repeating: Character("x"), count: length)
                    if length > 0 { text[offset] = special }
                    fields["s\(length).\(offset).\(k)"] = .string(String(text))
                }
            }
        }
        try assertSame(Alert(timestamp: 1, ruleID: "r", ruleName: "R", priority: .notice, source: .syscall, hostname: "h",
                             output: "o", tags: [], fields: fields, advice: ""))
    }

    /// The word test against the byte test, for every byte value at every position of a word.
    func testWordScanFlagsExactlyTheBytesThatNeedEscaping() {
        for value in 0...255 {
            let needs = value < 0x20 || value == 0x22 || value == 0x5C
            for position in 0..<8 {
                for filler: UInt64 in [0x78, 0x21, 0x5D, 0xFF, 0x80] {
                    var word: UInt64 = 0
                    for p in 0..<8 { word |= (p == position ? UInt64(value) : filler) << (8 * UInt64(p)) }
                    XCTAssertEqual(JSONLineBuilder.needsEscape(word), needs, "byte \(value) at \(position), filler \(filler)")
                }
            }
        }
    }

    /// The benchmark's alerts: what the builtin detectors raise over the synthetic node workload.
    func testSyntheticWorkloadAlerts() throws {
        let sink = InMemoryAlertSink()
        var engine = Engine(configuration: EngineConfiguration(hostname: "bench"), detectors: BuiltinDetectors.make(),
                            profile: try ProfileLoader().embeddedDefault(), sink: sink)
        for record in SyntheticTrace(count: 20_000, liveProcesses: 200) { engine.process(record) }
        engine.finish()
        XCTAssertFalse(sink.alerts.isEmpty, "the synthetic workload raised alerts to compare")
        for alert in sink.alerts { try assertSame(alert) }
    }

    func testEveryGoldenFixtureAlert() async throws {
        let dir = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        let traces = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".jsonl") && !$0.contains(".expected") }
        var checked = 0
        for name in traces.sorted() {
            guard let reader = try? TraceReader(path: dir.appendingPathComponent(name).path, onIssue: { _ in }),
                  let header = try? reader.readHeader() else { continue }
            let sink = InMemoryAlertSink()
            let engine = Engine(configuration: EngineConfiguration(hostname: header.hostname), detectors: BuiltinDetectors.make(),
                                profile: try ProfileLoader().embeddedDefault(), sink: sink)
            var loop = DriveLoop(engine: engine)
            try? await loop.run(TraceSource(reader: reader))
            for alert in sink.alerts { try assertSame(alert); checked += 1 }
        }
        // The k8s-audit attack log: k8s_audit alerts, with their ka.* fields.
        let sink = InMemoryAlertSink()
        var engine = Engine(configuration: EngineConfiguration(hostname: "h"), detectors: BuiltinDetectors.make(),
                            profile: try ProfileLoader().embeddedDefault(), sink: sink)
        let log = try Data(contentsOf: dir.appendingPathComponent("k8s-audit/attacks.jsonl"))
        for (n, line) in log.split(separator: UInt8(ascii: "\n")).enumerated() {
            for e in AuditEventDecoder.decodeLine(line, lineNumber: n + 1).events {
                engine.process(try AuditEventDecoder.record(e, position: "line \(n + 1)"))
            }
        }
        engine.finish()
        for alert in sink.alerts { try assertSame(alert); checked += 1 }
        XCTAssertGreaterThan(checked, 10, "the fixtures gave alerts to compare")
    }
}
