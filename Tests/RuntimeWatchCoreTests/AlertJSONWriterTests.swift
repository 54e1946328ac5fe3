// SPDX-License-Identifier: Apache-2.0
// The byte-level alert writer against the JSONEncoder path it replaced (sortedKeys,
// withoutEscapingSlashes over Alert's Codable shape): byte-identical on every alert of the golden
// fixtures and on alerts full of hostile strings.

import Foundation
import XCTest
@testable import RuntimeWatchCore

final class AlertJSONWriterTests: XCTestCase {
    private func reference(_ alert: Alert) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(alert), as: UTF8.self)
    }

    private func assertSame(_ alert: Alert, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(AlertJSONWriter.line(alert), try reference(alert), file: file, line: line)
    }

    func testHostileStringsAndEveryValueKind() throws {
        let nasty = ["", "plain", "quote \" backslash \\ slash / ", "\u{0}\u{1}\u{7}\u{8}\u{9}\u{A}\u{B}\u{C}\u{D}\u{1B}\u{1F}\u{7F}",
                     "émoji 🐚 ünïcode \u{301}", "\u{2028}\u{2029}", "</script>", "%proc.name", "{\"json\":[1,2]}"]
        for (i, text) in nasty.enumerated() {
            var fields: [String: FieldValue] = [
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
