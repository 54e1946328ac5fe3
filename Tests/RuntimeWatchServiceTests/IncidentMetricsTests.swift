// SPDX-License-Identifier: Apache-2.0
// `/metrics` shows open incidents by namespace and risk band: the recorded runc attack replayed
// into an engine whose metrics go to a real Prometheus registry.

import Foundation
import RuntimeWatchCore
import RuntimeWatchService
import XCTest

final class IncidentMetricsTests: XCTestCase {
    func testOpenIncidentGaugeByNamespaceAndBand() async throws {
        let trace = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("RuntimeWatchCoreTests/Fixtures/runc-pod-attack.jsonl").path
        let metrics = PrometheusMetrics()
        let reader = try TraceReader(path: trace, onIssue: { XCTFail("\($0)") })
        let header = try XCTUnwrap(try reader.readHeader())
        let engine = Engine(configuration: EngineConfiguration(hostname: header.hostname), detectors: BuiltinDetectors.make(),
                            profile: try ProfileLoader().embeddedDefault(), sink: InMemoryAlertSink(), metrics: metrics.factory)
        var loop = DriveLoop(engine: engine)
        try await loop.run(TraceSource(reader: reader))
        let text = metrics.render()
        XCTAssertTrue(text.contains("# TYPE runtime_watch_incidents_open gauge"), text)
        XCTAssertTrue(text.contains("runtime_watch_incidents_open{namespace=\"shop\",band=\"critical\"} 1"), text)
        // It opened in the medium band and left it when the shell made it critical.
        XCTAssertTrue(text.contains("runtime_watch_incidents_open{namespace=\"shop\",band=\"medium\"} 0"), text)
    }
}
