// SPDX-License-Identifier: Apache-2.0
// Golden replay: every recorded or hand-written trace in Fixtures/ goes through the same source and
// drive loop as `runtime-watch replay` (TraceSource → DriveLoop → engine with the built-in detectors
// and the embedded default profile) and must produce, byte for byte, the reviewed alert lines in
// <scenario>.expected.jsonl (RuntimeWatchCLITests checks the command's stdout against the same files). `RW_UPDATE_GOLDEN=1 swift test --filter GoldenReplayTests`
// rewrites the expected files in the source tree instead (review the diff before committing).

import Foundation
import RuntimeWatchCore
import XCTest

final class GoldenReplayTests: XCTestCase {
    /// The fixtures directory as bundled with the tests (read-only copy).
    private func bundledFixtures() throws -> URL {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "Fixtures not bundled")
    }

    /// The fixtures directory in the source tree, where RW_UPDATE_GOLDEN writes.
    private static let sourceFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Scenario traces: `*.jsonl` that are not `*.expected.jsonl`, sorted by name.
    private func scenarioTraces(in directory: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "jsonl" && !$0.lastPathComponent.hasSuffix(".expected.jsonl") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// Replays `trace` exactly as `runtime-watch replay` does with default options.
    /// - Returns: the alerts, in emission order. Fails the test on a malformed line.
    private func replay(_ trace: URL) async throws -> [Alert] {
        var issues: [String] = []
        let reader = try TraceReader(path: trace.path, onIssue: { issues.append("\($0)") })
        let header = try XCTUnwrap(try reader.readHeader(), "\(trace.lastPathComponent): no trace header")
        let sink = InMemoryAlertSink()
        let engine = Engine(configuration: EngineConfiguration(hostname: header.hostname),
                            detectors: BuiltinDetectors.make(), profile: try ProfileLoader().embeddedDefault(), sink: sink)
        var loop = DriveLoop(engine: engine)
        try await loop.run(TraceSource(reader: reader))
        XCTAssertEqual(issues, [], "\(trace.lastPathComponent): malformed lines")
        XCTAssertGreaterThan(reader.counts.records, 0, "\(trace.lastPathComponent): no events")
        return sink.alerts
    }

    private func expectedURL(for trace: URL, in directory: URL) -> URL {
        directory.appendingPathComponent(trace.deletingPathExtension().lastPathComponent + ".expected.jsonl")
    }

    /// Decodes one alert per non-empty line.
    private func decodeAlerts(_ url: URL) throws -> [Alert] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n", omittingEmptySubsequences: true).enumerated().map { index, line in
            do { return try JSONDecoder().decode(Alert.self, from: Data(line.utf8)) } catch {
                throw NSError(domain: "GoldenReplayTests", code: 1, userInfo: [
                    NSLocalizedDescriptionKey: "\(url.lastPathComponent) line \(index + 1): not an alert: \(error)"])
            }
        }
    }

    func testEveryFixtureReplaysToItsExpectedAlerts() async throws {
        let fixtures = try bundledFixtures()
        let traces = try scenarioTraces(in: fixtures)
        XCTAssertFalse(traces.isEmpty, "no scenario traces in \(fixtures.path)")
        let update = ProcessInfo.processInfo.environment["RW_UPDATE_GOLDEN"] == "1"

        for trace in traces {
            let name = trace.lastPathComponent
            let actual = try await replay(trace)
            if update {
                let text = actual.map { $0.jsonLine() + "\n" }.joined()
                try text.write(to: expectedURL(for: trace, in: Self.sourceFixtures), atomically: true, encoding: .utf8)
                print("GoldenReplayTests: wrote \(actual.count) alerts for \(name)")
                continue
            }
            let expectedFile = expectedURL(for: trace, in: fixtures)
            guard FileManager.default.fileExists(atPath: expectedFile.path) else {
                XCTFail("\(name): missing \(expectedFile.lastPathComponent) (RW_UPDATE_GOLDEN=1 writes it)")
                continue
            }
            // Byte for byte what `runtime-watch replay` prints; the field comparison says what moved.
            let expectedText = try String(contentsOf: expectedFile, encoding: .utf8)
            XCTAssertEqual(actual.map { $0.jsonLine() + "\n" }.joined(), expectedText, "\(name): alert lines differ")
            compare(actual, try decodeAlerts(expectedFile), fixture: name)
        }
    }

    /// Field-by-field comparison so a failure says which alert and which field moved.
    private func compare(_ actual: [Alert], _ expected: [Alert], fixture: String) {
        XCTAssertEqual(actual.count, expected.count,
                       "\(fixture): alert count; actual rules \(actual.map(\.ruleID)), expected \(expected.map(\.ruleID))")
        for (index, (a, e)) in zip(actual, expected).enumerated() {
            let at = "\(fixture) alert #\(index)"
            XCTAssertEqual(a.ruleID, e.ruleID, "\(at): rule_id")
            XCTAssertEqual(a.ruleName, e.ruleName, "\(at): rule")
            XCTAssertEqual(a.priority, e.priority, "\(at): priority")
            XCTAssertEqual(a.source, e.source, "\(at): source")
            XCTAssertEqual(a.hostname, e.hostname, "\(at): hostname")
            XCTAssertEqual(a.timestamp, e.timestamp, "\(at): time")
            XCTAssertEqual(a.output, e.output, "\(at): output")
            XCTAssertEqual(a.tags, e.tags, "\(at): tags")
            XCTAssertEqual(a.count, e.count, "\(at): count")
            XCTAssertEqual(a.advice, e.advice, "\(at): advice")
            for key in Set(a.fields.keys).union(e.fields.keys).sorted() {
                XCTAssertEqual(a.fields[key], e.fields[key], "\(at): output_fields[\(key)]")
            }
        }
    }
}
